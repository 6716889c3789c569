/**
 * Measured results against the paper's tables: runs (from `listRuns()` or a `runGrid` result)
 * grouped into experiments (a preset with one setting of everything but the optimizer and the
 * seed) and, within an experiment, into optimizer groups whose seeds give a mean ± sample standard
 * deviation; side-by-side rows "measured vs paper" (docs/paper-notes.md §7.1); and the paper's
 * qualitative claims (Padam ≈ SGD-M > Adam/AMSGrad in generalization, Padam fast early) checked
 * against the measurements with the spread over seeds taken into account.
 *
 * Used by notebooks 04-cifar10, 05-imagenet, 06-ptb-lstm and 08-summary.
 */
import { createHash } from "node:crypto";
import { canonicalJson, type ExperimentConfig } from "../experiment/config";
import { fraction, meanStd, runLabel } from "../experiment/grid";
import {
  PAPER_CIFAR10_ACCURACY, PAPER_IMAGENET_ACCURACY, PAPER_PTB_PERPLEXITY, PAPER_TABLE_OPTIMIZERS,
} from "../experiment/paper_results";
import { PRESETS, presetConfig } from "../experiment/presets";
import type { MetricLine, StatusFile } from "../experiment/store";
import type { OptimizerName } from "../optim/registry";

/** One run as `listRuns()` returns it. */
export interface RunRecord {
  id: string;
  config: ExperimentConfig;
  status?: Pick<StatusFile, "status"> & Partial<StatusFile>;
  metrics: MetricLine[];
}

/** What a summary statistic is: its mean, sample standard deviation and number of seeds. */
export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** Per-run numbers that the tables use (accuracies in percent). */
export interface RunNumbers {
  epochs: number;
  finalTestAcc?: number;
  bestTestAcc?: number;
  finalTop5Acc?: number;
  finalTestPpl?: number;
  finalValidPpl?: number;
  finalTrainLoss?: number;
  /** After the first epoch: test accuracy (%) or validation perplexity. */
  earlyTestAcc?: number;
  earlyValidPpl?: number;
  earlyTrainLoss?: number;
  /** Wall-clock seconds of the run (as recorded; not reproducible). */
  wallSeconds?: number;
}

export type StatKey = Exclude<keyof RunNumbers, "epochs">;
const STAT_KEYS: StatKey[] = [
  "finalTestAcc", "bestTestAcc", "finalTop5Acc", "finalTestPpl", "finalValidPpl", "finalTrainLoss",
  "earlyTestAcc", "earlyValidPpl", "earlyTrainLoss", "wallSeconds",
];

/** The numbers of one run from its metrics lines. */
export function runNumbers(metrics: readonly MetricLine[]): RunNumbers {
  const split = (s: MetricLine["split"]) => metrics.filter((m) => m.split === s);
  const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];
  const pct = (v?: number) => (v === undefined ? undefined : 100 * v);
  const [train, test, valid] = [split("train"), split("test"), split("valid")];
  const accs = test.filter((m) => m.acc !== undefined).map((m) => 100 * (m.acc as number));
  const firstEpoch = train[0]?.epoch;
  const at = (lines: MetricLine[]) => lines.find((m) => m.epoch === firstEpoch);
  const wall = metrics.length ? Math.max(...metrics.map((m) => m.wallMs)) / 1000 : undefined;
  return {
    epochs: train.length,
    finalTestAcc: pct(last(test)?.acc),
    bestTestAcc: accs.length ? Math.max(...accs) : undefined,
    finalTop5Acc: pct(last(test)?.top5Acc),
    finalTestPpl: last(test)?.ppl,
    finalValidPpl: last(valid)?.ppl,
    finalTrainLoss: last(train)?.loss,
    earlyTestAcc: firstEpoch === undefined ? undefined : pct(at(test)?.acc),
    earlyValidPpl: firstEpoch === undefined ? undefined : at(valid)?.ppl,
    earlyTrainLoss: at(train)?.loss,
    wallSeconds: wall,
  };
}

/** Runs of one optimizer setting within an experiment, over seeds. */
export interface RunGroup {
  /** Hash of the config without the seed. */
  key: string;
  optimizer: OptimizerName;
  partial?: number;
  /** Legend label ("Padam (p = 1/8)", "SGD-M", …). */
  label: string;
  /** Optimizer options that differ from the preset's (e.g. "lr 0.01"); "" when none. */
  optimizerVariant: string;
  /** Seeds of the finished runs, ascending. */
  seeds: number[];
  /** Finished runs (diverged and unfinished runs are counted, not averaged). */
  runs: RunRecord[];
  diverged: number;
  unfinished: number;
  /** Statistics over the finished runs (absent where no run has the number). */
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

/** Fields of `a` that differ from `b` (top level), as "name value" parts. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>, skip: string[]): string[] {
  const keys = Array.from(new Set([...Object.keys(a), ...Object.keys(b)])).filter((k) => !skip.includes(k)).sort();
  const show = (v: unknown) => (v === undefined ? "unset" : typeof v === "object" ? canonicalJson(v) : String(v));
  return keys.filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null)).map((k) => `${k} ${show(a[k])}`);
}

const OPTION_NAMES: Record<string, string> = { learningRate: "lr", weightDecay: "wd", partial: "p" };

/** What a config changes relative to its preset: the experiment part and the optimizer part. */
export function describeOverrides(config: ExperimentConfig): { experiment: string; optimizer: string } {
  if (config.preset === undefined || PRESETS[config.preset] === undefined) return { experiment: "custom config", optimizer: "" };
  const base = presetConfig(config.preset, config.optimizer);
  const experiment = differences(config as unknown as Record<string, unknown>, base as unknown as Record<string, unknown>, ["seed", "optimizer", "optimizerOptions"]).join(", ");
  const optimizer = differences(config.optimizerOptions, base.optimizerOptions, config.optimizer === "padam" ? ["partial"] : [])
    .map((d) => d.replace(/^(\w+)/, (k) => OPTION_NAMES[k] ?? k))
    .join(", ");
  return { experiment, optimizer };
}

function lstmLayersOf(config: ExperimentConfig): number | undefined {
  if (config.model !== "lstm-lm") return undefined;
  const mc = (config.modelConfig ?? {}) as { numLayers?: number; preset?: string };
  if (typeof mc.numLayers === "number") return mc.numLayers;
  return mc.preset === "ptb-lstm3" ? 3 : 2;
}

const optimizerRank = (o: string) => {
  const i = PAPER_TABLE_OPTIMIZERS.indexOf(o as OptimizerName);
  return i < 0 ? PAPER_TABLE_OPTIMIZERS.length : i;
};

/**
 * Groups runs into experiments and optimizer groups. `presets` keeps only those presets (in
 * that order; otherwise paper presets first, then CPU scale, then smoke).
 */
export function collectExperiments(runs: readonly RunRecord[], opts: { presets?: string[] } = {}): Experiment[] {
  const experiments = new Map<string, Experiment>();
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const preset = presetOf(run.config);
    if (opts.presets && !opts.presets.includes(preset)) continue;
    const { seed: _seed, optimizer: _o, optimizerOptions: _oo, ...rest } = run.config;
    const expKey = `${preset}|${hash(rest)}`;
    let exp = experiments.get(expKey);
    if (!exp) {
      const overrides = describeOverrides(run.config);
      exp = {
        key: expKey, preset, variant: overrides.experiment,
        scale: PRESETS[preset] === undefined ? "custom" : PRESETS[preset].scale === "paper" && overrides.experiment !== "" ? "reduced" : PRESETS[preset].scale,
        lstmLayers: lstmLayersOf(run.config), groups: [],
      };
      experiments.set(expKey, exp);
    }
    const { seed: _s, ...noSeed } = run.config;
    const groupKey = hash(noSeed);
    let group = groups.get(groupKey);
    if (!group) {
      const p = run.config.optimizerOptions.partial;
      group = {
        key: groupKey, optimizer: run.config.optimizer, partial: run.config.optimizer === "padam" && typeof p === "number" ? p : undefined,
        label: runLabel(run.config), optimizerVariant: describeOverrides(run.config).optimizer,
        seeds: [], runs: [], diverged: 0, unfinished: 0, stats: {}, epochs: 0,
      };
      groups.set(groupKey, group);
      exp.groups.push(group);
    }
    const status = run.status?.status;
    if (status === "finished") group.runs.push(run);
    else if (status === "diverged") group.diverged++;
    else group.unfinished++;
  }
  for (const group of groups.values()) {
    group.runs.sort((a, b) => a.config.seed - b.config.seed);
    group.seeds = group.runs.map((r) => r.config.seed);
    const numbers = group.runs.map((r) => runNumbers(r.metrics));
    group.epochs = numbers.length ? Math.max(...numbers.map((n) => n.epochs)) : 0;
    for (const key of STAT_KEYS) {
      const values = numbers.map((n) => n[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (values.length) group.stats[key] = meanStd(values);
    }
  }
  const scaleRank = { paper: 0, reduced: 1, cpu: 2, smoke: 3, custom: 4 };
  const out = Array.from(experiments.values());
  for (const exp of out) {
    exp.groups.sort((a, b) => optimizerRank(a.optimizer) - optimizerRank(b.optimizer) || (b.partial ?? 0) - (a.partial ?? 0) || a.label.localeCompare(b.label) || a.optimizerVariant.localeCompare(b.optimizerVariant));
  }
  out.sort((a, b) => {
    if (opts.presets) return opts.presets.indexOf(a.preset) - opts.presets.indexOf(b.preset) || a.variant.localeCompare(b.variant);
    return scaleRank[a.scale] - scaleRank[b.scale] || a.preset.localeCompare(b.preset) || a.variant.localeCompare(b.variant);
  });
  return out;
}

/** Runs from a `runGrid` result, in the shape `collectExperiments` takes. */
export function gridRecords(results: readonly { config: ExperimentConfig; result: { runId: string; status: StatusFile["status"]; metrics: MetricLine[] } }[]): RunRecord[] {
  return results.map(({ config, result }) => ({ id: result.runId, config, status: { status: result.status }, metrics: result.metrics }));
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
export function paperReference(exp: Pick<Experiment, "preset" | "lstmLayers"> & { scale?: Experiment["scale"] }): PaperReference | undefined {
  // A paper preset run with overrides (fewer epochs, a data subset) is not the paper's protocol.
  const reduced = exp.scale === "reduced";
  const acc = (name: string, row: Partial<Record<OptimizerName, number>>, same: boolean): PaperReference =>
    ({ name, stat: "finalTestAcc", higherIsBetter: true, unit: "test accuracy (%)", row, sameProtocol: same && !reduced });
  const ppl = (layers: number, same: boolean): PaperReference => ({
    name: `PTB ${layers}-layer LSTM`, stat: "finalTestPpl", higherIsBetter: false, unit: "test perplexity",
    row: PAPER_PTB_PERPLEXITY[layers >= 3 ? "ptb-lstm3" : "ptb-lstm2"], sameProtocol: same && !reduced,
  });
  switch (exp.preset) {
    case "cifar10-vgg16": return acc("CIFAR-10 VGG-16", PAPER_CIFAR10_ACCURACY.vgg16, true);
    case "cifar10-resnet18": return acc("CIFAR-10 ResNet-18", PAPER_CIFAR10_ACCURACY.resnet18, true);
    case "cifar10-wrn16-4": return acc("CIFAR-10 WRN-16-4", PAPER_CIFAR10_ACCURACY["wrn16-4"], true);
    case "cifar10-resnet20": return acc("CIFAR-10 ResNet-18", PAPER_CIFAR10_ACCURACY.resnet18, false);
    case "imagenet-resnet18":
    case "imagenet-vgg16": {
      const t = PAPER_IMAGENET_ACCURACY[exp.preset];
      return { ...acc(`ImageNet ${exp.preset === "imagenet-vgg16" ? "VGG-16" : "ResNet-18"}`, t.top1, true), unit: "top-1 accuracy (%)", top5: t.top5 };
    }
    case "ptb-lstm2": return ppl(2, true);
    case "ptb-lstm3": return ppl(3, true);
    case "ptb-lstm-small": return ppl(exp.lstmLayers ?? 2, false);
    default: return undefined;
  }
}

/** "93.71 ± 0.12" (n > 1) or "93.71" (one seed); "" when absent. */
export function formatStat(s: Stat | undefined, digits = 2): string {
  if (!s) return "";
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

/**
 * Side-by-side rows for one experiment: one row per optimizer group in the paper's column order,
 * plus a row for every paper optimizer that was not measured (measured cell "not run").
 */
export function comparisonRows(exp: Experiment, opts: { digits?: number } = {}): Record<string, string | number>[] {
  const ref = paperReference(exp);
  const digits = opts.digits ?? 2;
  const stat: StatKey = ref?.stat ?? (exp.groups.some((g) => g.stats.finalTestPpl) ? "finalTestPpl" : "finalTestAcc");
  const measuredName = `measured ${ref?.unit ?? (stat === "finalTestPpl" ? "test perplexity" : "test accuracy (%)")}`;
  const paperName = ref ? `paper (${ref.name}${ref.sameProtocol ? "" : ", paper scale"})` : "paper";
  const rows: Record<string, string | number>[] = exp.groups.map((g) => {
    const row: Record<string, string | number> = {
      optimizer: g.label + (g.optimizerVariant ? ` [${g.optimizerVariant}]` : ""),
      seeds: g.seeds.length ? g.seeds.join(",") : "none finished",
      epochs: g.epochs,
      [measuredName]: formatStat(g.stats[stat], digits) || (g.diverged ? "diverged" : "unfinished"),
    };
    if (ref?.top5) row["measured top-5 (%)"] = formatStat(g.stats.finalTop5Acc, digits);
    if (ref) row[paperName] = ref.row[g.optimizer] ?? "";
    if (ref?.top5) row["paper top-5"] = ref.top5[g.optimizer] ?? "";
    if (g.diverged || g.unfinished) row.note = [g.diverged ? `${g.diverged} diverged` : "", g.unfinished ? `${g.unfinished} unfinished` : ""].filter(Boolean).join(", ");
    return row;
  });
  if (ref) {
    for (const o of PAPER_TABLE_OPTIMIZERS) {
      if (exp.groups.some((g) => g.optimizer === o)) continue;
      const row: Record<string, string | number> = { optimizer: o === "padam" ? "Padam (p = 1/8)" : labelOf(o), seeds: "", epochs: "", [measuredName]: "not run" };
      if (ref.top5) row["measured top-5 (%)"] = "";
      row[paperName] = ref.row[o] ?? "";
      if (ref.top5) row["paper top-5"] = ref.top5[o] ?? "";
      rows.push(row);
    }
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

export type Verdict = "supported" | "not supported" | "inconclusive" | "not measured";

export type ClaimCheck = {
  claim: string;
  /** What the paper reports for it (its own table or text). */
  paper: string;
  measured: string;
  verdict: Verdict;
};

/** The group of the paper's default setting of an optimizer (Padam: p = 1/8 if present). */
function pick(exp: Experiment, o: OptimizerName): RunGroup | undefined {
  const gs = exp.groups.filter((g) => g.optimizer === o && g.optimizerVariant === "" && g.runs.length > 0);
  return gs.find((g) => g.partial === 0.125) ?? gs[0];
}

/**
 * Compares a − b (in the "better" direction) with the spread: "supported" when the difference
 * exceeds `margin` plus the combined standard deviation sqrt(σa² + σb²); "not supported" when it
 * is below −(that); "inconclusive" in between. With one seed per side σ = 0, so only `margin`
 * separates a real difference from noise (the notebooks say so).
 */
export function compareStats(a: Stat, b: Stat, higherIsBetter: boolean, margin: number): { diff: number; spread: number; verdict: Verdict } {
  const diff = higherIsBetter ? a.mean - b.mean : b.mean - a.mean;
  const spread = Math.sqrt(a.std ** 2 + b.std ** 2);
  const verdict: Verdict = diff > margin + spread ? "supported" : diff < -(margin + spread) ? "not supported" : "inconclusive";
  return { diff, spread, verdict };
}

/**
 * The paper's qualitative claims checked on one experiment:
 * 1. Padam ≈ SGD-M at the end (|Δ| within `tie` + spread);
 * 2. Padam better than Adam and than AMSGrad at the end (generalization);
 * 3. SGD-M better than Adam/AMSGrad (the generalization gap the paper starts from);
 * 4. Padam fast early: ahead of SGD-M after the first epoch.
 * `tie` and `margin` are in the statistic's units (default 0.5 points of accuracy, 2 % of the
 * perplexity).
 */
export function checkClaims(exp: Experiment, opts: { tie?: number; margin?: number } = {}): ClaimCheck[] {
  const ref = paperReference(exp);
  const ppl = ref ? !ref.higherIsBetter : exp.groups.some((g) => g.stats.finalTestPpl);
  const stat: StatKey = ref?.stat ?? (ppl ? "finalTestPpl" : "finalTestAcc");
  const early: StatKey = ppl ? "earlyValidPpl" : "earlyTestAcc";
  const higher = !ppl;
  const scaleOf = (s?: Stat) => (ppl && s ? s.mean * 0.02 : 0.5);
  const [padam, sgd, adam, ams] = (["padam", "sgd", "adam", "amsgrad"] as OptimizerName[]).map((o) => pick(exp, o));
  const unit = ppl ? "perplexity" : "points";
  const fmt = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(2);
  const paperDiff = (a: OptimizerName, b: OptimizerName) => {
    const [pa, pb] = [ref?.row[a], ref?.row[b]];
    if (pa === undefined || pb === undefined) return "";
    return `${ref!.name}: ${fmt(higher ? pa - pb : pb - pa)} ${unit} (${pa} vs ${pb})`;
  };
  const out: ClaimCheck[] = [];
  const missing = (claim: string, paper: string, who: string) => out.push({ claim, paper, measured: `no finished ${who} run`, verdict: "not measured" });
  const groupOf: Partial<Record<OptimizerName, RunGroup>> = { padam, sgd, adam, amsgrad: ams };
  const better = (claim: string, oa: OptimizerName, ob: OptimizerName, key: StatKey, paper: string) => {
    const [a, b] = [groupOf[oa], groupOf[ob]];
    const [sa, sb] = [a?.stats[key], b?.stats[key]];
    if (!a || !b || !sa || !sb) return missing(claim, paper, [!sa ? labelOf(oa) : "", !sb ? labelOf(ob) : ""].filter(Boolean).join(" or "));
    const margin = opts.margin ?? scaleOf(sb);
    const c = compareStats(sa, sb, higher, margin);
    out.push({
      claim, paper,
      measured: `${a.label} ${formatStat(sa)} vs ${b.label} ${formatStat(sb)}: ${fmt(c.diff)} ${unit} better (spread ${c.spread.toFixed(2)}, margin ${margin.toFixed(2)}, seeds ${sa.n}/${sb.n})`,
      verdict: c.verdict,
    });
  };
  // 1. Padam ≈ SGD-M.
  const claim1 = "Padam ≈ SGD-M at the end";
  const [sp, ss] = [padam?.stats[stat], sgd?.stats[stat]];
  if (!padam || !sgd || !sp || !ss) missing(claim1, paperDiff("padam", "sgd"), !padam || !sp ? "Padam" : "SGD-M");
  else {
    const tie = opts.tie ?? scaleOf(ss);
    const c = compareStats(sp, ss, higher, 0);
    const verdict: Verdict = Math.abs(c.diff) <= tie + c.spread ? "supported" : c.diff > 0 ? "supported" : "not supported";
    out.push({
      claim: claim1, paper: paperDiff("padam", "sgd"),
      measured: `Padam ${formatStat(sp)} vs SGD-M ${formatStat(ss)}: ${fmt(c.diff)} ${unit} (tie within ${tie.toFixed(2)} + spread ${c.spread.toFixed(2)}; Padam ahead also counts)`,
      verdict,
    });
  }
  // 2. and 3.
  better("Padam better than Adam at the end", "padam", "adam", stat, paperDiff("padam", "adam"));
  better("Padam better than AMSGrad at the end", "padam", "amsgrad", stat, paperDiff("padam", "amsgrad"));
  better("SGD-M better than Adam at the end (the gap)", "sgd", "adam", stat, paperDiff("sgd", "adam"));
  // 4. Early progress (the paper's figures; no table number).
  better(`Padam fast early: ahead of SGD-M after the first epoch (${ppl ? "validation perplexity" : "test accuracy"})`, "padam", "sgd", early, "figures: Padam's loss falls about as fast as Adam's early");
  return out;
}
