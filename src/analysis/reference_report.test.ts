/**
 * The reference results in words and costs: hand-built runs with known accuracies whose verdicts
 * are worked out by hand (a clear win, a clear loss, a tie within the margin), sentences checked
 * against those verdicts, and costs checked against hand-computed hours.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExperimentConfig } from "../experiment/config";
import { presetConfig } from "../experiment/presets";
import { newProvenance } from "../experiment/provenance";
import { finalConfigs, paperNetworkConfigs, referenceExperiment } from "../experiment/reference";
import { RunDir, runId, type MetricLine } from "../experiment/store";
import type { OptimizerName } from "../optim/registry";
import { lineFigure } from "../notebook/plotly";
import { loadReferenceResults } from "./reference_results";
import {
  claimSentence,
  distinctLines,
  experimentClaims,
  meanCurves,
  outcomeSentences,
  paperNetworkCosts,
  projectedProtocolHours,
  pSweepClaims,
  pSweepSeries,
  biasFactorClaims,
  overviewRows,
  rankingSentence,
  runSpeeds,
  settingCosts,
  verdictCounts,
} from "./reference_report";
import { checkClaims, collectExperiments, type RunRecord } from "./results_table";

/** Two epochs; the first epoch's test accuracy is `early` for every run, the last is `final`. */
function metrics(final: number, early = 0.9, steps = 63): MetricLine[] {
  return [0, 1].flatMap((epoch) => [
    { epoch, step: steps * (epoch + 1), split: "train" as const, loss: 0.1, acc: 0.97, lr: 0.1, wallMs: 1000 },
    {
      epoch,
      step: steps * (epoch + 1),
      split: "test" as const,
      loss: 0.3,
      acc: epoch === 0 ? early : final,
      lr: 0.1,
      wallMs: 1100,
    },
  ]);
}

function record(
  preset: string,
  optimizer: OptimizerName,
  seed: number,
  final: number,
  options: Record<string, unknown> = {},
): RunRecord {
  const config = presetConfig(preset, optimizer, { epochs: 2, testLimit: 10000, seed, optimizerOptions: options });
  return {
    id: `${optimizer}-${seed}-${JSON.stringify(options)}`,
    config,
    status: { status: "finished" },
    metrics: metrics(final),
  };
}

const three = (preset: string, o: OptimizerName, accs: number[], options: Record<string, unknown> = {}) =>
  accs.map((a, seed) => record(preset, o, seed, a, options));

/**
 * SGD-M 91.0/91.1/91.2 %, Padam 91.05/91.15/91.25 % (a tie: the 90 % interval of +0.05 is about
 * ±0.7 with the test-set error of 10,000 images, inside ±1), Adam 85 % (clearly worse),
 * AMSGrad 95 % (clearly better than Padam: that claim is contradicted); the same early accuracy.
 */
function fourOptimizers(preset: string) {
  return collectExperiments([
    ...three(preset, "sgd", [0.91, 0.911, 0.912]),
    ...three(preset, "adam", [0.85, 0.851, 0.852]),
    ...three(preset, "amsgrad", [0.95, 0.951, 0.952]),
    ...three(preset, "padam", [0.9105, 0.9115, 0.9125]),
  ])[0];
}

test("a sentence per claim says what its verdict says, including a contradiction of the paper", () => {
  const claims = checkClaims(fourOptimizers("fmnist-cnn"));
  const verdicts = Object.fromEntries(claims.map((c) => [c.claim, c.verdict]));
  assert.deepEqual(verdicts, {
    "Padam ≈ SGD-M at the end": "supported",
    "Padam better than Adam at the end": "supported",
    "Padam better than AMSGrad at the end": "contradicted",
    "SGD-M better than Adam at the end (the gap)": "supported",
    "Padam as fast as Adam early (after the first epoch)": "supported",
  });
  assert.equal(verdictCounts(claims), "4 supported, 1 contradicted");
  const amsgrad = claimSentence(claims[2], "fmnist-cnn");
  assert.match(
    amsgrad,
    /^“Padam better than AMSGrad at the end” is contradicted on fmnist-cnn, against the paper: Padam .* vs AMSGrad .*: 3\.95 points lower; the 95 % interval \[-\d\.\d\d, -\d\.\d\d\] lies below 0\.$/,
  );
  assert.match(
    claimSentence(claims[0]),
    /^“Padam ≈ SGD-M at the end” is supported: .*: 0\.05 points higher; the 90 % interval .* lies within ±1\.00\.$/,
  );
  const few = checkClaims(
    collectExperiments([...three("fmnist-cnn", "sgd", [0.9, 0.91]), ...three("fmnist-cnn", "padam", [0.9, 0.91])])[0],
  );
  assert.match(
    claimSentence(few[0]),
    /is inconclusive: .*too few seeds \(2 and 2; .*\), so these runs neither confirm nor refute it\.$/,
  );
  assert.match(claimSentence(few[1]), /is not measured: no final test accuracy of Adam\.$/);
});

test("the ranking sentence orders by the mean and compares with the paper's order", () => {
  const fmnist = rankingSentence(fourOptimizers("fmnist-cnn"));
  const order = ["AMSGrad 95.10", "Padam (p = 1/8) 91.15", "SGD-M 91.10", "Adam 85.10"].map((s) => fmnist.indexOf(s));
  assert.ok(
    order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1])),
    fmnist,
  );
  assert.match(
    fmnist,
    /^Ranked by final test accuracy \(%\), highest first, mean \[95 % interval\]: AMSGrad 95\.10 \[\d+\.\d\d, \d+\.\d\d\] \(3 seeds\);/,
  );
  assert.doesNotMatch(fmnist, /paper/, "Fashion-MNIST has no paper row");
  // The paper's ResNet-18 row: SGD-M 95.0, Padam 94.94, AMSGrad 93.53, Adam 92.89 (ours put AMSGrad first).
  const cifar = rankingSentence(fourOptimizers("cifar10-resnet20"));
  assert.match(
    cifar,
    /The paper \(CIFAR-10 ResNet-18\) orders them SGD-M 95, Padam \(p = 1\/8\) 94\.94, AMSGrad 93\.53, Adam 92\.89: a different order\.$/,
  );
});

test("p-sweep claims test p = 1/8 against every other p, two-sided", () => {
  const exp = collectExperiments([
    ...three("fmnist-cnn", "padam", [0.91, 0.911, 0.912], { partial: 0.125, learningRate: 0.1 }),
    ...three("fmnist-cnn", "padam", [0.85, 0.851, 0.852], { partial: 0.25, learningRate: 0.1 }),
    ...three("fmnist-cnn", "padam", [0.9105, 0.9115, 0.9125], { partial: 0.0625, learningRate: 0.1 }),
  ])[0];
  const claims = pSweepClaims(exp);
  assert.deepEqual(
    claims.map((c) => [c.claim, c.verdict]),
    [
      ["p = 1/8 better than p = 1/4 at the end", "supported"],
      ["p = 1/8 better than p = 1/16 at the end", "inconclusive"],
    ],
  );
  assert.deepEqual(pSweepClaims(fourOptimizers("fmnist-cnn")), [], "one Padam setting: nothing to compare");
  assert.deepEqual(
    experimentClaims(exp).map((c) => c.claim),
    claims.map((c) => c.claim),
    "one optimizer: the optimizer claims do not apply",
  );
  const [early, final] = pSweepSeries(exp);
  assert.deepEqual(Array.from(final.x), [0.0625, 0.125, 0.25]);
  [91.15, 91.1, 85.1].forEach((want, i) => assert.ok(Math.abs(final.y[i] - want) < 1e-9, `${final.y[i]} vs ${want}`));
  assert.ok(Array.from(early.y).every((y) => Math.abs(y - 90) < 1e-9));
  // three seeds 0.1 apart: sd 0.1, half-width t(0.975, 2) · 0.1/√3 = 4.3027 · 0.057735 = 0.24841
  assert.ok(Math.abs(final.error![0] - 0.24841) < 1e-4);
});

test("bias-factor claims: the consistent factor against the official one, early (two-sided) and at the end (±1 point)", () => {
  // Early (first-epoch) test accuracy per seed; the final one from `three`.
  const withEarly = (recs: RunRecord[], early: number[]) =>
    recs.map((r, i) => ({ ...r, metrics: metrics(r.metrics[3].acc!, early[i]) }));
  const official = { partial: 0.125, learningRate: 0.1 };
  const consistent = { ...official, biasCorrection: "consistent" };
  const exp = (earlyConsistent: number[], finalConsistent: number[]) =>
    collectExperiments([
      ...withEarly(three("fmnist-cnn", "padam", [0.9, 0.901, 0.902], official), [0.7, 0.701, 0.702]),
      ...withEarly(three("fmnist-cnn", "padam", finalConsistent, consistent), earlyConsistent),
    ])[0];
  // Consistent clearly ahead early (80 % vs 70 %, on 10,000 test images), the same at the end (+0.05).
  const clear = biasFactorClaims(exp([0.8, 0.801, 0.802], [0.9005, 0.9015, 0.9025]));
  assert.deepEqual(
    clear.map((c) => c.verdict),
    ["supported", "supported"],
  );
  assert.match(
    clear[0].measured,
    /^Padam \(p = 1\/8, .*consistent.*\) 80\.10 .* vs Padam \(p = 1\/8.*\) 70\.10 .*: 10\.00 points higher$/,
  );
  assert.match(clear[1].interval, /^90 % \[/);
  // Consistent behind early (the claim contradicted), and 5 points worse at the end (outside ±1).
  const against = biasFactorClaims(exp([0.6, 0.601, 0.602], [0.85, 0.851, 0.852]));
  assert.deepEqual(
    against.map((c) => c.verdict),
    ["contradicted", "contradicted"],
  );
  // Not a claim of the paper: a contradiction is not "against the paper".
  assert.match(claimSentence(against[0]), /^“the official bias factor slows Padam early.*” is contradicted: Padam/);
  // Seeds 1 point apart early around a 0.5-point difference: undecided.
  const noisy = biasFactorClaims(exp([0.69, 0.705, 0.72], [0.9005, 0.9015, 0.9025]));
  assert.equal(noisy[0].verdict, "inconclusive");
  // A p sweep has no consistent arm: no bias-factor claims, and the consistent arm is not a p.
  assert.deepEqual(biasFactorClaims(fourOptimizers("fmnist-cnn")), []);
  assert.deepEqual(pSweepClaims(exp([0.8, 0.801, 0.802], [0.9005, 0.9015, 0.9025])), []);
});

test("mean curves average the seeds per epoch; distinct lines differ in dash or marker", () => {
  const exp = collectExperiments([record("fmnist-cnn", "sgd", 0, 0.9), record("fmnist-cnn", "sgd", 1, 0.8)])[0];
  const [sgd] = meanCurves(exp, "test", "error");
  assert.equal(sgd.name, "SGD-M (2 seeds)");
  assert.deepEqual(Array.from(sgd.x), [1, 2]);
  // epoch 1: both 90 % → 10 % error; epoch 2: 90 % and 80 % → 15 % error
  assert.ok(Math.abs(sgd.y[0] - 10) < 1e-9 && Math.abs(sgd.y[1] - 15) < 1e-9);
  const fig = distinctLines(lineFigure([0, 1, 2, 3, 4].map((i) => ({ name: `s${i}`, x: [1, 2], y: [1, 1] }))));
  const styles = fig.data.map((t) => `${(t.line as { dash: string }).dash}/${(t.marker as { symbol: string }).symbol}`);
  assert.equal(new Set(styles).size, 5, styles.join(" "));
});

test("full-protocol cost: epochs × (steps × s/step + evaluated images × s/image)", () => {
  // cifar10-resnet18: 200 epochs, ⌈50,000/128⌉ = 391 steps, second pass over 50,000 + 10,000 test images.
  assert.ok(Math.abs(projectedProtocolHours("cifar10-resnet18", 1, 0.01) - (200 * (391 + 600)) / 3600) < 1e-9);
  assert.throws(() => projectedProtocolHours("no-such", 1, 1), /preset "no-such" is unknown/);
});

function writeRun(
  root: string,
  experiment: string,
  config: ExperimentConfig,
  lines: MetricLine[],
  wallMs: number,
): void {
  const id = runId(config, "wasm");
  const dir = new RunDir(join(root, experiment, id));
  mkdirSync(dir.dir, { recursive: true });
  dir.create({ runId: id, config });
  dir.writeMetrics(lines);
  dir.setStatus("finished", config.epochs - 1);
  dir.setProvenance({ ...newProvenance(id), wallMs });
}

test("measured costs come from the committed runs' wall time and step counts", () => {
  const root = mkdtempSync(join(tmpdir(), "padam-report-"));
  assert.match(
    paperNetworkCosts({ root }).line,
    /^No committed budget runs of the paper networks yet: create them with `npm run reproduce -- paper-networks`/,
  );
  const resnet18 = paperNetworkConfigs()[1];
  assert.equal(resnet18.preset, "cifar10-resnet18");
  // 40 steps in 80 s (2 s per step, 64 images/s); 1,000 test images in 10 s (0.01 s each).
  writeRun(
    root,
    "paper-networks",
    resnet18,
    [
      { epoch: 0, step: 40, split: "train", loss: 2, acc: 0.2, lr: 0.1, wallMs: 80000 },
      { epoch: 0, step: 40, split: "test", loss: 2, acc: 0.2, lr: 0.1, wallMs: 90000 },
    ],
    90000,
  );
  const { costs, missing, line } = paperNetworkCosts({ root });
  assert.deepEqual(missing, ["cifar10-vgg16", "cifar10-wrn16-4"]);
  assert.equal(costs.length, 1);
  assert.equal(costs[0].imagesPerSecond, 64);
  assert.ok(Math.abs(costs[0].projectedHours - (200 * (391 * 2 + 60000 * 0.01)) / 3600) < 1e-9);
  assert.match(line, /: 1 of 3 networks \(not yet: cifar10-vgg16, cifar10-wrn16-4\)\.$/);

  // A final run of 126 steps in 0.5 h: 14.29 s per step.
  const [first] = finalConfigs(referenceExperiment("p-sweep-fmnist"));
  writeRun(
    root,
    "p-sweep-fmnist",
    first,
    metrics(0.9, 0.8, 63).map((m) => ({ ...m, epoch: m.epoch })),
    1.8e6,
  );
  const r = loadReferenceResults("p-sweep-fmnist", { root });
  const [cost] = settingCosts(r);
  assert.equal(cost.runs, 1);
  assert.equal(cost.steps, 126);
  assert.ok(Math.abs(cost.secondsPerStep - 1800 / 126) < 1e-9 && Math.abs(cost.hoursPerRun - 0.5) < 1e-9);
  assert.ok(outcomeSentences(r).some((s) => s.startsWith("1 of the 15 planned final runs are finished")));
  // The same run as a live grid result: 126 steps of 64 images in 1,800 s → 4.48 images/s.
  const [speed] = runSpeeds([
    {
      label: "Padam",
      config: first,
      result: { dir: join(root, "p-sweep-fmnist", runId(first, "wasm")), metrics: metrics(0.9) },
    },
  ]);
  assert.equal(speed.unit, "images");
  assert.ok(Math.abs(speed.examplesPerSecond - (64 * 126) / 1800) < 1e-9, String(speed.examplesPerSecond));
  // ptb-lstm: 4 optimizers × 3 seeds planned even before any tuning run has chosen an lr.
  const [row] = overviewRows([loadReferenceResults("ptb-lstm", { root })]);
  assert.equal(row["final runs finished / planned"], "0 / 12");
  assert.equal(
    row.provenance,
    "No committed results for ptb-lstm yet: create them with npm run reproduce -- ptb-lstm.",
  );
  assert.deepEqual(outcomeSentences(loadReferenceResults("ptb-lstm", { root })), [
    "No committed results for ptb-lstm yet: create them with `npm run reproduce -- ptb-lstm`.",
  ]);
});
