/**
 * Run statistics and fits: the one place where the workbook turns runs into numbers and numbers
 * into decisions. Everything else (result tables, claims, phase summaries, grid summaries, the
 * theory's rate fits) calls these functions.
 *
 * - {@link runNumbers}: the numbers of one run from its `metrics.jsonl` lines (final, best and
 *   early accuracy or perplexity, the learning-rate decay and what it bought, wall time).
 * - {@link groupBy}: items grouped by a setting key (danfojs-node).
 * - {@link seedStat}: mean over seeds with its 95 % Student-t interval, every seed's value kept,
 *   and the test set's binomial standard error where the values are accuracies.
 * - {@link difference}: the difference of two settings' means with a Welch-Satterthwaite
 *   t interval (seed noise of both plus test-set noise).
 * - {@link testDifference}, {@link testEquivalence}, {@link testNonInferiority}: two-sided
 *   decisions (supported / contradicted / inconclusive) with their intervals, margins and reasons.
 * - {@link logLogSlope}: least-squares power-law exponent (the theory's rate fits).
 *
 * The Student t distribution comes from stdlib (`@stdlib/stats-base-dists-t-*`); the formulas
 * that build on it are written out in each doc comment.
 */
import tQuantileOf from "@stdlib/stats-base-dists-t-quantile";
import tCdfOf from "@stdlib/stats-base-dists-t-cdf";
import type { ExperimentConfig } from "../experiment/config";
import type { MetricLine } from "../experiment/store";

/** Significance level of every test: 5 %. Intervals for differences and means are 1 − ALPHA = 95 %. */
export const ALPHA = 0.05;
/** Confidence level of the intervals of means and differences (two-sided). */
export const CONFIDENCE = 1 - ALPHA;

/**
 * Fewest seeds per setting before a claim is decided: 3. With 2 seeds the standard deviation
 * rests on a single degree of freedom (t_{0.975,1} = 12.71), so the interval is decided by one
 * difference between two runs; issue 13's protocol asks for at least 3 seeds per reported
 * setting. Fewer gives "inconclusive" with the reason.
 */
export const MIN_SEEDS = 3;

/**
 * Equivalence / non-inferiority margin for accuracies: 1 point. Reason: the paper's own CIFAR-10
 * gaps between SGD-M and Adam are 1-3 points, so a tolerance of 1 point still tells a closed gap
 * from an open one; and it is of the order of the binomial standard error of a 1,000-image test
 * set (1.3 points at 80 %), below which two optimizers cannot be told apart by one test set.
 */
export const ACCURACY_MARGIN = 1;

/**
 * Equivalence / non-inferiority margin for perplexities: 2 % of the reference optimizer's mean
 * (about 1.3 points at the paper's PTB perplexities near 65, below its smallest optimizer gap).
 */
export const PERPLEXITY_MARGIN_FRACTION = 0.02;

/**
 * Test-set size of each data set when a run sets no `testLimit` (the standard test splits:
 * Fashion-MNIST 10,000 images, CIFAR-10 10,000). Image folders have no fixed size, and PTB
 * reports perplexity, for which no binomial error applies.
 */
export const FULL_TEST_SET_SIZE: Readonly<Partial<Record<ExperimentConfig["dataset"], number>>> = Object.freeze({
  "fashion-mnist": 10000,
  cifar10: 10000,
});

// stdlib's t functions return NaN for v = ∞; a large finite v gives the normal limit to 1e-9.
const NORMAL_DF = 1e9;
const tQuantile = (p: number, df: number) => tQuantileOf(p, Number.isFinite(df) ? df : NORMAL_DF);
const tCdf = (x: number, df: number) => tCdfOf(x, Number.isFinite(df) ? df : NORMAL_DF);

// ---------------------------------------------------------------------------------------------
// Per-run numbers
// ---------------------------------------------------------------------------------------------

/** The numbers of one run (accuracies in percent). Absent where the run has no such metric. */
export interface RunNumbers {
  /** Epochs with training metrics. */
  epochs: number;
  finalTestAcc?: number;
  /** Highest test accuracy over the epochs (optimistic: chosen on the test set). */
  bestTestAcc?: number;
  finalTop5Acc?: number;
  finalTestPpl?: number;
  finalValidPpl?: number;
  finalTrainLoss?: number;
  /** After epoch `earlyEpoch` (0-based; default 0, the first): test accuracy, validation perplexity, training loss. */
  earlyTestAcc?: number;
  earlyValidPpl?: number;
  earlyTrainLoss?: number;
  /** First epoch (0-based) trained with a smaller learning rate than the first; absent without a decay. */
  decayEpoch?: number;
  /** Test accuracy after the last epoch before the decay. */
  preDecayTestAcc?: number;
  /** finalTestAcc − preDecayTestAcc, in points: what the decay bought. */
  decayGain?: number;
  /** Wall-clock seconds of the run as recorded (not reproducible). */
  wallSeconds?: number;
}

const pct = (v: number | undefined) => (v === undefined ? undefined : 100 * v);
const lastOf = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];
const atEpoch = (lines: readonly MetricLine[], epoch: number | undefined) =>
  epoch === undefined ? undefined : lines.find((m) => m.epoch === epoch);

/** The first epoch whose learning rate is below the first epoch's (a decay), if any. */
function decayEpochOf(train: readonly MetricLine[]): number | undefined {
  const lr0 = train[0]?.lr;
  // 1e-9 relative: a schedule that keeps the rate recomputes it, so equal rates may differ by rounding.
  return lr0 === undefined ? undefined : train.find((m) => m.lr < lr0 * (1 - 1e-9))?.epoch;
}

/**
 * The numbers of one run from its metrics lines (as `listRuns()` or a `runGrid` result gives
 * them). `earlyEpoch` (0-based, default 0) is the epoch whose values count as "early".
 */
export function runNumbers(metrics: readonly MetricLine[], opts: { earlyEpoch?: number } = {}): RunNumbers {
  const early = opts.earlyEpoch ?? 0;
  if (!Number.isInteger(early) || early < 0)
    throw new Error(`runNumbers: earlyEpoch = ${early} is invalid; allowed: an integer >= 0`);
  const split = (s: MetricLine["split"]) => metrics.filter((m) => m.split === s);
  const [train, test, valid] = [split("train"), split("test"), split("valid")];
  const accs = test.filter((m) => m.acc !== undefined).map((m) => 100 * (m.acc as number));
  const decayEpoch = decayEpochOf(train);
  const finalTestAcc = pct(lastOf(test)?.acc);
  const preDecayTestAcc = decayEpoch === undefined ? undefined : pct(atEpoch(test, decayEpoch - 1)?.acc);
  return {
    epochs: train.length,
    finalTestAcc,
    bestTestAcc: accs.length ? Math.max(...accs) : undefined,
    finalTop5Acc: pct(lastOf(test)?.top5Acc),
    finalTestPpl: lastOf(test)?.ppl,
    finalValidPpl: lastOf(valid)?.ppl,
    finalTrainLoss: lastOf(train)?.loss,
    earlyTestAcc: pct(atEpoch(test, early)?.acc),
    earlyValidPpl: atEpoch(valid, early)?.ppl,
    earlyTrainLoss: atEpoch(train, early)?.loss,
    decayEpoch,
    preDecayTestAcc,
    decayGain: finalTestAcc !== undefined && preDecayTestAcc !== undefined ? finalTestAcc - preDecayTestAcc : undefined,
    wallSeconds: metrics.length ? Math.max(...metrics.map((m) => m.wallMs)) / 1000 : undefined,
  };
}

/**
 * Number of test examples a run's accuracies were measured on: `testLimit` when set (capped at
 * the full split), else {@link FULL_TEST_SET_SIZE}; undefined where unknown (image folders
 * without a limit) or not a classification (PTB).
 */
export function testSetSize(config: Pick<ExperimentConfig, "dataset" | "testLimit">): number | undefined {
  if (config.dataset === "ptb") return undefined;
  const full = FULL_TEST_SET_SIZE[config.dataset];
  const limit = config.testLimit !== undefined && config.testLimit > 0 ? config.testLimit : undefined;
  if (limit === undefined) return full;
  return full === undefined ? limit : Math.min(limit, full);
}

// ---------------------------------------------------------------------------------------------
// Grouping
// ---------------------------------------------------------------------------------------------

/**
 * Groups `items` by `key(item)`, groups in order of first appearance, items in input order.
 * The grouping is danfojs-node's `DataFrame.groupby` over a (key, row) frame; danfo is loaded on
 * first use because this module is also imported by the training path (theory fits), which
 * should not pay for loading it.
 */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): { key: string; items: T[] }[] {
  if (items.length === 0) return []; // danfo cannot build a frame with no rows
  const { DataFrame } = require("danfojs-node") as typeof import("danfojs-node");
  const keys = items.map(key);
  const frame = new DataFrame({ key: keys, row: items.map((_, i) => i) });
  const groups = frame.groupby(["key"]).colDict as Record<string, { row: number[] } | undefined>;
  return Array.from(new Set(keys), (k) => {
    const rows = groups[k]?.row;
    // danfo keys its groups by the key's string form; a key it rewrote would be lost silently.
    if (!rows) throw new Error(`groupBy: danfo lost the group ${JSON.stringify(k)}; keys must be plain strings`);
    return { key: k, items: rows.map((i) => items[i]) };
  });
}

// ---------------------------------------------------------------------------------------------
// Means over seeds
// ---------------------------------------------------------------------------------------------

/** A statistic over seeds: every value, the mean, and its uncertainty. */
export interface SeedStat {
  /** Every seed's value, in the order given (seed order from `collectExperiments`). */
  values: number[];
  /** The seeds of `values`, when known. */
  seeds?: number[];
  n: number;
  mean: number;
  /** Sample standard deviation (divisor n − 1); NaN for one seed (undefined, not 0). */
  std: number;
  /** Standard error of the mean over seeds, std / sqrt(n); NaN for one seed. */
  sem: number;
  /** 95 % interval of the mean over seeds: mean ± t_{0.975, n−1} · sem; NaNs for one seed. */
  ci: [number, number];
  /**
   * For accuracies (percent) on a test set of `testSetSize` images: the binomial standard error
   * 100 · sqrt(a(1 − a)/N) at the mean accuracy a. All seeds share one test set, so this noise
   * does not average out over seeds and is not in `sem`.
   */
  testSe?: number;
  testSetSize?: number;
}

function checkValues(values: readonly number[], seeds?: readonly number[]): void {
  if (values.length === 0) throw new Error("seedStat: values is empty; allowed: at least one finite number");
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`seedStat: values[${bad}] = ${values[bad]} is invalid; allowed: finite numbers`);
  if (seeds && seeds.length !== values.length) {
    throw new Error(`seedStat: ${seeds.length} seeds for ${values.length} values; they must match`);
  }
}

/**
 * Mean over seeds with its 95 % t interval (mean ± t_{0.975, n−1} s/√n). With `testSetSize`, the
 * values are accuracies in percent measured on that many test examples and `testSe` is added.
 */
export function seedStat(
  values: readonly number[],
  opts: { seeds?: readonly number[]; testSetSize?: number } = {},
): SeedStat {
  checkValues(values, opts.seeds);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const sem = std / Math.sqrt(n);
  const half = tQuantile(1 - ALPHA / 2, n - 1) * sem;
  const stat: SeedStat = { values: [...values], n, mean, std, sem, ci: [mean - half, mean + half] };
  if (opts.seeds) stat.seeds = [...opts.seeds];
  if (opts.testSetSize !== undefined) {
    stat.testSetSize = opts.testSetSize;
    stat.testSe = 100 * binomialSe(Math.min(1, Math.max(0, mean / 100)), opts.testSetSize);
  }
  return stat;
}

/**
 * Binomial standard error of an accuracy `p` (a fraction) measured on `n` independent test
 * examples: sqrt(p(1 − p)/n). E.g. 0.8 on 1,000 images: 0.01265 (1.3 points).
 */
export function binomialSe(p: number, n: number): number {
  if (!(p >= 0 && p <= 1))
    throw new Error(`binomialSe: p = ${p} is invalid; allowed: an accuracy in [0, 1] (a fraction, not percent)`);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`binomialSe: n = ${n} is invalid; allowed: an integer >= 1 (test examples)`);
  return Math.sqrt((p * (1 - p)) / n);
}

// ---------------------------------------------------------------------------------------------
// Differences
// ---------------------------------------------------------------------------------------------

/** One independent variance term of an estimate, with its degrees of freedom (∞ when known). */
export interface VarianceTerm {
  variance: number;
  df: number;
}

/**
 * Welch-Satterthwaite degrees of freedom of a sum of independent variance terms:
 * ν = (Σ v_i)² / Σ (v_i² / ν_i). Known terms (ν_i = ∞) add to the numerator only; for two
 * sample terms s_a²/n_a and s_b²/n_b this is Welch's two-sample ν. ∞ when every term is known.
 */
export function welchDf(terms: readonly VarianceTerm[]): number {
  const total = terms.reduce((a, t) => a + t.variance, 0);
  const denom = terms.reduce((a, t) => a + (Number.isFinite(t.df) ? t.variance ** 2 / t.df : 0), 0);
  return denom > 0 ? total ** 2 / denom : Infinity;
}

/** The difference of two means with its t interval and two-sided p-value. */
export interface Difference {
  /** a − b, in the "better" direction (b − a when lower is better). */
  diff: number;
  se: number;
  df: number;
  /** diff / se. */
  t: number;
  /** Two-sided p-value of "no difference". */
  p: number;
  level: number;
  ci: [number, number];
}

/** Variance terms of a mean: s²/n over seeds (ν = n − 1), plus the test set's SE² when known (ν = ∞). */
function meanTerms(s: SeedStat): VarianceTerm[] {
  const terms: VarianceTerm[] = [{ variance: s.sem ** 2, df: s.n - 1 }];
  if (s.testSe !== undefined) terms.push({ variance: s.testSe ** 2, df: Infinity });
  return terms;
}

/**
 * Welch's two-sample comparison of `a` and `b`: d = ±(mean_a − mean_b), se² = s_a²/n_a + s_b²/n_b
 * (+ the test-set SE² of each mean: the two settings' test errors are treated as independent,
 * which overstates the noise of a difference on a shared test set, the cautious side), ν by
 * {@link welchDf}, interval d ± t_{(1+level)/2, ν} se. NaNs when a side has one seed.
 */
export function difference(
  a: SeedStat,
  b: SeedStat,
  opts: { higherIsBetter?: boolean; level?: number } = {},
): Difference {
  const level = opts.level ?? CONFIDENCE;
  if (!(level > 0 && level < 1))
    throw new Error(`difference: level = ${level} is invalid; allowed: a number in (0, 1)`);
  const diff = (opts.higherIsBetter === false ? -1 : 1) * (a.mean - b.mean);
  const terms = [...meanTerms(a), ...meanTerms(b)];
  const se = Math.sqrt(terms.reduce((s, t) => s + t.variance, 0));
  const df = welchDf(terms);
  // No noise at all (identical seeds, no test-set term): the difference is exact.
  if (se === 0)
    return {
      diff,
      se,
      df,
      t: diff === 0 ? 0 : Math.sign(diff) * Infinity,
      p: Number(diff === 0),
      level,
      ci: [diff, diff],
    };
  const t = diff / se;
  const half = tQuantile((1 + level) / 2, df) * se;
  return { diff, se, df, t, p: 2 * tCdf(-Math.abs(t), df), level, ci: [diff - half, diff + half] };
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

export type Verdict = "supported" | "contradicted" | "inconclusive" | "not measured";
/** The verdicts a test can reach ("not measured" is the caller's, when a side has no runs). */
type Decided = Exclude<Verdict, "not measured">;

/** A decided comparison of two settings. */
export interface Decision {
  verdict: Verdict;
  test: "difference" | "equivalence" | "non-inferiority";
  /** a − b in the better direction (NaN when not computed). */
  diff: number;
  /** The interval the verdict is read from, at `level`. */
  ci: [number, number];
  level: number;
  /** The test's p-value (two-sided for a difference; the larger one-sided one for TOST). */
  p: number;
  df: number;
  margin?: number;
  /** Why this verdict, in words ("95 % interval [0.4, 2.1] excludes 0"). */
  reason: string;
}

export interface DecisionOptions {
  /** Higher values are better (accuracy; default) or lower (perplexity). */
  higherIsBetter?: boolean;
  /** Fewest seeds per side (default {@link MIN_SEEDS}; at least 2). */
  minSeeds?: number;
}

const fmt = (x: number, digits = 2) => (x >= 0 ? "+" : "") + x.toFixed(digits);
const interval = (ci: [number, number], level: number) =>
  `${Math.round(100 * level)} % interval [${fmt(ci[0])}, ${fmt(ci[1])}]`;

/** The "inconclusive: too few seeds" decision, or undefined when both sides have enough. */
function tooFewSeeds(
  a: SeedStat,
  b: SeedStat,
  test: Decision["test"],
  opts: DecisionOptions,
  margin?: number,
): Decision | undefined {
  const min = opts.minSeeds ?? MIN_SEEDS;
  if (!Number.isInteger(min) || min < 2)
    throw new Error(`decision: minSeeds = ${min} is invalid; allowed: an integer >= 2`);
  if (a.n >= min && b.n >= min) return undefined;
  const reason = `too few seeds (${a.n} and ${b.n}; at least ${min} each are needed for an interval)`;
  return { verdict: "inconclusive", test, diff: NaN, ci: [NaN, NaN], level: NaN, p: NaN, df: NaN, margin, reason };
}

function checkMargin(margin: number, what: string): void {
  if (!(margin > 0 && Number.isFinite(margin))) {
    throw new Error(`${what}: margin = ${margin} is invalid; allowed: a finite number > 0 (in the statistic's units)`);
  }
}

/** A decision from a computed difference: the verdict, where the interval lies (words) and the test's p. */
function decision(
  d: Difference,
  test: Decision["test"],
  verdict: Verdict,
  where: string,
  p: number,
  margin?: number,
): Decision {
  return {
    verdict,
    test,
    diff: d.diff,
    ci: d.ci,
    level: d.level,
    p,
    df: d.df,
    margin,
    reason: `${interval(d.ci, d.level)} ${where}`,
  };
}

/** One-sided p-value of "the difference is at most −margin" (its upper tail beyond −margin). */
function pAbove(d: Difference, margin: number): number {
  return d.se === 0 ? Number(d.diff <= -margin) : 1 - tCdf((d.diff + margin) / d.se, d.df);
}

/**
 * "a is better than b", decided two-sided from the 95 % Welch interval of the difference:
 * supported when it lies above 0, contradicted when below 0 (b is better), else inconclusive.
 */
export function testDifference(a: SeedStat, b: SeedStat, opts: DecisionOptions = {}): Decision {
  const few = tooFewSeeds(a, b, "difference", opts);
  if (few) return few;
  const d = difference(a, b, { higherIsBetter: opts.higherIsBetter, level: CONFIDENCE });
  const [lo, hi] = d.ci;
  const verdict: Verdict = lo > 0 ? "supported" : hi < 0 ? "contradicted" : "inconclusive";
  return decision(d, "difference", verdict, lo > 0 ? "lies above 0" : hi < 0 ? "lies below 0" : "contains 0", d.p);
}

/**
 * "a ≈ b within ±margin", by two one-sided tests (TOST) at level ALPHA each, i.e. from the
 * 1 − 2·ALPHA = 90 % interval of the difference: supported when it lies inside (−margin, margin);
 * contradicted when it lies wholly outside [−margin, margin] (shown to differ by more than the
 * margin); else inconclusive. p = max of the two one-sided p-values.
 */
export function testEquivalence(a: SeedStat, b: SeedStat, margin: number, opts: DecisionOptions = {}): Decision {
  checkMargin(margin, "testEquivalence");
  const few = tooFewSeeds(a, b, "equivalence", opts, margin);
  if (few) return few;
  const d = difference(a, b, { higherIsBetter: opts.higherIsBetter, level: 1 - 2 * ALPHA });
  const [lo, hi] = d.ci;
  // The upper test is the lower one mirrored: "diff ≥ margin" is "−diff ≤ −margin".
  const p = Math.max(pAbove(d, margin), pAbove({ ...d, diff: -d.diff }, margin));
  const verdict: Decided =
    lo > -margin && hi < margin ? "supported" : lo > margin || hi < -margin ? "contradicted" : "inconclusive";
  const where = { supported: "lies within", contradicted: "lies outside", inconclusive: "crosses" }[verdict];
  return decision(d, "equivalence", verdict, `${where} ±${margin.toFixed(2)}`, p, margin);
}

/**
 * "a is not worse than b by more than margin" (non-inferiority), from the 95 % interval of the
 * difference (one-sided level ALPHA/2, the usual convention): supported when its lower end is
 * above −margin; contradicted when its upper end is below −margin (a shown worse by more than
 * the margin); else inconclusive.
 */
export function testNonInferiority(a: SeedStat, b: SeedStat, margin: number, opts: DecisionOptions = {}): Decision {
  checkMargin(margin, "testNonInferiority");
  const few = tooFewSeeds(a, b, "non-inferiority", opts, margin);
  if (few) return few;
  const d = difference(a, b, { higherIsBetter: opts.higherIsBetter, level: CONFIDENCE });
  const [lo, hi] = d.ci;
  const verdict: Decided = lo > -margin ? "supported" : hi < -margin ? "contradicted" : "inconclusive";
  const where = { supported: "lies above", contradicted: "lies below", inconclusive: "contains" }[verdict];
  return decision(d, "non-inferiority", verdict, `${where} −${margin.toFixed(2)}`, pAbove(d, margin), margin);
}

// ---------------------------------------------------------------------------------------------
// Fits
// ---------------------------------------------------------------------------------------------

/**
 * Least-squares slope of log y on log x over the points with x > 0 and y > 0: the exponent b of
 * a power law y ≈ c·x^b. NaN with fewer than 2 such points or when all x are equal.
 * (Five lines of arithmetic; not worth a regression package.)
 */
export function logLogSlope(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length)
    throw new Error(`logLogSlope: ${x.length} x values but ${y.length} y values; they must match`);
  const pts = x
    .map((xi, k) => [xi, y[k]])
    .filter(([xi, yi]) => xi > 0 && yi > 0)
    .map(([xi, yi]) => [Math.log(xi), Math.log(yi)]);
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  const sxy = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : NaN;
}
