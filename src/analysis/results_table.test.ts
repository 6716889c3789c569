import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { presetConfig } from "../experiment/presets";
import { PAPER_CIFAR10_ACCURACY, PAPER_PTB_PERPLEXITY } from "../experiment/paper_results";
import { listRuns, RunDir, runId } from "../experiment/store";
import type { MetricLine } from "../experiment/store";
import type { OptimizerName } from "../optim/registry";
import {
  checkClaims, collectExperiments, comparisonRows, compareStats, describeOverrides, formatStat, paperReference, runNumbers,
  type RunRecord,
} from "./results_table";

/** A fake finished run whose test accuracy goes from `early` to `final` (fractions). */
function run(preset: string, optimizer: OptimizerName, seed: number, early: number, final: number, overrides: Record<string, unknown> = {}, status: "finished" | "diverged" | "running" = "finished"): RunRecord {
  const config = presetConfig(preset, optimizer, { seed, ...overrides });
  const metrics: MetricLine[] = [
    { epoch: 0, step: 10, split: "train", loss: 2, acc: early - 0.1, lr: 0.1, wallMs: 1000 },
    { epoch: 0, step: 10, split: "test", loss: 1.8, acc: early, top5Acc: 0.9, lr: 0.1, wallMs: 1200 },
    { epoch: 1, step: 20, split: "train", loss: 1, acc: final - 0.1, lr: 0.01, wallMs: 2000 },
    { epoch: 1, step: 20, split: "test", loss: 0.9, acc: final, top5Acc: 0.95, lr: 0.01, wallMs: 2500 },
  ];
  return { id: runId(config), config, status: { status }, metrics };
}

describe("runNumbers", () => {
  test("reads final, best and first-epoch values in percent", () => {
    const n = runNumbers(run("cifar10-resnet20", "sgd", 0, 0.3, 0.5).metrics);
    assert.equal(n.epochs, 2);
    assert.ok(Math.abs(n.finalTestAcc! - 50) < 1e-9);
    assert.ok(Math.abs(n.earlyTestAcc! - 30) < 1e-9);
    assert.ok(Math.abs(n.bestTestAcc! - 50) < 1e-9);
    assert.equal(n.finalTrainLoss, 1);
    assert.equal(n.wallSeconds, 2.5);
    assert.equal(n.finalTestPpl, undefined);
  });
  test("language-model runs give perplexities", () => {
    const m: MetricLine[] = [
      { epoch: 0, step: 5, split: "train", loss: 6, ppl: 403, lr: 1, wallMs: 1 },
      { epoch: 0, step: 5, split: "valid", loss: 5.9, ppl: 365, lr: 1, wallMs: 2 },
      { epoch: 0, step: 5, split: "test", loss: 5.8, ppl: 330, lr: 1, wallMs: 3 },
    ];
    const n = runNumbers(m);
    assert.equal(n.finalTestPpl, 330);
    assert.equal(n.earlyValidPpl, 365);
    assert.equal(n.finalTestAcc, undefined);
  });
});

describe("collectExperiments", () => {
  test("groups by preset setting and optimizer, averages over seeds, keeps settings apart", () => {
    const runs = [
      run("cifar10-resnet20", "sgd", 0, 0.3, 0.50),
      run("cifar10-resnet20", "sgd", 1, 0.3, 0.54),
      run("cifar10-resnet20", "padam", 0, 0.4, 0.52),
      run("cifar10-resnet20", "adam", 0, 0.45, 0.40, {}, "diverged"),
      run("cifar10-resnet20", "sgd", 0, 0.3, 0.6, { epochs: 3 }),
      run("fmnist-cnn", "sgd", 0, 0.7, 0.8),
    ];
    const exps = collectExperiments(runs);
    assert.equal(exps.length, 3);
    const main = exps.find((e) => e.preset === "cifar10-resnet20" && e.variant === "")!;
    assert.ok(main, "the preset's own setting is one experiment");
    assert.deepEqual(main.groups.map((g) => g.optimizer), ["sgd", "adam", "padam"]);
    const sgd = main.groups[0];
    assert.deepEqual(sgd.seeds, [0, 1]);
    assert.ok(Math.abs(sgd.stats.finalTestAcc!.mean - 52) < 1e-9);
    assert.ok(Math.abs(sgd.stats.finalTestAcc!.std - Math.sqrt(8)) < 1e-9);
    assert.equal(main.groups[1].diverged, 1);
    assert.equal(main.groups[1].stats.finalTestAcc, undefined);
    const longer = exps.find((e) => e.variant === "epochs 3")!;
    assert.equal(longer.groups.length, 1);
    assert.equal(exps[exps.length - 1].preset, "fmnist-cnn", "same scale: presets in name order");
    assert.deepEqual(collectExperiments(runs, { presets: ["fmnist-cnn"] }).map((e) => e.preset), ["fmnist-cnn"]);
    assert.deepEqual(collectExperiments([]), []);
  });

  test("an optimizer override is its own group, labelled", () => {
    const exps = collectExperiments([run("cifar10-resnet20", "adam", 0, 0.3, 0.5), run("cifar10-resnet20", "adam", 0, 0.1, 0.1, { optimizerOptions: { learningRate: 0.1 } })]);
    assert.equal(exps.length, 1);
    assert.deepEqual(exps[0].groups.map((g) => g.optimizerVariant).sort(), ["", "lr 0.1"]);
  });

  test("reads runs written to a runs directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "results-table-"));
    try {
      for (const r of [run("cifar10-resnet20", "sgd", 0, 0.3, 0.5), run("cifar10-resnet20", "padam", 2, 0.4, 0.55)]) {
        const rd = new RunDir(join(dir, r.id));
        rd.create({ config: r.config });
        rd.appendMetrics(r.metrics);
        rd.setStatus("finished", 1);
      }
      const exps = collectExperiments(listRuns(dir));
      assert.equal(exps.length, 1);
      assert.deepEqual(exps[0].groups.map((g) => [g.optimizer, g.seeds]), [["sgd", [0]], ["padam", [2]]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("describeOverrides", () => {
  test("names experiment and optimizer fields that differ from the preset", () => {
    const d = describeOverrides(presetConfig("cifar10-resnet20", "padam", { epochs: 3, trainLimit: 400, optimizerOptions: { partial: 0.25, learningRate: 0.01 } }));
    assert.equal(d.experiment, "epochs 3, trainLimit 400");
    assert.equal(d.optimizer, "lr 0.01", "p is part of the label, not the variant");
    assert.deepEqual(describeOverrides(presetConfig("fmnist-cnn", "sgd")), { experiment: "", optimizer: "" });
  });
});

describe("paperReference and comparisonRows", () => {
  test("paper presets get their own row, CPU presets the nearest one", () => {
    assert.equal(paperReference({ preset: "cifar10-vgg16" })!.row, PAPER_CIFAR10_ACCURACY.vgg16);
    assert.equal(paperReference({ preset: "cifar10-vgg16" })!.sameProtocol, true);
    assert.equal(paperReference({ preset: "cifar10-resnet20" })!.sameProtocol, false);
    assert.equal(paperReference({ preset: "cifar10-vgg16", scale: "reduced" })!.sameProtocol, false);
    assert.equal(paperReference({ preset: "ptb-lstm-small", lstmLayers: 3 })!.row, PAPER_PTB_PERPLEXITY["ptb-lstm3"]);
    assert.equal(paperReference({ preset: "ptb-lstm2" })!.higherIsBetter, false);
    assert.ok(paperReference({ preset: "imagenet-resnet18" })!.top5);
    assert.equal(paperReference({ preset: "fmnist-cnn" }), undefined);
  });
  test("rows list measured groups then the paper's unmeasured optimizers", () => {
    const [exp] = collectExperiments([run("cifar10-resnet18", "sgd", 0, 0.3, 0.9), run("cifar10-resnet18", "sgd", 1, 0.3, 0.92), run("cifar10-resnet18", "padam", 0, 0.4, 0.93)]);
    const rows = comparisonRows(exp);
    assert.equal(rows.length, 7);
    assert.equal(rows[0].optimizer, "SGD-M");
    assert.equal(rows[0]["measured test accuracy (%)"], "91.00 ± 1.41");
    assert.equal(rows[0]["paper (CIFAR-10 ResNet-18)"], PAPER_CIFAR10_ACCURACY.resnet18.sgd);
    assert.equal(rows[1].optimizer, "Padam (p = 1/8)");
    assert.equal(rows.filter((r) => r["measured test accuracy (%)"] === "not run").length, 5);
  });
});

describe("claims", () => {
  test("compareStats uses margin plus combined spread", () => {
    assert.equal(compareStats({ mean: 10, std: 0, n: 1 }, { mean: 9, std: 0, n: 1 }, true, 0.5).verdict, "supported");
    assert.equal(compareStats({ mean: 10, std: 1, n: 3 }, { mean: 9, std: 1, n: 3 }, true, 0.5).verdict, "inconclusive");
    assert.equal(compareStats({ mean: 8, std: 0, n: 1 }, { mean: 9, std: 0, n: 1 }, true, 0.5).verdict, "not supported");
    assert.equal(compareStats({ mean: 60, std: 0, n: 1 }, { mean: 70, std: 0, n: 1 }, false, 1).verdict, "supported", "lower perplexity is better");
  });
  test("verdicts follow the measurements", () => {
    const [exp] = collectExperiments([
      run("cifar10-resnet20", "sgd", 0, 0.30, 0.60),
      run("cifar10-resnet20", "padam", 0, 0.40, 0.602),
      run("cifar10-resnet20", "adam", 0, 0.45, 0.50),
    ]);
    const checks = checkClaims(exp);
    const v = (prefix: string) => checks.find((c) => c.claim.startsWith(prefix))!.verdict;
    assert.equal(v("Padam ≈ SGD-M"), "supported");
    assert.equal(v("Padam better than Adam"), "supported");
    assert.equal(v("Padam better than AMSGrad"), "not measured");
    assert.equal(v("SGD-M better than Adam"), "supported");
    assert.equal(v("Padam fast early"), "supported");
    const [bad] = collectExperiments([run("cifar10-resnet20", "sgd", 0, 0.5, 0.7), run("cifar10-resnet20", "padam", 0, 0.3, 0.5)]);
    const b = checkClaims(bad);
    assert.equal(b.find((c) => c.claim.startsWith("Padam ≈ SGD-M"))!.verdict, "not supported");
    assert.equal(b.find((c) => c.claim.startsWith("Padam fast early"))!.verdict, "not supported");
  });
  test("formatStat", () => {
    assert.equal(formatStat({ mean: 1.234, std: 0.5, n: 2 }), "1.23 ± 0.50");
    assert.equal(formatStat({ mean: 1.234, std: 0, n: 1 }, 1), "1.2");
    assert.equal(formatStat(undefined), "");
  });
});
