import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { presetConfig } from "../experiment/presets";
import { listRuns, RunDir, runId } from "../experiment/store";
import type { MetricLine } from "../experiment/store";
import type { OptimizerName } from "../optim/registry";
import {
  checkClaims,
  difference,
  collectExperiments,
  comparisonRows,
  describeOverrides,
  formatStat,
  paperReference,
  type RunRecord,
} from "./results_table";
import { seedRows, spreadFigure } from "./seed_spread";
import { runNumbers, seedStat } from "./statistics";

/** A fake finished run whose test accuracy goes from `early` to `final` (fractions). */
function run(
  preset: string,
  optimizer: OptimizerName,
  seed: number,
  early: number,
  final: number,
  overrides: Record<string, unknown> = {},
  status: "finished" | "diverged" | "running" = "finished",
): RunRecord {
  const config = presetConfig(preset, optimizer, { seed, ...overrides });
  const metrics: MetricLine[] = [
    { epoch: 0, step: 10, split: "train", loss: 2, acc: early - 0.1, lr: 0.1, wallMs: 1000 },
    { epoch: 0, step: 10, split: "test", loss: 1.8, acc: early, top5Acc: 0.9, lr: 0.1, wallMs: 1200 },
    { epoch: 1, step: 20, split: "train", loss: 1, acc: final - 0.1, lr: 0.01, wallMs: 2000 },
    { epoch: 1, step: 20, split: "test", loss: 0.9, acc: final, top5Acc: 0.95, lr: 0.01, wallMs: 2500 },
  ];
  return { id: runId(config, "cpu"), config, status: { status }, metrics };
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
      run("cifar10-resnet20", "sgd", 0, 0.3, 0.5),
      run("cifar10-resnet20", "sgd", 1, 0.3, 0.54),
      run("cifar10-resnet20", "padam", 0, 0.4, 0.52),
      run("cifar10-resnet20", "adam", 0, 0.45, 0.4, {}, "diverged"),
      run("cifar10-resnet20", "sgd", 0, 0.3, 0.6, { epochs: 3 }),
      run("fmnist-cnn", "sgd", 0, 0.7, 0.8),
    ];
    const exps = collectExperiments(runs);
    assert.equal(exps.length, 3);
    const main = exps.find((e) => e.preset === "cifar10-resnet20" && e.variant === "")!;
    assert.ok(main, "the preset's own setting is one experiment");
    assert.deepEqual(
      main.groups.map((g) => g.optimizer),
      ["sgd", "adam", "padam"],
    );
    const sgd = main.groups[0];
    assert.deepEqual(sgd.seeds, [0, 1]);
    assert.ok(Math.abs(sgd.stats.finalTestAcc!.mean - 52) < 1e-9);
    assert.ok(Math.abs(sgd.stats.finalTestAcc!.std - Math.sqrt(8)) < 1e-9);
    assert.deepEqual(sgd.stats.finalTestAcc!.values.map(Math.round), [50, 54], "every seed's value is kept");
    assert.deepEqual(sgd.stats.finalTestAcc!.seeds, [0, 1]);
    // The preset tests on 1,000 images: 100 · sqrt(0.52 · 0.48 / 1000) = 1.580 points.
    assert.ok(Math.abs(sgd.stats.finalTestAcc!.testSe! - 1.58) < 1e-3);
    assert.equal(sgd.stats.finalTrainLoss!.testSe, undefined, "no binomial error on a loss");
    assert.equal(main.groups[1].diverged, 1);
    assert.equal(main.groups[1].stats.finalTestAcc, undefined);
    const longer = exps.find((e) => e.variant === "epochs 3")!;
    assert.equal(longer.groups.length, 1);
    assert.equal(exps[exps.length - 1].preset, "fmnist-cnn", "same scale: presets in name order");
    assert.deepEqual(
      collectExperiments(runs, { presets: ["fmnist-cnn"] }).map((e) => e.preset),
      ["fmnist-cnn"],
    );
    assert.deepEqual(collectExperiments([]), []);
  });

  test("an optimizer override is its own group, and its label names the variant", () => {
    const exps = collectExperiments([
      run("cifar10-resnet20", "adam", 0, 0.3, 0.5),
      run("cifar10-resnet20", "adam", 0, 0.1, 0.1, { optimizerOptions: { learningRate: 0.1 } }),
    ]);
    assert.equal(exps.length, 1);
    assert.deepEqual(exps[0].groups.map((g) => g.optimizerVariant).sort(), ["", "lr 0.1"]);
    assert.deepEqual(exps[0].groups.map((g) => g.label).sort(), ["Adam (lr 0.001)", "Adam (lr 0.1)"]);
    const [alone] = collectExperiments([
      run("cifar10-resnet20", "adam", 0, 0.1, 0.1, { optimizerOptions: { learningRate: 0.1 } }),
    ]);
    assert.equal(alone.groups[0].label, "Adam (lr 0.1)", "a non-default setting is named even without a sibling");
  });
  test("a seed run twice (the same config on two backends) counts once", () => {
    const a = run("cifar10-resnet20", "sgd", 0, 0.3, 0.5);
    const [exp] = collectExperiments([
      a,
      { ...a, id: runId(a.config, "wasm") },
      run("cifar10-resnet20", "sgd", 1, 0.3, 0.6),
    ]);
    assert.deepEqual(exp.groups[0].seeds, [0, 1]);
    assert.equal(exp.groups[0].repeatedSeeds, 1);
    assert.equal(exp.groups[0].stats.finalTestAcc!.n, 2);
    assert.equal(comparisonRows(exp)[0].note, "1 repeated seeds left out");
  });
  test("labels are unique without a preset too, and Padam keeps its p", () => {
    const custom = (o: OptimizerName, lr: number, seed: number) => {
      const r = run("fmnist-cnn", o, seed, 0.5, 0.8, { optimizerOptions: { learningRate: lr } });
      const { preset: _p, ...config } = r.config;
      return { ...r, config };
    };
    const [exp] = collectExperiments([
      custom("adam", 0.001, 0),
      custom("adam", 0.1, 0),
      custom("padam", 0.1, 0),
      custom("padam", 0.01, 0),
      custom("sgd", 0.1, 0),
    ]);
    assert.equal(exp.scale, "custom");
    assert.deepEqual(exp.groups.map((g) => g.label).sort(), [
      "Adam (lr 0.001)",
      "Adam (lr 0.1)",
      "Padam (p = 1/8, lr 0.01)",
      "Padam (p = 1/8, lr 0.1)",
      "SGD-M",
    ]);
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
      assert.deepEqual(
        exps[0].groups.map((g) => [g.optimizer, g.seeds]),
        [
          ["sgd", [0]],
          ["padam", [2]],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("describeOverrides", () => {
  test("names experiment and optimizer fields that differ from the preset", () => {
    const d = describeOverrides(
      presetConfig("cifar10-resnet20", "padam", {
        epochs: 3,
        trainLimit: 400,
        optimizerOptions: { partial: 0.25, learningRate: 0.01 },
      }),
    );
    assert.equal(d.experiment, "epochs 3, trainLimit 400");
    assert.equal(d.optimizer, "lr 0.01", "p is part of the label, not the variant");
    assert.deepEqual(describeOverrides(presetConfig("fmnist-cnn", "sgd")), { experiment: "", optimizer: "" });
  });
  test("a computed number reads to 4 significant digits", () => {
    const d = describeOverrides(
      presetConfig("fmnist-cnn", "adamw", { optimizerOptions: { weightDecay: 0.5270462766947299 } }),
    );
    assert.equal(d.optimizer, "wd 0.527");
  });
});

describe("paperReference and comparisonRows", () => {
  test("paper presets get their own row, CPU presets the nearest one", () => {
    // The rows as the paper's tables print them (docs/paper-notes.md §7.1).
    assert.deepEqual(paperReference({ preset: "cifar10-vgg16" })!.row, {
      sgd: 93.71,
      adam: 92.21,
      amsgrad: 92.54,
      adamw: 93.54,
      yogi: 92.94,
      adabound: 93.28,
      padam: 93.78,
    });
    assert.equal(paperReference({ preset: "cifar10-vgg16" })!.sameProtocol, true);
    assert.equal(paperReference({ preset: "cifar10-resnet20" })!.sameProtocol, false);
    assert.equal(paperReference({ preset: "cifar10-vgg16", scale: "reduced" })!.sameProtocol, false);
    assert.deepEqual(paperReference({ preset: "ptb-lstm-small", lstmLayers: 3 })!.row, {
      sgd: 61.22,
      adam: 60.44,
      amsgrad: 61.92,
      adamw: 63.24,
      yogi: 60.01,
      adabound: 60.89,
      padam: 58.48,
    });
    assert.equal(paperReference({ preset: "ptb-lstm2" })!.higherIsBetter, false);
    assert.ok(paperReference({ preset: "imagenet-resnet18" })!.top5);
    assert.equal(paperReference({ preset: "fmnist-cnn" }), undefined);
  });
  test("rows list measured groups then the paper's unmeasured optimizers", () => {
    const [exp] = collectExperiments([
      run("cifar10-resnet18", "sgd", 0, 0.3, 0.9),
      run("cifar10-resnet18", "sgd", 1, 0.3, 0.92),
      run("cifar10-resnet18", "padam", 0, 0.4, 0.93),
    ]);
    const rows = comparisonRows(exp);
    assert.equal(rows.length, 7);
    assert.equal(rows[0].optimizer, "SGD-M");
    // Seeds 90 and 92: mean 91, s/√2 = 1, t_{0.975,1} = 12.706: [78.29, 103.71].
    assert.equal(rows[0]["measured test accuracy (%)"], "91.00 [78.29, 103.71]");
    assert.equal(rows[0]["every seed"], "90.00, 92.00");
    assert.equal(rows[0]["test-set SE"], "0.29 (n = 10000)", "100 · sqrt(0.91 · 0.09 / 10000) = 0.286");
    assert.equal(rows[0]["paper (CIFAR-10 ResNet-18)"], 95.0, "the paper's ResNet-18 SGD-M accuracy");
    assert.equal(rows[1]["paper (CIFAR-10 ResNet-18)"], 94.94, "the paper's ResNet-18 Padam accuracy");
    assert.equal(rows[1].optimizer, "Padam (p = 1/8)");
    assert.equal(rows.filter((r) => r["measured test accuracy (%)"] === "not run").length, 5);
  });
});

/** Runs of one optimizer with these final (and early) test accuracies in percent, seeds 0, 1, … */
function seeds(
  preset: string,
  o: OptimizerName,
  finals: number[],
  earlies: number[] = finals.map(() => 50),
): RunRecord[] {
  return finals.map((f, i) => run(preset, o, i, earlies[i] / 100, f / 100));
}

describe("difference in words", () => {
  test("accuracy: the sign becomes higher or lower; perplexity: an advantage is a lower value", () => {
    assert.equal(difference(-1.114, "points", true), "1.11 points lower");
    assert.equal(difference(2, "points", true), "2.00 points higher");
    assert.equal(difference(3, "perplexity", false), "3.00 perplexity lower");
    assert.equal(difference(-2.5, "perplexity", false), "2.50 perplexity higher");
  });
});

describe("claims", () => {
  // CIFAR-10 ResNet-18 preset: 10,000 test images, so each mean carries its binomial SE, e.g.
  // 100 · sqrt(0.932 · 0.068 / 10^4) = 0.2518 at 93.2 %. Three seeds with s = 0.2 give s²/n = 0.01333.
  const P = "cifar10-resnet18";
  const verdicts = (runs: RunRecord[], opts = {}) =>
    Object.fromEntries(checkClaims(collectExperiments(runs)[0], opts).map((c) => [c.claim, c]));

  test("a paper-like outcome: tie with SGD-M, clear wins over Adam, AMSGrad with one seed, Padam slow early", () => {
    const c = verdicts([
      ...seeds(P, "sgd", [93.1, 93.3, 93.5]),
      ...seeds(P, "padam", [93.0, 93.2, 93.4], [60, 61, 62]),
      ...seeds(P, "adam", [91.0, 91.2, 91.4], [70, 71, 72]),
      ...seeds(P, "amsgrad", [91.5]),
    ]);
    // Padam − SGD-M = −0.1; se² = 2 · 0.01333 + 0.2518² + 0.2500² = 0.1526, se = 0.3906, ν ≈ 131,
    // 90 % interval −0.1 ± 1.657 · 0.3906 = [−0.75, +0.55], inside ±1.
    const tie = c["Padam ≈ SGD-M at the end"];
    assert.equal(tie.verdict, "supported");
    assert.equal(tie.interval, "90 % [-0.75, +0.55]");
    assert.match(tie.test, /equivalence within ±1\.00 points/);
    // Padam − Adam = 2.0; se² = 0.02667 + 0.2518² + 100² · 0.912 · 0.088 / 10^4 = 0.1703, se = 0.4127,
    // ν ≈ 163, 95 % interval 2 ± 1.975 · 0.4127 = [+1.19, +2.81].
    assert.equal(c["Padam better than Adam at the end"].verdict, "supported");
    assert.equal(c["Padam better than Adam at the end"].interval, "95 % [+1.19, +2.81]");
    assert.equal(c["SGD-M better than Adam at the end (the gap)"].verdict, "supported");
    const ams = c["Padam better than AMSGrad at the end"];
    assert.equal(ams.verdict, "inconclusive");
    assert.match(ams.reason, /too few seeds \(3 and 1; at least 3 each/);
    assert.equal(ams.interval, "");
    // Early: Padam 61 vs Adam 71 after the first epoch: 10 points behind, far beyond the 1-point margin.
    const early = c["Padam as fast as Adam early (after the first epoch)"];
    assert.equal(early.verdict, "contradicted");
    assert.match(early.measured, /Padam \(p = 1\/8\) 61\.00 .* vs Adam 71\.00 .*: 10\.00 points lower/);
  });

  test("tuned learning rates count as each optimizer's setting; several tuned lrs of one leave it open", () => {
    const lr = (o: OptimizerName, v: number, finals: number[]) =>
      finals.map((f, i) => run(P, o, i, 0.5, f / 100, { optimizerOptions: { learningRate: v } }));
    // The reference experiments' finals: every optimizer at its lr chosen on the validation split.
    const tuned = verdicts([
      ...lr("sgd", 0.03, [89.0, 89.2, 89.4]),
      ...lr("padam", 0.3, [80.0, 80.5, 81.0]),
      ...lr("adam", 0.003, [91.0, 91.2, 91.4]),
    ]);
    assert.equal(tuned["SGD-M better than Adam at the end (the gap)"].verdict, "contradicted");
    assert.equal(tuned["SGD-M better than Adam at the end (the gap)"].interval, "95 % [-2.89, -1.11]");
    assert.match(tuned["Padam better than Adam at the end"].measured, /^Padam \(p = 1\/8, lr 0\.3\) 80\.50/);
    // Two tuned lrs of Adam and not the preset's: which one the claims read is not theirs to choose.
    const two = verdicts([
      ...lr("sgd", 0.03, [89.0, 89.2, 89.4]),
      ...lr("adam", 0.003, [91.0, 91.2, 91.4]),
      ...lr("adam", 0.01, [88.0, 88.2, 88.4]),
    ]);
    const gap = two["SGD-M better than Adam at the end (the gap)"];
    assert.equal(gap.verdict, "not measured");
    assert.match(gap.reason, /Adam ran at several tuned learning rates/);
    // With the preset's lr among them, that one is read (Adam's preset lr on this preset is 1e-3).
    const withPreset = verdicts([
      ...lr("sgd", 0.03, [89.0, 89.2, 89.4]),
      ...seeds(P, "adam", [91.0, 91.2, 91.4]),
      ...lr("adam", 0.01, [70.0, 70.2, 70.4]),
    ]);
    assert.equal(withPreset["SGD-M better than Adam at the end (the gap)"].interval, "95 % [-2.89, -1.11]");
    // An option other than the lr changed (Padam's running max off) is another method: not read.
    const noMax = verdicts([
      ...lr("adam", 0.003, [91.0]),
      ...seeds(P, "padam", [93.0]),
      run(P, "padam", 5, 0.5, 0.5, { optimizerOptions: { amsgrad: false } }),
    ]);
    assert.match(noMax["Padam better than Adam at the end"].measured, /^Padam \(p = 1\/8[^)]*\) 93\.00 \(1 seed\)/);
  });

  test("a clear loss is contradicted: no gap, and Padam far from SGD-M", () => {
    const c = verdicts([
      ...seeds(P, "sgd", [89.0, 89.2, 89.4]),
      ...seeds(P, "padam", [80.0, 80.5, 81.0]),
      ...seeds(P, "adam", [91.0, 91.2, 91.4]),
    ]);
    // SGD-M − Adam = −2.0; se² = 0.02667 + 0.3104² + 0.2833² = 0.2033, 95 % interval −2 ± 1.97 · 0.451 = [−2.89, −1.11].
    assert.equal(c["SGD-M better than Adam at the end (the gap)"].verdict, "contradicted");
    assert.equal(c["SGD-M better than Adam at the end (the gap)"].interval, "95 % [-2.89, -1.11]");
    assert.equal(c["Padam ≈ SGD-M at the end"].verdict, "contradicted");
    assert.equal(c["Padam better than Adam at the end"].verdict, "contradicted");
    assert.equal(c["Padam better than AMSGrad at the end"].verdict, "not measured");
    assert.equal(c["Padam better than AMSGrad at the end"].reason, "no final test accuracy of AMSGrad");
  });

  test("too few seeds: every claim inconclusive with the reason, whatever the means", () => {
    const c = verdicts([
      ...seeds(P, "sgd", [93, 93.1]),
      ...seeds(P, "padam", [80, 80.1]),
      ...seeds(P, "adam", [60, 60.1]),
    ]);
    for (const claim of [
      "Padam ≈ SGD-M at the end",
      "Padam better than Adam at the end",
      "SGD-M better than Adam at the end (the gap)",
    ]) {
      assert.equal(c[claim].verdict, "inconclusive", claim);
      assert.match(c[claim].reason, /too few seeds \(2 and 2/);
    }
    assert.equal(
      verdicts([...seeds(P, "padam", [80, 80.1]), ...seeds(P, "adam", [60, 60.1])], { minSeeds: 2 })[
        "Padam better than Adam at the end"
      ].verdict,
      "supported",
    );
  });

  test("the test set's noise decides a small gap on a small test set", () => {
    // 1,000 test images (the resnet20 preset): Padam 82 vs Adam 80 with identical seeds, a 2-point gap;
    // se² = 100² (0.82 · 0.18 + 0.8 · 0.2) / 1000 = 3.076, interval 2 ± 1.96 · 1.754 = [−1.44, +5.44].
    const runs = [
      ...seeds("cifar10-resnet20", "padam", [82, 82, 82]),
      ...seeds("cifar10-resnet20", "adam", [80, 80, 80]),
    ];
    assert.equal(verdicts(runs)["Padam better than Adam at the end"].verdict, "inconclusive");
    assert.equal(verdicts(runs)["Padam better than Adam at the end"].interval, "95 % [-1.44, +5.44]");
    assert.equal(
      verdicts(runs, { testSetNoise: "none" })["Padam better than Adam at the end"].verdict,
      "supported",
      "on this test set alone the seeds agree",
    );
    assert.throws(() => verdicts(runs, { testSetNoise: "paired" }), /testSetNoise = "paired" is invalid/);
  });

  test("perplexity: lower is better and the margin is 2 % of the reference", () => {
    const lm = (o: OptimizerName, ppls: number[]) =>
      ppls.map((ppl, seed): RunRecord => {
        const config = presetConfig("ptb-lstm-small", o, { seed });
        const metrics: MetricLine[] = ["train", "valid", "test"].map((split) => ({
          epoch: 0,
          step: 5,
          split: split as MetricLine["split"],
          loss: Math.log(ppl),
          ppl,
          lr: 1,
          wallMs: 1,
        }));
        return { id: runId(config, "cpu"), config, status: { status: "finished" }, metrics };
      });
    const c = verdicts([
      ...lm("sgd", [100, 101, 102]),
      ...lm("padam", [100.2, 101.2, 102.2]),
      ...lm("adam", [110, 111, 112]),
    ]);
    // Padam − Adam in the better direction: 111 − 101.2 = 9.8, se = sqrt(2/3) = 0.816, ν = 4: [+7.53, +12.07].
    assert.equal(c["Padam better than Adam at the end"].verdict, "supported");
    assert.equal(c["Padam better than Adam at the end"].interval, "95 % [+7.53, +12.07]");
    // Padam ≈ SGD-M: −0.2 ± 2.132 · 0.816 = [−1.94, +1.54] inside ±2.02 (2 % of 101).
    assert.equal(c["Padam ≈ SGD-M at the end"].verdict, "supported");
    assert.match(c["Padam ≈ SGD-M at the end"].test, /±2\.02 perplexity/);
  });

  test("formatStat: mean and 95 % interval, one seed without", () => {
    assert.equal(formatStat(seedStat([1, 2, 3])), "2.00 [-0.48, 4.48]");
    assert.equal(formatStat(seedStat([1.234]), 1), "1.2");
    assert.equal(formatStat(undefined), "");
  });
});

describe("spread over seeds", () => {
  // The defect seen in 08: Adam at lr 0.1 and at lr 1e-3 drawn as one stacked "Adam" bar, and
  // zero-height error bars on one-seed settings.
  const exps = collectExperiments([
    ...seeds("cifar10-resnet20", "adam", [77, 78, 79]),
    run("cifar10-resnet20", "adam", 0, 0.1, 0.1, { optimizerOptions: { learningRate: 0.1 } }),
    ...seeds("cifar10-resnet20", "sgd", [80, 82]),
  ]);
  test("one bar per setting, labelled with the variant; no error bar for one seed; a dot per seed", () => {
    const fig = spreadFigure(exps);
    const [bars, dots] = fig.data;
    assert.deepEqual(bars.x, ["SGD-M", "Adam (lr 0.001)", "Adam (lr 0.1)"]);
    assert.equal(new Set(bars.x as string[]).size, (bars.x as string[]).length, "no two settings share a bar");
    const err = (bars.error_y as { array: (number | null)[] }).array;
    // SGD-M [80, 82]: half width 12.706 · 1 = 12.71; Adam [77, 78, 79]: 4.303 · 0.5774 = 2.48.
    assert.ok(Math.abs(err[0]! - 12.706) < 1e-3 && Math.abs(err[1]! - 2.484) < 1e-3);
    assert.equal(err[2], null, "one seed: no error bar rather than a zero-height one");
    assert.equal((dots.y as number[]).length, 6);
    assert.equal(dots.offsetgroup, bars.offsetgroup);
    assert.equal(fig.layout.scattermode, "group");
    assert.throws(() => spreadFigure([]), /no experiment has the statistic "finalTestAcc"/);
  });
  test("seedRows lists every seed", () => {
    const rows = seedRows(exps[0]);
    assert.equal(rows[1]["every seed"], "77.00 (seed 0), 78.00 (seed 1), 79.00 (seed 2)");
    assert.equal(rows[2]["95 % interval"], "");
  });
});
