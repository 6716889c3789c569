/**
 * Measured results against the paper's tables: runs (from `listRuns()` or a `runGrid` result)
 * grouped into experiments (a preset with one setting of everything but the optimizer and the
 * seed) and, within an experiment, into optimizer groups with the mean over seeds, its 95 %
 * interval and every seed's value; side-by-side rows "measured vs paper" (the paper's tables,
 * Chen et al., arXiv:1806.06763); and the paper's claims (Padam ≈ SGD-M, both better than
 * Adam/AMSGrad at the end; Padam as fast as Adam early) each decided two-sided, with its interval,
 * by the tests of `./statistics`.
 *
 * Used by notebooks 04-cifar10, 05-imagenet, 06-ptb-lstm and 08-summary.
 */
import { basename, isAbsolute, relative } from "node:path";
import { REPO_ROOT } from "../util/paths";
import { createHash } from "node:crypto";
import { canonicalJson, type ExperimentConfig } from "../experiment/config";
import { runLabel } from "../experiment/grid";
import {
  PAPER_CIFAR10_ACCURACY,
  PAPER_IMAGENET_ACCURACY,
  PAPER_PTB_PERPLEXITY,
  PAPER_TABLE_OPTIMIZERS,
} from "../experiment/paper_results";
import { PRESETS, presetConfig } from "../experiment/presets";
import type { MetricLine, StatusFile } from "../experiment/store";
import { OPTIMIZERS, type AnyOptimizerOptions, type OptimizerName } from "../optim/registry";
import {
  ACCURACY_MARGIN,
  PERPLEXITY_MARGIN_FRACTION,
  groupBy,
  runNumbers,
  seedStat,
  testDifference,
  testEquivalence,
  testNonInferiority,
  testSetSize,
  type Decision,
  type RunNumbers,
  type SeedStat,
  type Verdict,
} from "./statistics";

/** One run as `listRuns()` returns it. */
export interface RunRecord {
  id: string;
  config: ExperimentConfig;
  status?: Pick<StatusFile, "status"> & Partial<StatusFile>;
  metrics: MetricLine[];
}

/** A statistic over the seeds of one optimizer setting (see {@link SeedStat}). */
export type Stat = SeedStat;

/** The per-run numbers that become statistics over seeds ({@link RunNumbers} less the counts). */
export type StatKey = Exclude<keyof RunNumbers, "epochs" | "decayEpoch">;
const STAT_KEYS: StatKey[] = [
  "finalTestAcc",
  "bestTestAcc",
  "finalTop5Acc",
  "finalTestPpl",
  "finalValidPpl",
  "finalTrainLoss",
  "earlyTestAcc",
  "earlyValidPpl",
  "earlyTrainLoss",
  "preDecayTestAcc",
  "decayGain",
  "wallSeconds",
];
/** Accuracies measured on the test set, which carry its binomial standard error. */
const TEST_ACCURACY_KEYS: ReadonlySet<StatKey> = new Set([
  "finalTestAcc",
  "bestTestAcc",
  "finalTop5Acc",
  "earlyTestAcc",
  "preDecayTestAcc",
]);

/** Runs of one optimizer setting within an experiment, over seeds. */
export interface RunGroup {
  /** Hash of the config without the seed. */
  key: string;
  optimizer: OptimizerName;
  partial?: number;
  /**
   * Legend label, unique within the experiment: the optimizer's label plus every optimizer
   * option that differs between its groups ("Adam (lr 0.1)" beside "Adam (lr 0.001)").
   */
  label: string;
  /** Optimizer options that differ from the preset's (e.g. "lr 0.01"); "" when none. */
  optimizerVariant: string;
  /** The setting's optimizer options as configured. */
  optimizerOptions: AnyOptimizerOptions;
  /** Seeds of the finished runs, ascending. */
  seeds: number[];
  /** Finished runs, one per seed (diverged and unfinished runs are counted, not averaged). */
  runs: RunRecord[];
  diverged: number;
  unfinished: number;
  /**
   * Finished runs left out because another finished run has the same seed (the same config on
   * another backend): a seed counts once, as the first run by id.
   */
  repeatedSeeds: number;
  /**
   * Statistics over the finished runs, every seed's value kept (absent where no run has the
   * number); test-set accuracies carry the binomial standard error of the run's test set.
   */
  stats: Partial<Record<StatKey, Stat>>;
  epochs: number;
}

/** All runs of one preset with one setting of everything but optimizer and seed. */
export interface Experiment {
  key: string;
  preset: string;
  /** "reduced": a paper preset with overrides (fewer epochs, smaller data): not the paper's protocol. */
  scale: "paper" | "reduced" | "cpu" | "smoke" | "custom";
  /** What differs from the preset ("epochs 3, trainLimit 600"); "" for the preset itself. */
  variant: string;
  /** Number of layers of an LSTM language model (decides the PTB paper row). */
  lstmLayers?: number;
  groups: RunGroup[];
}

const hash = (v: unknown) => createHash("sha256").update(canonicalJson(v)).digest("hex").slice(0, 10);

function presetOf(config: ExperimentConfig): string {
  return config.preset ?? `${config.model}-${config.dataset}`;
}

function portablePath(p: string): string {
  const rel = relative(REPO_ROOT, p);
  return !isAbsolute(p) ? p : rel.startsWith("..") || isAbsolute(rel) ? basename(p) : rel;
}

// Numbers to 4 significant digits: a computed option (AdamW's normalized decay, 0.5270462766947299) reads 0.527.
const showValue = (v: unknown) =>
  v === undefined
    ? "unset"
    : typeof v === "number"
      ? String(Number(v.toPrecision(4)))
      : typeof v === "object"
        ? canonicalJson(v)
        : String(v);

/** A field of a config or an options record, by a name that `Object.keys` gave. */
const field = (o: object, k: string): unknown => (o as Record<string, unknown>)[k];

/** Fields (top level, sorted) whose values differ between `a` and `b`, less `skip`. */
function differingKeys(a: object, b: object, skip: readonly string[] = []): string[] {
  const keys = Array.from(new Set([...Object.keys(a), ...Object.keys(b)]))
    .filter((k) => !skip.includes(k))
    .sort();
  return keys.filter((k) => canonicalJson(field(a, k) ?? null) !== canonicalJson(field(b, k) ?? null));
}

/** Fields of `a` that differ from `b` (top level), as "name value" parts. */
function differences(a: object, b: object, skip: string[]): string[] {
  // A data folder is named by its path inside the checkout, or its last part: reports never show this machine's paths.
  const show = (k: string) => {
    const v = field(a, k);
    return k === "dataRoot" && typeof v === "string" ? portablePath(v) : showValue(v);
  };
  return differingKeys(a, b, skip).map((k) => `${k} ${show(k)}`);
}

const OPTION_NAMES: Record<string, string> = { learningRate: "lr", weightDecay: "wd", partial: "p" };

/** Optimizer options of `config` that differ from its preset's (Padam's p aside: its label shows it). */
function optimizerOverrideKeys(config: Pick<ExperimentConfig, "preset" | "optimizer" | "optimizerOptions">): string[] {
  if (config.preset === undefined || PRESETS[config.preset] === undefined) return [];
  const base = presetConfig(config.preset, config.optimizer);
  return differingKeys(config.optimizerOptions, base.optimizerOptions, config.optimizer === "padam" ? ["partial"] : []);
}

/** What a config changes relative to its preset: the experiment part and the optimizer part. */
export function describeOverrides(config: ExperimentConfig): { experiment: string; optimizer: string } {
  if (config.preset === undefined || PRESETS[config.preset] === undefined)
    return { experiment: "custom config", optimizer: "" };
  const base = presetConfig(config.preset, config.optimizer);
  const experiment = differences(config, base, ["seed", "optimizer", "optimizerOptions"]).join(", ");
  const optimizer = optimizerOverrideKeys(config)
    .map((k) => `${OPTION_NAMES[k] ?? k} ${showValue(field(config.optimizerOptions, k))}`)
    .join(", ");
  return { experiment, optimizer };
}

function lstmLayersOf(config: ExperimentConfig): number | undefined {
  if (config.model !== "lstm-lm") return undefined;
  const mc = config.modelConfig ?? {};
  if (typeof mc.numLayers === "number") return mc.numLayers;
  return mc.preset === "ptb-lstm3" ? 3 : 2;
}

const optimizerRank = (o: string) => {
  const i = PAPER_TABLE_OPTIMIZERS.indexOf(o as OptimizerName);
  return i < 0 ? PAPER_TABLE_OPTIMIZERS.length : i;
};

function newExperiment(key: string, preset: string, config: ExperimentConfig): Experiment {
  const variant = describeOverrides(config).experiment;
  const base = PRESETS[preset]?.scale;
  const scale = base === undefined ? "custom" : base === "paper" && variant !== "" ? "reduced" : base;
  return { key, preset, variant, scale, lstmLayers: lstmLayersOf(config), groups: [] };
}

/** Statistics over seeds of every per-run number that at least one run has. */
function groupStats(runs: readonly RunRecord[]): Partial<Record<StatKey, Stat>> {
  const numbers = runs.map((r) => runNumbers(r.metrics));
  const stats: Partial<Record<StatKey, Stat>> = {};
  for (const key of STAT_KEYS) {
    const have = numbers
      .map((n, i) => ({ v: n[key], seed: runs[i].config.seed }))
      .filter((x): x is { v: number; seed: number } => x.v !== undefined && Number.isFinite(x.v));
    if (!have.length) continue;
    const size = TEST_ACCURACY_KEYS.has(key) ? testSetSize(runs[0].config) : undefined;
    stats[key] = seedStat(
      have.map((x) => x.v),
      { seeds: have.map((x) => x.seed), testSetSize: size },
    );
  }
  return stats;
}

/** One optimizer setting's group from its runs (all seeds, any status). */
function newGroup(key: string, runs: readonly RunRecord[]): RunGroup {
  const config = runs[0].config;
  const p = config.optimizerOptions.partial;
  const done = runs
    .filter((r) => r.status?.status === "finished")
    .sort((a, b) => a.config.seed - b.config.seed || a.id.localeCompare(b.id));
  const finished = done.filter((r, i) => i === 0 || r.config.seed !== done[i - 1].config.seed);
  const diverged = runs.filter((r) => r.status?.status === "diverged").length;
  return {
    key,
    optimizer: config.optimizer,
    partial: config.optimizer === "padam" && typeof p === "number" ? p : undefined,
    label: runLabel(config),
    optimizerVariant: describeOverrides(config).optimizer,
    optimizerOptions: config.optimizerOptions,
    seeds: finished.map((r) => r.config.seed),
    runs: finished,
    diverged,
    unfinished: runs.length - done.length - diverged,
    repeatedSeeds: done.length - finished.length,
    stats: groupStats(finished),
    epochs: Math.max(0, ...finished.map((r) => runNumbers(r.metrics).epochs)),
  };
}

/**
 * Adds the variant to the labels of an experiment's groups: every optimizer option that differs
 * between groups of one optimizer label, or from the preset ("Adam (lr 0.1)" beside
 * "Adam (lr 0.001)"; "Padam (p = 1/8, lr 0.01)"), so that two settings of one optimizer are never
 * drawn as one bar or one line and a non-default setting never passes for the default.
 */
function distinguishLabels(exp: Experiment): void {
  for (const same of groupBy(exp.groups, (g) => g.label)) {
    const options = same.items.map((g) => g.optimizerOptions);
    const keys = Array.from(new Set(options.flatMap((o) => Object.keys(o))));
    const amongThem = keys.filter((k) => new Set(options.map((o) => canonicalJson(field(o, k) ?? null))).size > 1);
    for (const g of same.items) {
      const shown = new Set([
        ...amongThem,
        ...optimizerOverrideKeys({ preset: exp.preset, optimizer: g.optimizer, optimizerOptions: g.optimizerOptions }),
      ]);
      const parts = [...shown]
        .sort()
        // An option one group leaves unset runs at the optimizer's default: show that value.
        .map(
          (k) =>
            `${OPTION_NAMES[k] ?? k} ${showValue(field(g.optimizerOptions, k) ?? field(OPTIMIZERS[g.optimizer].defaults, k))}`,
        )
        .join(", ");
      if (parts) g.label = g.label.endsWith(")") ? `${g.label.slice(0, -1)}, ${parts})` : `${g.label} (${parts})`;
    }
  }
}

/**
 * Groups runs (as `listRuns()` returns them, or {@link gridRecords} of a `runGrid` result) into
 * experiments (one preset and one setting of everything but optimizer and seed) and, within
 * each, optimizer groups with statistics over seeds. `presets` keeps only those presets (in that
 * order; otherwise paper presets first, then CPU scale, then smoke). Grouping is by
 * {@link groupBy} (danfojs-node) on hashes of the config less the seed (and less the optimizer
 * for the experiment).
 */
export function collectExperiments(runs: readonly RunRecord[], opts: { presets?: string[] } = {}): Experiment[] {
  const kept = runs.filter((r) => !opts.presets || opts.presets.includes(presetOf(r.config)));
  const experimentKey = (r: RunRecord) => {
    const { seed: _s, optimizer: _o, optimizerOptions: _oo, ...rest } = r.config;
    return `${presetOf(r.config)}|${hash(rest)}`;
  };
  const out = groupBy(kept, experimentKey).map(({ key, items }) => {
    const exp = newExperiment(key, presetOf(items[0].config), items[0].config);
    exp.groups = groupBy(items, (r) => hash({ ...r.config, seed: undefined })).map((g) => newGroup(g.key, g.items));
    distinguishLabels(exp);
    exp.groups.sort(
      (a, b) =>
        optimizerRank(a.optimizer) - optimizerRank(b.optimizer) ||
        (b.partial ?? 0) - (a.partial ?? 0) ||
        a.label.localeCompare(b.label),
    );
    return exp;
  });
  const scaleRank = { paper: 0, reduced: 1, cpu: 2, smoke: 3, custom: 4 };
  return out.sort((a, b) => {
    if (opts.presets)
      return opts.presets.indexOf(a.preset) - opts.presets.indexOf(b.preset) || a.variant.localeCompare(b.variant);
    return (
      scaleRank[a.scale] - scaleRank[b.scale] || a.preset.localeCompare(b.preset) || a.variant.localeCompare(b.variant)
    );
  });
}

/** Runs from a `runGrid` result, in the shape `collectExperiments` takes. */
export function gridRecords(
  results: readonly {
    config: ExperimentConfig;
    result: { runId: string; status: StatusFile["status"]; metrics: MetricLine[] };
  }[],
): RunRecord[] {
  return results.map(({ config, result }) => ({
    id: result.runId,
    config,
    status: { status: result.status },
    metrics: result.metrics,
  }));
}

/** Which paper number an experiment is compared with. */
export interface PaperReference {
  /** "CIFAR-10 ResNet-18", "ImageNet VGG-16", "PTB 2-layer LSTM". */
  name: string;
  /** The measured statistic that corresponds to the paper's number. */
  stat: StatKey;
  /** Higher is better (accuracy) or lower (perplexity). */
  higherIsBetter: boolean;
  unit: string;
  row: Partial<Record<OptimizerName, number>>;
  /** Optional second number (ImageNet top-5). */
  top5?: Partial<Record<OptimizerName, number>>;
  /** True when the experiment is the paper's own protocol; false for a CPU-scale stand-in. */
  sameProtocol: boolean;
}

/**
 * The paper's table row for an experiment: its own row for the paper presets; for CPU-scale
 * presets the nearest paper row (ResNet-20 → ResNet-18, small LSTM → 2- or 3-layer LSTM), marked
 * `sameProtocol: false`; none for Fashion-MNIST and smoke runs.
 */
export function paperReference(
  exp: Pick<Experiment, "preset" | "lstmLayers"> & { scale?: Experiment["scale"] },
): PaperReference | undefined {
  // A paper preset run with overrides (fewer epochs, a data subset) is not the paper's protocol.
  const reduced = exp.scale === "reduced";
  const acc = (name: string, row: Partial<Record<OptimizerName, number>>, same: boolean): PaperReference => ({
    name,
    stat: "finalTestAcc",
    higherIsBetter: true,
    unit: "test accuracy (%)",
    row,
    sameProtocol: same && !reduced,
  });
  const ppl = (layers: number, same: boolean): PaperReference => ({
    name: `PTB ${layers}-layer LSTM`,
    stat: "finalTestPpl",
    higherIsBetter: false,
    unit: "test perplexity",
    row: PAPER_PTB_PERPLEXITY[layers >= 3 ? "ptb-lstm3" : "ptb-lstm2"],
    sameProtocol: same && !reduced,
  });
  switch (exp.preset) {
    case "cifar10-vgg16":
      return acc("CIFAR-10 VGG-16", PAPER_CIFAR10_ACCURACY.vgg16, true);
    case "cifar10-resnet18":
      return acc("CIFAR-10 ResNet-18", PAPER_CIFAR10_ACCURACY.resnet18, true);
    case "cifar10-wrn16-4":
      return acc("CIFAR-10 WRN-16-4", PAPER_CIFAR10_ACCURACY["wrn16-4"], true);
    case "cifar10-resnet20":
      return acc("CIFAR-10 ResNet-18", PAPER_CIFAR10_ACCURACY.resnet18, false);
    case "imagenet-resnet18":
    case "imagenet-vgg16": {
      const t = PAPER_IMAGENET_ACCURACY[exp.preset];
      return {
        ...acc(`ImageNet ${exp.preset === "imagenet-vgg16" ? "VGG-16" : "ResNet-18"}`, t.top1, true),
        unit: "top-1 accuracy (%)",
        top5: t.top5,
      };
    }
    case "ptb-lstm2":
      return ppl(2, true);
    case "ptb-lstm3":
      return ppl(3, true);
    case "ptb-lstm-small":
      return ppl(exp.lstmLayers ?? 2, false);
    default:
      return undefined;
  }
}

/** "93.71 [93.20, 94.22]" (mean [95 % interval], n > 1) or "93.71" (one seed); "" when absent. */
export function formatStat(s: Stat | undefined, digits = 2): string {
  if (!s) return "";
  const mean = s.mean.toFixed(digits);
  return s.n > 1 ? `${mean} [${s.ci[0].toFixed(digits)}, ${s.ci[1].toFixed(digits)}]` : mean;
}

/** The statistic an experiment's tables and claims use: the paper's, else test perplexity or accuracy. */
function mainStat(exp: Experiment): StatKey {
  return paperReference(exp)?.stat ?? (exp.groups.some((g) => g.stats.finalTestPpl) ? "finalTestPpl" : "finalTestAcc");
}

/** The measured cells of one group: mean [95 % interval], every seed, the test set's SE. */
function measuredCells(
  g: RunGroup,
  stat: StatKey,
  measuredName: string,
  digits: number,
): Record<string, string | number> {
  const s = g.stats[stat];
  return {
    [measuredName]: formatStat(s, digits) || (g.diverged ? "diverged" : "unfinished"),
    "every seed": s ? s.values.map((v) => v.toFixed(digits)).join(", ") : "",
    "test-set SE": s?.testSe !== undefined ? `${s.testSe.toFixed(digits)} (n = ${s.testSetSize})` : "",
  };
}

/**
 * Side-by-side rows for one experiment: one row per optimizer group in the paper's column order
 * (label, seeds, epochs, measured mean [95 % interval over seeds], every seed's value, the test
 * set's binomial SE, the paper's number), plus a row for every paper optimizer that was not
 * measured (measured cell "not run").
 */
export function comparisonRows(exp: Experiment, opts: { digits?: number } = {}): Record<string, string | number>[] {
  const ref = paperReference(exp);
  const digits = opts.digits ?? 2;
  const stat = mainStat(exp);
  const measuredName = `measured ${ref?.unit ?? (stat === "finalTestPpl" ? "test perplexity" : "test accuracy (%)")}`;
  const paperName = ref ? `paper (${ref.name}${ref.sameProtocol ? "" : ", paper scale"})` : "paper";
  const rows: Record<string, string | number>[] = exp.groups.map((g) => {
    const row: Record<string, string | number> = {
      optimizer: g.label,
      seeds: g.seeds.length ? g.seeds.join(",") : "none finished",
      epochs: g.epochs,
      ...measuredCells(g, stat, measuredName, digits),
    };
    if (ref?.top5) row["measured top-5 (%)"] = formatStat(g.stats.finalTop5Acc, digits);
    if (ref) row[paperName] = ref.row[g.optimizer] ?? "";
    if (ref?.top5) row["paper top-5"] = ref.top5[g.optimizer] ?? "";
    const notes = [
      [g.diverged, "diverged"],
      [g.unfinished, "unfinished"],
      [g.repeatedSeeds, "repeated seeds left out"],
    ] as const;
    if (notes.some(([k]) => k > 0))
      row.note = notes
        .filter(([k]) => k > 0)
        .map(([k, what]) => `${k} ${what}`)
        .join(", ");
    return row;
  });
  if (!ref) return rows;
  for (const o of PAPER_TABLE_OPTIMIZERS) {
    if (exp.groups.some((g) => g.optimizer === o)) continue;
    const row: Record<string, string | number> = {
      optimizer: o === "padam" ? "Padam (p = 1/8)" : labelOf(o),
      seeds: "",
      epochs: "",
      [measuredName]: "not run",
      "every seed": "",
      "test-set SE": "",
    };
    if (ref.top5) row["measured top-5 (%)"] = "";
    row[paperName] = ref.row[o] ?? "";
    if (ref.top5) row["paper top-5"] = ref.top5[o] ?? "";
    rows.push(row);
  }
  return rows;
}

function labelOf(o: OptimizerName): string {
  return runLabel({ optimizer: o, optimizerOptions: {} } as unknown as ExperimentConfig);
}

/** A caption naming the experiment, its scale and its setting. */
export function experimentCaption(exp: Experiment): string {
  const scale = {
    paper: "paper protocol",
    reduced: "reduced from the paper protocol (not comparable with the paper's numbers)",
    cpu: "CPU scale",
    smoke: "smoke test (not a result)",
    custom: "custom config",
  }[exp.scale];
  const data = exp.preset.startsWith("cifar10") ? " · CIFAR-10 (JPEG copy)" : "";
  return `${exp.preset}${data} · ${scale}${exp.variant ? ` · ${exp.variant}` : ""}`;
}

export type { Verdict };

/** One claim of the paper decided on one experiment. */
export interface ClaimCheck {
  claim: string;
  /** The test and its margin, in words. */
  test: string;
  /** What the paper reports for it (its own table or text). */
  paper: string;
  /** Both sides (mean [95 % interval], seeds) and the difference of the means. */
  measured: string;
  /** The interval the verdict is read from ("90 % [-0.45, +0.25]"); "" when not decided. */
  interval: string;
  verdict: Verdict;
  /** Why this verdict: where the interval lies, or what is missing. */
  reason: string;
}

/** One of the paper's claims: "a vs b" on the final or the early value, by one test. */
interface ClaimSpec {
  claim: string;
  a: OptimizerName;
  b: OptimizerName;
  when: "final" | "early";
  test: Decision["test"];
  paper?: string;
}

/**
 * The paper's claims (Chen et al. §1, §5): Padam generalizes as well as SGD-M (equivalence within
 * the margin), better than Adam and AMSGrad, SGD-M better than Adam (the gap Padam closes), and
 * Padam converges as fast as Adam early in training (non-inferiority of Padam's accuracy, or
 * perplexity, after the first epoch: faster also counts). The equivalence claim is about a tie:
 * Padam ahead of SGD-M by more than the margin contradicts it too (the measured text says which
 * side).
 */
const CLAIMS: readonly ClaimSpec[] = [
  { claim: "Padam ≈ SGD-M at the end", a: "padam", b: "sgd", when: "final", test: "equivalence" },
  { claim: "Padam better than Adam at the end", a: "padam", b: "adam", when: "final", test: "difference" },
  { claim: "Padam better than AMSGrad at the end", a: "padam", b: "amsgrad", when: "final", test: "difference" },
  { claim: "SGD-M better than Adam at the end (the gap)", a: "sgd", b: "adam", when: "final", test: "difference" },
  {
    claim: "Padam as fast as Adam early (after the first epoch)",
    a: "padam",
    b: "adam",
    when: "early",
    test: "non-inferiority",
    paper: "text and figures: Padam converges as fast as Adam early in training (no table number)",
  },
];

/**
 * The group the paper's claims read for an optimizer: its preset's setting, where the learning
 * rate may differ (a tuned lr, as in the reference experiments; Padam: p = 1/8 where present).
 * The preset's own lr wins over a tuned one; several tuned lrs and none of the preset's leave the
 * choice open ("ambiguous"): picking the best of them would select on the test set.
 */
export function claimGroup(exp: Experiment, o: OptimizerName): RunGroup | "ambiguous" | undefined {
  const lrOnly = (g: RunGroup) =>
    g.runs.length > 0 && optimizerOverrideKeys(g.runs[0].config).every((k) => k === "learningRate");
  let gs = exp.groups.filter((g) => g.optimizer === o && lrOnly(g));
  if (gs.some((g) => g.partial === 0.125)) gs = gs.filter((g) => g.partial === 0.125);
  const preset = gs.find((g) => g.optimizerVariant === "");
  if (preset !== undefined) return preset;
  if (gs.length > 1 && new Set(gs.map((g) => g.optimizerOptions.learningRate)).size > 1) return "ambiguous";
  return gs[0];
}
/** What one experiment's claims are decided on. */
interface ClaimContext {
  exp: Experiment;
  ref?: PaperReference;
  higherIsBetter: boolean;
  final: StatKey;
  early: StatKey;
  unit: string;
  margin?: number;
  minSeeds?: number;
  testSetNoise: "independent" | "none";
}

const signed = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(2);

/**
 * "1.11 points lower": how far the first side's mean is from the second's, in words. `better` is
 * the first side's advantage (positive: better); where lower is better (perplexity) an advantage
 * is a lower value.
 */
export function difference(better: number, unit: string, higherIsBetter: boolean): string {
  const higher = better >= 0 === higherIsBetter;
  return `${Math.abs(better).toFixed(2)} ${unit} ${higher ? "higher" : "lower"}`;
}

function paperDiff(ctx: ClaimContext, a: OptimizerName, b: OptimizerName): string {
  const [pa, pb] = [ctx.ref?.row[a], ctx.ref?.row[b]];
  if (pa === undefined || pb === undefined) return "";
  return `${ctx.ref!.name}: ${signed(ctx.higherIsBetter ? pa - pb : pb - pa)} ${ctx.unit} (${pa} vs ${pb})`;
}

/** The test in words; `margin` undefined for a difference, or when no reference value sets it. */
function testText(spec: ClaimSpec, ctx: ClaimContext, margin?: number): string {
  if (spec.test === "difference") return "difference ≠ 0: 95 % Welch interval";
  const byDefault = ctx.higherIsBetter
    ? `${ACCURACY_MARGIN} ${ctx.unit}`
    : `${100 * PERPLEXITY_MARGIN_FRACTION} % of the reference`;
  const m = margin !== undefined ? `${margin.toFixed(2)} ${ctx.unit}` : byDefault;
  if (spec.test === "equivalence") return `equivalence within ±${m}: TOST, 90 % interval`;
  return `not worse by more than ${m}: 95 % interval`;
}

/** The margin of a claim: the caller's, else 1 accuracy point or 2 % of the reference's perplexity. */
function marginOf(ctx: ClaimContext, reference: Stat): number {
  return ctx.margin ?? (ctx.higherIsBetter ? ACCURACY_MARGIN : PERPLEXITY_MARGIN_FRACTION * reference.mean);
}

/** The claim's test on a and b (seed noise only when the context says so). */
function runTest(spec: ClaimSpec, ctx: ClaimContext, a: Stat, b: Stat, margin: number | undefined): Decision {
  const o = { higherIsBetter: ctx.higherIsBetter, minSeeds: ctx.minSeeds };
  const [ta, tb] =
    ctx.testSetNoise === "none"
      ? [
          { ...a, testSe: undefined },
          { ...b, testSe: undefined },
        ]
      : [a, b];
  if (spec.test === "difference") return testDifference(ta, tb, o);
  return spec.test === "equivalence" ? testEquivalence(ta, tb, margin!, o) : testNonInferiority(ta, tb, margin!, o);
}

function decideClaim(spec: ClaimSpec, ctx: ClaimContext): ClaimCheck {
  const paper = spec.paper ?? paperDiff(ctx, spec.a, spec.b);
  const [pa, pb] = [claimGroup(ctx.exp, spec.a), claimGroup(ctx.exp, spec.b)];
  const [ga, gb] = [pa === "ambiguous" ? undefined : pa, pb === "ambiguous" ? undefined : pb];
  const key = spec.when === "final" ? ctx.final : ctx.early;
  const [sa, sb] = [ga?.stats[key], gb?.stats[key]];
  const base = { claim: spec.claim, paper, interval: "" };
  const ambiguous = [pa === "ambiguous" ? spec.a : undefined, pb === "ambiguous" ? spec.b : undefined].filter(
    (o): o is OptimizerName => o !== undefined,
  );
  if (ambiguous.length > 0) {
    const who = ambiguous.map(labelOf).join(" and ");
    return {
      ...base,
      test: testText(spec, ctx, ctx.margin),
      measured: `several learning rates of ${who}, none the preset's`,
      verdict: "not measured",
      reason: `the claims compare one setting per optimizer; ${who} ran at several tuned learning rates (choose one on the validation split)`,
    };
  }
  if (!ga || !gb || !sa || !sb) {
    const who = [!sa ? labelOf(spec.a) : "", !sb ? labelOf(spec.b) : ""].filter(Boolean).join(" or ");
    const measured = `no finished ${who} run`;
    const what = `${spec.when === "final" ? "final" : "first-epoch"} ${key.endsWith("Ppl") ? "perplexity" : "test accuracy"}`;
    return {
      ...base,
      test: testText(spec, ctx, ctx.margin),
      measured,
      verdict: "not measured",
      reason: `no ${what} of ${who}`,
    };
  }
  const margin = spec.test === "difference" ? undefined : marginOf(ctx, sb);
  const d = runTest(spec, ctx, sa, sb, margin);
  const diff = ctx.higherIsBetter ? sa.mean - sb.mean : sb.mean - sa.mean;
  const side = (g: RunGroup, s: Stat) => `${g.label} ${formatStat(s)} (${s.n} seed${s.n === 1 ? "" : "s"})`;
  return {
    ...base,
    test: testText(spec, ctx, margin),
    measured: `${side(ga, sa)} vs ${side(gb, sb)}: ${difference(diff, ctx.unit, ctx.higherIsBetter)}`,
    interval: Number.isNaN(d.ci[0]) ? "" : `${Math.round(100 * d.level)} % [${signed(d.ci[0])}, ${signed(d.ci[1])}]`,
    verdict: d.verdict,
    reason: d.reason,
  };
}

/** Options of {@link checkClaims}. */
export interface ClaimOptions {
  /** Equivalence / non-inferiority margin in the statistic's units (default: see {@link checkClaims}). */
  margin?: number;
  /** Fewest seeds per side (default {@link MIN_SEEDS}). */
  minSeeds?: number;
  /** How the test set's binomial error enters a difference (default "independent"). */
  testSetNoise?: "independent" | "none";
}

/**
 * The paper's claims decided on one experiment, each two-sided: supported, contradicted or
 * inconclusive, with the interval it was read from and the reason (see {@link CLAIMS} and the
 * tests of `./statistics`); "not measured" where an optimizer has no finished run. Final values
 * are the paper's statistic (test accuracy or perplexity), early values those after the first
 * epoch (test accuracy or validation perplexity). Intervals combine the seed-to-seed spread
 * (Welch) with the test set's binomial error (`testSetNoise` "independent", the default: both
 * settings' test errors counted as independent, an upper bound, since they are scored on the
 * same images and a paired bound needs per-example predictions, which runs do not store; "none":
 * seed noise only, for a statement about this test set alone). `margin` (statistic units)
 * replaces the default {@link ACCURACY_MARGIN} / {@link PERPLEXITY_MARGIN_FRACTION}; `minSeeds`
 * the default {@link MIN_SEEDS}: fewer seeds on either side give "inconclusive" with that reason.
 */
export function checkClaims(exp: Experiment, opts: ClaimOptions = {}): ClaimCheck[] {
  const noise = opts.testSetNoise ?? "independent";
  if (noise !== "independent" && noise !== "none") {
    throw new Error(`checkClaims: testSetNoise = ${JSON.stringify(noise)} is invalid; allowed: "independent", "none"`);
  }
  const ref = paperReference(exp);
  const final = mainStat(exp);
  const ppl = final === "finalTestPpl";
  const ctx: ClaimContext = {
    exp,
    ref,
    higherIsBetter: !ppl,
    final,
    early: ppl ? "earlyValidPpl" : "earlyTestAcc",
    unit: ppl ? "perplexity" : "points",
    margin: opts.margin,
    minSeeds: opts.minSeeds,
    testSetNoise: noise,
  };
  return CLAIMS.map((spec) => decideClaim(spec, ctx));
}
