/**
 * The committed reference results in words and costs, for the notebooks: a sentence per claim
 * generated from its verdict (so the text always matches the numbers), a ranking sentence per
 * experiment, the measured wall time per optimizer step of every setting, mean curves over seeds
 * with lines that stay distinguishable when they coincide, and the paper networks' measured
 * throughput with the projected cost of their full protocol on the machine that measured it.
 *
 * Costs come from what the runs recorded (`provenance.json` wall time, the metrics' step counter
 * and per-record wall clock), never from typed-in speeds.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson, type ExperimentConfig } from "../experiment/config";
import { fraction } from "../experiment/grid";
import { PRESETS } from "../experiment/presets";
import { FINAL_SEEDS, paperNetworkConfigs, PAPER_NETWORK_BUDGET } from "../experiment/reference";
import { experimentRunsDir } from "../experiment/reproduce";
import { RunDir, scanRuns, type MetricLine } from "../experiment/store";
import type { Figure, LineSeries } from "../notebook/plotly";
import type { ReferenceResults } from "./reference_results";
import {
  checkClaims,
  claimGroup,
  difference,
  formatStat,
  paperReference,
  type ClaimCheck,
  type Experiment,
  type Stat,
  type StatKey,
} from "./results_table";
import { FULL_TEST_SET_SIZE, testDifference, testEquivalence } from "./statistics";

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/**
 * One sentence for a decided claim, built from its verdict, the measured values and the interval:
 * "supported", "contradicted (against the paper)", "inconclusive (…neither confirm nor refute…)"
 * or "not measured". `where` names the experiment.
 */
export function claimSentence(c: ClaimCheck, where = ""): string {
  const on = where ? ` on ${where}` : "";
  switch (c.verdict) {
    case "supported":
      return `“${c.claim}” is supported${on}: ${c.measured}; the ${c.reason}.`;
    case "contradicted":
      return `“${c.claim}” is contradicted${on}${c.paper.startsWith(NOT_THE_PAPERS) ? "" : ", against the paper"}: ${c.measured}; the ${c.reason}.`;
    case "inconclusive":
      return `“${c.claim}” is inconclusive${on}: ${c.measured}; ${inconclusiveWhy(c.reason)}, so these runs neither confirm nor refute it.`;
    case "not measured":
      return `“${c.claim}” is not measured${on}: ${c.reason}.`;
  }
}

/** "the 95 % interval … contains 0" or "too few seeds (…)": the reason as a clause. */
function inconclusiveWhy(reason: string): string {
  return /^\d+ % interval/.test(reason) ? `the ${reason}` : reason;
}

/** "2 supported, 1 contradicted, 2 inconclusive" over `claims` (verdicts with no claim left out). */
export function verdictCounts(claims: readonly ClaimCheck[]): string {
  const order = ["supported", "contradicted", "inconclusive", "not measured"] as const;
  const parts = order.map((v) => [v, claims.filter((c) => c.verdict === v).length] as const).filter(([, n]) => n > 0);
  return parts.length ? parts.map(([v, n]) => `${n} ${v}`).join(", ") : "no claims decided";
}

/** The statistic an experiment is ranked by: test perplexity when its runs have one, else final test accuracy. */
export function rankingStat(exp: Experiment): StatKey {
  return exp.groups.some((g) => g.stats.finalTestPpl) ? "finalTestPpl" : "finalTestAcc";
}

/**
 * The settings of `exp` from best to worst by their mean {@link rankingStat}, in one sentence with
 * each mean, its 95 % interval and the number of seeds; with the paper's order of the same
 * optimizers when the paper has a row for the experiment. Settings without the statistic are left out.
 */
export function rankingSentence(exp: Experiment, digits = 2): string {
  const stat = rankingStat(exp);
  const lower = stat === "finalTestPpl";
  const ranked = exp.groups
    .filter((g) => g.stats[stat])
    .sort((a, b) => (lower ? 1 : -1) * (a.stats[stat]!.mean - b.stats[stat]!.mean));
  if (ranked.length === 0) return "No finished run to rank yet.";
  const what = lower ? "test perplexity, lowest first" : "final test accuracy (%), highest first";
  const items = ranked.map(
    (g) =>
      `${g.label} ${formatStat(g.stats[stat], digits)} (${g.stats[stat]!.n} seed${g.stats[stat]!.n === 1 ? "" : "s"})`,
  );
  let text = `Ranked by ${what}, mean [95 % interval]: ${items.join("; ")}.`;
  const ref = paperReference(exp);
  const inPaper = ranked.filter((g) => ref?.row[g.optimizer] !== undefined && claimGroup(exp, g.optimizer) === g);
  if (ref && inPaper.length > 1) {
    const paperOrder = [...inPaper].sort((a, b) => (lower ? 1 : -1) * (ref.row[a.optimizer]! - ref.row[b.optimizer]!));
    const same = paperOrder.every((g, i) => g === inPaper[i]);
    text += ` The paper (${ref.name}) orders them ${paperOrder.map((g) => `${g.label} ${ref.row[g.optimizer]}`).join(", ")}: ${same ? "the same order" : "a different order"}.`;
  }
  return text;
}

/**
 * The outcome of an experiment's committed results in sentences: the provenance line alone when
 * nothing is committed; else per experiment a ranking sentence, then, where the experiment compares
 * optimizers, a count of verdicts and one sentence per paper claim, and where it compares Padam's
 * p, one sentence per {@link pSweepClaims} decision; a note on stale and missing runs.
 */
export function outcomeSentences(r: ReferenceResults): string[] {
  if (r.experiments.length === 0) {
    const done = r.tuning.filter((t) => t.status !== "missing").length;
    if (done === 0) return [r.provenanceLine];
    return [
      `No final run yet: ${done} of the ${r.tuning.length} tuning runs are done; the final runs of each optimizer start once its whole grid is done (\`npm run reproduce -- ${r.experiment.name}\`).`,
    ];
  }
  const out: string[] = [];
  for (const exp of r.experiments) {
    out.push(rankingSentence(exp));
    const claims = [...(comparesOptimizers(exp) ? checkClaims(exp) : []), ...pSweepClaims(exp)];
    if (claims.length)
      out.push(`The paper's claims on these runs: ${verdictCounts(claims)}.`, ...claims.map((c) => claimSentence(c)));
    const own = biasFactorClaims(exp);
    if (own.length)
      out.push(
        `The workbook's statements on Padam's bias factor: ${verdictCounts(own)}.`,
        ...own.map((c) => claimSentence(c)),
      );
  }
  if (r.stale.length)
    out.push(
      `${r.stale.length} committed run(s) were made by sources that differ from today's and are left out until re-run or verified: ${r.stale.join(", ")}.`,
    );
  if (r.finished < plannedFinalRuns(r))
    out.push(
      `${r.finished} of the ${plannedFinalRuns(r)} planned final runs are finished; the rest are still to come from \`npm run reproduce -- ${r.experiment.name}\`.`,
    );
  return out;
}

/** True when the experiment has more than one optimizer (so the paper's optimizer claims apply). */
function comparesOptimizers(exp: Experiment): boolean {
  return new Set(exp.groups.map((g) => g.optimizer)).size > 1;
}

/**
 * The claims that apply to an experiment: the paper's optimizer claims ({@link checkClaims})
 * where it compares optimizers, the p-sweep claims ({@link pSweepClaims}) where it compares p, and
 * the bias-factor claims ({@link biasFactorClaims}) where it compares Padam's two factors.
 */
export function experimentClaims(exp: Experiment): ClaimCheck[] {
  return [...(comparesOptimizers(exp) ? checkClaims(exp) : []), ...pSweepClaims(exp), ...biasFactorClaims(exp)];
}

/** Final runs an experiment plans once every lr is chosen: each arm with every seed of {@link FINAL_SEEDS}. */
export function plannedFinalRuns(r: Pick<ReferenceResults, "experiment">): number {
  return r.experiment.arms.length * FINAL_SEEDS.length;
}

/** One row per reference experiment: its question, provenance line, final runs finished of planned, stale runs. */
export function overviewRows(results: readonly ReferenceResults[]): Record<string, string | number>[] {
  return results.map((r) => ({
    experiment: r.experiment.name,
    question: r.experiment.question,
    // A table shows text as is: the command needs no code quotes there.
    provenance: r.provenanceLine.replace(/`/g, ""),
    "final runs finished / planned": `${r.finished} / ${plannedFinalRuns(r)}`,
    "stale runs left out": r.stale.length,
  }));
}

/** One claim as a table row: the verdict and its interval first, then how it was decided. */
export function claimRow(c: ClaimCheck): Record<string, string> {
  return {
    claim: c.claim,
    verdict: c.verdict,
    interval: c.interval,
    measured: c.measured,
    test: c.test,
    paper: c.paper,
    reason: c.reason,
  };
}

/** Every applicable claim of every experiment of `results`, one row each, for a summary table. */
export function claimRows(results: readonly ReferenceResults[]): Record<string, string>[] {
  return results.flatMap((r) =>
    r.experiments.flatMap((exp) =>
      experimentClaims(exp).map((c) => ({ experiment: r.experiment.name, ...claimRow(c) })),
    ),
  );
}

/**
 * Padam's early (after the first epoch) and final test accuracy against p, mean over seeds with
 * the half-width of the 95 % interval as error bar (none for one seed), for a p-sweep experiment.
 */
export function pSweepSeries(exp: Experiment): LineSeries[] {
  const gs = exp.groups
    .filter((g) => g.optimizer === "padam" && g.partial !== undefined)
    .sort((a, b) => a.partial! - b.partial!);
  const series = (key: "earlyTestAcc" | "finalTestAcc", name: string): LineSeries => {
    const have = gs.filter((g) => g.stats[key]);
    const half = (g: (typeof gs)[number]) => (g.stats[key]!.n > 1 ? g.stats[key]!.ci[1] - g.stats[key]!.mean : NaN);
    return {
      name,
      x: have.map((g) => g.partial!),
      y: have.map((g) => g.stats[key]!.mean),
      error: have.map(half),
      mode: "lines+markers",
    };
  };
  return [series("earlyTestAcc", "after the first epoch"), series("finalTestAcc", "final")];
}

/** The paper's p: the official CIFAR scripts pass 1/8, and the p sweep finds it best (docs/paper-notes.md). */
export const PAPER_BEST_P = 0.125;

/**
 * The paper's p-sweep claim, "p = 1/8 gives the best final test accuracy", decided on an
 * experiment of Padam settings that differ only in p: one two-sided Welch test of p = 1/8 against
 * each other p ({@link testDifference}); none when the experiment has no p = 1/8 or one p only.
 */
export function pSweepClaims(exp: Experiment): ClaimCheck[] {
  const padam = exp.groups.filter(
    (g) => g.optimizer === "padam" && g.partial !== undefined && g.stats.finalTestAcc && !consistentFactor(g),
  );
  const best = padam.find((g) => g.partial === PAPER_BEST_P);
  if (!best || padam.length < 2) return [];
  const a = best.stats.finalTestAcc!;
  return padam
    .filter((g) => g !== best)
    .map((g) => {
      const b = g.stats.finalTestAcc!;
      const d = testDifference(a, b);
      return {
        claim: `p = 1/8 better than p = ${fraction(g.partial!)} at the end`,
        test: "difference ≠ 0: 95 % Welch interval",
        paper: "p-sweep figure (CIFAR, ResNet): p = 1/8 best at lr 0.1",
        measured: `${best.label} ${formatStat(a)} (${seedCount(a.n)}) vs ${g.label} ${formatStat(b)} (${seedCount(b.n)}): ${difference(a.mean - b.mean, "points", true)}`,
        interval: Number.isNaN(d.ci[0]) ? "" : `95 % [${signed(d.ci[0])}, ${signed(d.ci[1])}]`,
        verdict: d.verdict,
        reason: d.reason,
      };
    });
}

/** Whether a Padam group runs with the consistent bias factor (1 − β2^t)^p/(1 − β1^t). */
function consistentFactor(g: Experiment["groups"][number]): boolean {
  return g.optimizerOptions.biasCorrection === "consistent";
}

/** How a claim that is the workbook's, not the paper's, begins its `paper` field. */
const NOT_THE_PAPERS = "not the paper's";

/** Margin of "the factor no longer matters at the end", in accuracy points (the paper claims' margin). */
export const BIAS_FACTOR_MARGIN = 1;

/**
 * The workbook's explanation of why short runs rank Padam low (notebook 01, docs/paper-notes.md
 * §1.2), decided on an experiment that runs Padam with the official factor sqrt(1 − β2^t)/(1 − β1^t)
 * and with the consistent one (1 − β2^t)^p/(1 − β1^t), all else equal (same p and lr):
 *
 * - "the official factor slows Padam early": consistent − official test accuracy after the first
 *   epoch, two-sided 95 % Welch interval (supported above 0, contradicted below);
 * - "the factor no longer matters at the end": the final test accuracies equivalent within
 *   ±{@link BIAS_FACTOR_MARGIN} point (TOST, 90 % interval).
 *
 * None when the experiment lacks either factor at a common p. Not claims of the paper: its code
 * uses the official factor throughout.
 */
export function biasFactorClaims(exp: Experiment): ClaimCheck[] {
  const padam = exp.groups.filter((g) => g.optimizer === "padam" && g.partial !== undefined);
  const consistent = padam.find(consistentFactor);
  const official = padam.find(
    (g) =>
      !consistentFactor(g) &&
      consistent !== undefined &&
      g.partial === consistent.partial &&
      g.optimizerOptions.learningRate === consistent.optimizerOptions.learningRate,
  );
  if (!consistent || !official) return [];
  const paper = `${NOT_THE_PAPERS}: its code uses the official factor (the workbook's account of short runs)`;
  const side = (g: typeof consistent, s: Stat) => `${g.label} ${formatStat(s)} (${seedCount(s.n)})`;
  const decide = (claim: string, key: "earlyTestAcc" | "finalTestAcc", equivalence: boolean): ClaimCheck => {
    const [a, b] = [consistent.stats[key], official.stats[key]];
    const test = equivalence
      ? `equivalence within ±${BIAS_FACTOR_MARGIN.toFixed(2)} points: TOST, 90 % interval`
      : "difference ≠ 0: 95 % Welch interval";
    if (!a || !b)
      return {
        claim,
        test,
        paper,
        measured: `no finished run with the ${!a ? "consistent" : "official"} factor`,
        interval: "",
        verdict: "not measured",
        reason: `no ${key === "earlyTestAcc" ? "first-epoch" : "final"} test accuracy of both factors`,
      };
    const d = equivalence ? testEquivalence(a, b, BIAS_FACTOR_MARGIN) : testDifference(a, b);
    return {
      claim,
      test,
      paper,
      measured: `${side(consistent, a)} vs ${side(official, b)}: ${difference(a.mean - b.mean, "points", true)}`,
      interval: Number.isNaN(d.ci[0]) ? "" : `${Math.round(100 * d.level)} % [${signed(d.ci[0])}, ${signed(d.ci[1])}]`,
      verdict: d.verdict,
      reason: d.reason,
    };
  };
  return [
    decide(
      "the official bias factor slows Padam early: the consistent one ahead after the first epoch",
      "earlyTestAcc",
      false,
    ),
    decide("the bias factor no longer matters at the end: final accuracies within ±1 point", "finalTestAcc", true),
  ];
}

const signed = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(2);
const seedCount = (n: number) => `${n} seed${n === 1 ? "" : "s"}`;

// ---------------------------------------------------------------------------------------------
// Curves
// ---------------------------------------------------------------------------------------------

/**
 * Per setting of `exp`, the mean over its seeds of `quantity` on `split` per epoch (accuracy and
 * error in percent), as line series; an epoch counts only where every seed has a value.
 */
export function meanCurves(
  exp: Experiment,
  split: MetricLine["split"],
  quantity: "loss" | "acc" | "error" | "ppl",
): LineSeries[] {
  const value = (m: MetricLine) =>
    quantity === "loss"
      ? m.loss
      : quantity === "ppl"
        ? m.ppl
        : m.acc === undefined
          ? undefined
          : quantity === "acc"
            ? 100 * m.acc
            : 100 * (1 - m.acc);
  return exp.groups
    .filter((g) => g.runs.length > 0)
    .map((g) => {
      const perRun = g.runs.map(
        (r) => new Map(r.metrics.filter((m) => m.split === split).map((m) => [m.epoch, value(m)])),
      );
      const epochs = [...perRun[0].keys()]
        .filter((e) => perRun.every((m) => typeof m.get(e) === "number"))
        .sort((a, b) => a - b);
      const y = epochs.map((e) => perRun.reduce((s, m) => s + (m.get(e) as number), 0) / perRun.length);
      return {
        name: `${g.label} (${g.runs.length} seed${g.runs.length === 1 ? "" : "s"})`,
        x: epochs.map((e) => e + 1),
        y,
        mode: "lines+markers" as const,
      };
    });
}

const DASHES = ["solid", "dash", "dot", "dashdot"] as const;
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"] as const;

/**
 * Gives every line trace of `fig` its own marker symbol and cycles the dash pattern, so lines
 * that lie on top of each other (Adam under AMSGrad) stay visible. Returns `fig`.
 */
export function distinctLines(fig: Figure): Figure {
  fig.data.forEach((t, i) => {
    if (t.type !== "scatter") return;
    t.mode = "lines+markers";
    t.line = { ...(t.line as Record<string, unknown>), dash: DASHES[i % DASHES.length] };
    t.marker = { ...(t.marker as Record<string, unknown>), symbol: SYMBOLS[i % SYMBOLS.length], size: 8 };
  });
  return fig;
}

// ---------------------------------------------------------------------------------------------
// Costs
// ---------------------------------------------------------------------------------------------

/** Last optimizer step of a run (the step counter of its last record); 0 without records. */
function lastStep(metrics: readonly MetricLine[]): number {
  return metrics.reduce((s, m) => Math.max(s, m.step ?? 0), 0);
}

/** The measured cost of one setting's final runs. */
export interface SettingCost {
  setting: string;
  runs: number;
  /** Optimizer steps per run. */
  steps: number;
  /** Mean wall time per optimizer step (evaluation included), seconds. */
  secondsPerStep: number;
  /** Mean wall time per run, hours. */
  hoursPerRun: number;
}

/**
 * Per setting of the committed final runs: wall time per optimizer step and per run, from each
 * run's `provenance.json` (total training wall time over its sessions, evaluation included)
 * divided by its step count. Runs without provenance are left out.
 */
export function settingCosts(r: ReferenceResults): SettingCost[] {
  return r.experiments.flatMap((exp) =>
    exp.groups.flatMap((g) => {
      const measured = g.runs
        .map((run) => ({ wallMs: new RunDir(join(r.dir, run.id)).provenance()?.wallMs, steps: lastStep(run.metrics) }))
        .filter(
          (m): m is { wallMs: number; steps: number } => typeof m.wallMs === "number" && m.wallMs > 0 && m.steps > 0,
        );
      if (measured.length === 0) return [];
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return [
        {
          setting: g.label,
          runs: measured.length,
          steps: Math.round(mean(measured.map((m) => m.steps))),
          secondsPerStep: mean(measured.map((m) => m.wallMs / 1000 / m.steps)),
          hoursPerRun: mean(measured.map((m) => m.wallMs / 3.6e6)),
        },
      ];
    }),
  );
}

/** One paper network's budget run and what its full protocol would cost at the measured speed. */
export interface NetworkCost {
  preset: string;
  model: string;
  batchSize: number;
  /** Optimizer steps of the budget run. */
  steps: number;
  /** Training wall time per step (no evaluation), seconds; images/s = batchSize / secondsPerStep. */
  secondsPerStep: number;
  imagesPerSecond: number;
  /** Wall time per evaluated image (forward pass only), seconds. */
  secondsPerEvalImage: number;
  /**
   * The paper's protocol at these speeds: epochs × (steps per epoch × secondsPerStep + evaluated
   * images per epoch × secondsPerEvalImage), in hours; evaluated images are the test set, plus the
   * training set again where the preset measures train metrics by a second pass.
   */
  projectedHours: number;
  /** "wasm, 2 thread(s), 2-core <cpu>". */
  machine: string;
}

/**
 * Cost of the paper protocol of `preset` from a measured step time and evaluation time per image:
 * epochs × (⌈trainSize / batch⌉ · secondsPerStep + (testSize [+ trainSize with a second pass]) ·
 * secondsPerEvalImage) / 3600 hours.
 */
export function projectedProtocolHours(preset: string, secondsPerStep: number, secondsPerEvalImage: number): number {
  const p = PRESETS[preset];
  if (!p)
    throw new Error(`projectedProtocolHours: preset ${JSON.stringify(preset)} is unknown; allowed: a name of PRESETS`);
  const trainSize = p.trainSize;
  const testSize = FULL_TEST_SET_SIZE[p.base.dataset];
  if (trainSize === undefined || testSize === undefined)
    throw new Error(`projectedProtocolHours: preset ${preset} has no fixed training or test set size`);
  const steps = Math.ceil(trainSize / p.base.batchSize);
  const evalImages = testSize + (p.base.trainMetrics === "second-pass" ? trainSize : 0);
  return (p.base.epochs * (steps * secondsPerStep + evalImages * secondsPerEvalImage)) / 3600;
}

/** One budget run's cost from its records: the train record's wall time and the test record's. */
function networkCost(
  config: ExperimentConfig,
  metrics: readonly MetricLine[],
  machine: string,
): NetworkCost | undefined {
  const train = metrics.find((m) => m.split === "train" && m.epoch === 0);
  const test = metrics.find((m) => m.split === "test" && m.epoch === 0);
  if (!train || !test || !(train.step > 0) || !(test.wallMs > train.wallMs)) return undefined;
  const secondsPerStep = train.wallMs / 1000 / train.step;
  const secondsPerEvalImage = (test.wallMs - train.wallMs) / 1000 / (config.testLimit as number);
  const preset = config.preset as string;
  return {
    preset,
    model: config.model,
    batchSize: config.batchSize,
    steps: train.step,
    secondsPerStep,
    imagesPerSecond: config.batchSize / secondsPerStep,
    secondsPerEvalImage,
    projectedHours: projectedProtocolHours(preset, secondsPerStep, secondsPerEvalImage),
    machine,
  };
}

/**
 * The paper networks' committed budget runs (`results/paper-networks/`, `npm run reproduce --
 * paper-networks`): measured throughput and projected full-protocol cost per network, and the
 * networks with no finished budget run yet. `root` overrides `results/`.
 */
export function paperNetworkCosts(options: { root?: string } = {}): {
  costs: NetworkCost[];
  missing: string[];
  line: string;
} {
  const dir = experimentRunsDir("paper-networks", options.root);
  const { runs } = existsSync(dir) ? scanRuns(dir) : { runs: [] };
  const costs: NetworkCost[] = [];
  const missing: string[] = [];
  for (const config of paperNetworkConfigs()) {
    const run = runs.find((r) => canonicalJson(r.config) === canonicalJson(config) && r.status?.status === "finished");
    const p = run && new RunDir(run.dir).provenance();
    const machine = p
      ? `${p.backend?.name ?? "?"}, ${p.backend?.threads ?? "?"} thread(s), ${p.machine.cores}-core ${p.machine.cpu}`
      : "";
    const cost = run && networkCost(config, run.metrics, machine);
    if (cost) costs.push(cost);
    else missing.push(config.preset as string);
  }
  const line =
    costs.length === 0
      ? `No committed budget runs of the paper networks yet: create them with \`npm run reproduce -- paper-networks\` (${PAPER_NETWORK_BUDGET.steps} steps each).`
      : `Measured on ${[...new Set(costs.map((c) => c.machine))].join(" / ")}: ${costs.length} of ${costs.length + missing.length} networks` +
        (missing.length ? ` (not yet: ${missing.join(", ")})` : "") +
        ".";
  return { costs, missing, line };
}

/** One run's measured speed: wall time per optimizer step and examples (images or tokens) per second. */
export interface RunSpeed {
  run: string;
  steps: number;
  /** Training wall time per step from `provenance.json` (evaluation included), seconds. */
  secondsPerStep: number;
  /** Images (or tokens: batch × BPTT for a language model) per second at that speed. */
  examplesPerSecond: number;
  unit: "images" | "tokens";
}

/**
 * Measured speed of runs just trained or reused (as `runGrid` returns them): wall time from each
 * run's provenance over its last step. Runs without provenance or steps are left out.
 */
export function runSpeeds(
  runs: readonly { label: string; config: ExperimentConfig; result: { dir: string; metrics: readonly MetricLine[] } }[],
): RunSpeed[] {
  return runs.flatMap(({ label, config, result }) => {
    const wallMs = new RunDir(result.dir).provenance()?.wallMs;
    const steps = lastStep(result.metrics);
    if (!(typeof wallMs === "number" && wallMs > 0 && steps > 0)) return [];
    const language = config.dataset === "ptb";
    const perStep = config.batchSize * (language ? (config.bptt ?? 1) : 1);
    const secondsPerStep = wallMs / 1000 / steps;
    return [
      {
        run: label,
        steps,
        secondsPerStep,
        examplesPerSecond: perStep / secondsPerStep,
        unit: language ? ("tokens" as const) : ("images" as const),
      },
    ];
  });
}
