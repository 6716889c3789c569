/**
 * Assignment A4 "A fair mini-experiment": Adam against Padam on a tiny synthetic logistic
 * regression, several seeds, a paired 95% t-interval for the difference of the final test
 * losses, and a verdict that the interval supports. Graded on the method, not on which optimizer
 * wins: enough distinct seeds, the interval computed correctly from the student's own numbers,
 * the verdict consistent with it.
 *
 * Paired interval: with d_i = a_i − b_i (same seed, so same data and initialization),
 *
 *     mean ± t_{0.975, n−1} · s_d/√n,   s_d² = Σ (d_i − mean)² / (n − 1).
 */
import tQuantileOf from "@stdlib/stats-base-dists-t-quantile";
import { referenceTrajectory } from "../optim/reference";
import type { OptimizerOptionsMap } from "../optim/registry";
import { seededRandom } from "../util/random";
import { CheckFailure, asNumber, call, close, fmt, passed } from "./checks";

/** The 97.5% quantile of Student's t with df degrees of freedom (stdlib), for 95% intervals. */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`tQuantile975: df = ${df}; allowed: an integer >= 1`);
  return tQuantileOf(0.975, df);
}

export type Optimizer = "adam" | "padam";

/** The settings both optimizers get (each at its usual learning rate). */
export const MINI_SETTINGS: { [O in Optimizer]: OptimizerOptionsMap[O] } = {
  adam: { learningRate: 0.01 },
  padam: { learningRate: 0.1, partial: 0.125 },
};

/** Standard normal from two uniforms (Box–Muller). */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Synthetic logistic data of a seed: n points in d dimensions, labels from a hidden w with 10% flips. */
function syntheticData(seed: number, n: number, d: number): { X: number[][]; y: number[] } {
  const rng = seededRandom(seed);
  const w = Array.from({ length: d }, () => normal(rng));
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => normal(rng)));
  const y = X.map((x) => Number(x.reduce((a, xi, j) => a + xi * w[j], 0) > 0) ^ Number(rng() < 0.1));
  return { X, y };
}

/** Mean logistic loss and its gradient. */
function logistic(X: number[][], y: number[], w: ArrayLike<number>): { loss: number; grad: number[] } {
  const g = new Array<number>(w.length).fill(0);
  let loss = 0;
  X.forEach((x, r) => {
    const z = x.reduce((a, xi, j) => a + xi * w[j], 0);
    loss += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y[r] * z;
    const s = 1 / (1 + Math.exp(-z)) - y[r];
    x.forEach((xi, j) => (g[j] += (xi * s) / X.length));
  });
  return { loss: loss / X.length, grad: g };
}

/**
 * One run: data, split and initialization all from `seed` (so two optimizers with the same seed
 * see the same problem), 150 full-batch steps, returns the final test loss.
 */
export function miniExperiment(optimizer: Optimizer, seed: number): number {
  if (!(optimizer in MINI_SETTINGS)) throw new Error(`optimizer is ${JSON.stringify(optimizer)}; allowed: adam, padam`);
  if (!Number.isInteger(seed)) throw new Error(`seed is ${seed}; allowed: an integer`);
  const d = 8;
  const { X, y } = syntheticData(seed, 240, d);
  const [trainX, trainY, testX, testY] = [X.slice(0, 160), y.slice(0, 160), X.slice(160), y.slice(160)];
  const init = seededRandom(seed + 7919);
  const x0 = Array.from({ length: d }, () => 0.5 * normal(init));
  const path = referenceTrajectory(
    optimizer,
    MINI_SETTINGS[optimizer],
    x0,
    150,
    (w) => logistic(trainX, trainY, w).grad,
  );
  return logistic(testX, testY, path[path.length - 1]).loss;
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/** The check's paired interval of a − b (the formula in the module comment). */
export function pairedIntervalOf(a: readonly number[], b: readonly number[]): Interval {
  const d = a.map((ai, i) => ai - b[i]);
  const n = d.length;
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}

function asInterval(v: unknown, what: string): Interval {
  const o = v as Partial<Interval> | null;
  if (!o || typeof o !== "object")
    throw new CheckFailure(`${what} should return { mean, low, high }, got ${String(v)}`);
  return {
    mean: asNumber(o.mean, `${what}.mean`),
    low: asNumber(o.low, `${what}.low`),
    high: asNumber(o.high, `${what}.high`),
  };
}

type IntervalFn = (a: number[], b: number[]) => Interval;
type VerdictFn = (iv: Interval) => "A" | "B" | "none";

export function checkSeeds(chooseSeeds: () => number[]): void {
  const seeds = call<unknown>("chooseSeeds", chooseSeeds);
  if (!Array.isArray(seeds) || !seeds.every((s) => Number.isInteger(s)))
    throw new CheckFailure(`chooseSeeds should return an array of integers, got ${JSON.stringify(seeds)}`);
  const distinct = new Set(seeds).size;
  if (distinct !== seeds.length)
    throw new CheckFailure(
      `chooseSeeds returns ${seeds.length} seeds but only ${distinct} distinct ones: a repeated seed repeats the same run and fakes precision`,
    );
  if (seeds.length < 5)
    throw new CheckFailure(
      `${seeds.length} seed(s): with fewer than 5 the t-interval is too wide to say anything (t_{0.975,${Math.max(seeds.length - 1, 1)}} = ${fmt(tQuantile975(Math.max(seeds.length - 1, 1)))})`,
    );
  passed(`${seeds.length} distinct seeds`);
}

export function checkPairedInterval(pairedInterval: IntervalFn, level: { hidden?: boolean } = {}): void {
  // Hand-worked: a − b = [1, 2, 3, 4, 5]: mean 3, s_d = sqrt(10/4) = 1.5811, s_d/√5 = 0.70711,
  // t_{0.975,4} = 2.7764, half-width 1.9632: [1.0368, 4.9632].
  const a = [3, 4, 5, 6, 7];
  const b = [2, 2, 2, 2, 2];
  const iv = asInterval(call("pairedInterval", pairedInterval, [...a], [...b]), "pairedInterval(...)");
  const e = { mean: 3, low: 1.03679, high: 4.96321 };
  const tol = 1e-4;
  if (!close(iv.mean, e.mean, 0, 1e-9))
    throw new CheckFailure(`differences [1, 2, 3, 4, 5]: mean ${fmt(iv.mean)}, expected 3 — the mean of a − b`);
  if (!close(iv.low, e.low, 0, tol) || !close(iv.high, e.high, 0, tol)) {
    const half = iv.high - iv.mean;
    const se = Math.sqrt(2.5 / 5);
    const hint = close(half, 1.96 * se, 0, tol)
      ? "this uses the normal quantile 1.96; with 5 seeds use Student's t with 4 degrees of freedom (tQuantile975(4) = 2.7764)"
      : close(half, 2.7764 * Math.sqrt(2 / 5), 0, tol)
        ? "the standard deviation divides by n; the sample standard deviation divides by n − 1"
        : close(half, 2.5706 * se, 0, tol)
          ? "the degrees of freedom are n − 1 = 4, not n"
          : "half-width = t_{0.975, n−1} · s_d / √n with s_d the sample standard deviation of the differences";
    throw new CheckFailure(
      `differences [1, 2, 3, 4, 5]: [${fmt(iv.low)}, ${fmt(iv.high)}], expected [${fmt(e.low)}, ${fmt(e.high)}] — ${hint}`,
    );
  }
  // Paired, not two-sample: a and b with a large shared seed effect and a constant difference 1.
  const a2 = [10, 20, 30, 40, 50];
  const iv2 = asInterval(
    call(
      "pairedInterval",
      pairedInterval,
      a2,
      a2.map((x) => x - 1),
    ),
    "pairedInterval(...)",
  );
  if (!(close(iv2.low, 1, 0, 1e-9) && close(iv2.high, 1, 0, 1e-9))) {
    throw new CheckFailure(
      `a = [10, 20, 30, 40, 50], b = a − 1: [${fmt(iv2.low)}, ${fmt(iv2.high)}], expected [1, 1] — pair the runs of the same seed (differences a_i − b_i), the seed-to-seed spread cancels`,
    );
  }
  if (level.hidden) {
    // Hand-worked: a − b = [0.1, −0.1, 0.3, 0.1]: mean 0.1, s_d = sqrt(0.08/3) = 0.163299,
    // s_d/2 = 0.0816497, t_{0.975,3} = 3.18245, half-width 0.259845: [−0.159845, 0.359845].
    const iv3 = asInterval(
      call("pairedInterval", pairedInterval, [1.1, 0.9, 1.3, 1.1], [1, 1, 1, 1]),
      "pairedInterval(...)",
    );
    if (!close(iv3.low, -0.159845, 0, 1e-5) || !close(iv3.high, 0.359845, 0, 1e-5)) {
      throw new CheckFailure(
        `differences [0.1, −0.1, 0.3, 0.1]: [${fmt(iv3.low)}, ${fmt(iv3.high)}], expected [−0.1598, 0.3598] (n = 4, t_{0.975,3} = 3.1824)`,
      );
    }
  }
  passed("pairedInterval: hand-worked intervals and the paired case match");
}

export function checkVerdict(verdict: VerdictFn): void {
  const cases: [Interval, "A" | "B" | "none", string][] = [
    [{ mean: -0.2, low: -0.3, high: -0.1 }, "A", "the whole interval of a − b is below 0: A's loss is lower"],
    [{ mean: 0.2, low: 0.1, high: 0.3 }, "B", "the whole interval of a − b is above 0: B's loss is lower"],
    [{ mean: -0.2, low: -0.5, high: 0.1 }, "none", "the interval contains 0: the data do not show a difference"],
    [{ mean: 0.05, low: -0.01, high: 0.11 }, "none", "the interval contains 0: the data do not show a difference"],
  ];
  for (const [iv, e, why] of cases) {
    const a = call("verdict", verdict, { ...iv });
    if (a !== e)
      throw new CheckFailure(`verdict([${iv.low}, ${iv.high}]) is ${JSON.stringify(a)}, expected "${e}": ${why}`);
  }
  passed("verdict: consistent with 4 intervals");
}

/**
 * The whole experiment with the student's pieces: the interval must be the one their own numbers
 * give and the verdict the one the interval supports.
 */
export function checkExperiment(chooseSeeds: () => number[], pairedInterval: IntervalFn, verdict: VerdictFn): void {
  const seeds = call<number[]>("chooseSeeds", chooseSeeds);
  const a = seeds.map((s) => miniExperiment("adam", s));
  const b = seeds.map((s) => miniExperiment("padam", s));
  const iv = asInterval(call("pairedInterval", pairedInterval, [...a], [...b]), "pairedInterval(...)");
  const e = pairedIntervalOf(a, b);
  if (!close(iv.low, e.low, 1e-9, 1e-12) || !close(iv.high, e.high, 1e-9, 1e-12)) {
    throw new CheckFailure(
      `on your ${seeds.length} seeds: interval [${fmt(iv.low)}, ${fmt(iv.high)}], expected [${fmt(e.low)}, ${fmt(e.high)}] from the same test losses`,
    );
  }
  const v = call("verdict", verdict, { ...iv });
  const ev = e.high < 0 ? "A" : e.low > 0 ? "B" : "none";
  if (v !== ev)
    throw new CheckFailure(
      `on your seeds the interval of Adam − Padam is [${fmt(e.low)}, ${fmt(e.high)}]; verdict ${JSON.stringify(v)} does not follow from it (expected "${ev}")`,
    );
  passed(
    `Adam − Padam test loss over ${seeds.length} seeds: ${fmt(e.mean)}, 95% interval [${fmt(e.low)}, ${fmt(e.high)}], verdict "${v}"`,
  );
}
