/**
 * Recorder of the gradient statistics that the Padam convergence bound needs (docs/paper-notes.md section 4.2):
 *
 *   G_inf             = max_t ||g_t||_inf                 (largest |g| seen)
 *   ||g_{1:T,i}||_2   = sqrt(sum_{t<=T} g_{t,i}^2)        (per coordinate i = 1..d)
 *   s                 growth exponent with ||g_{1:T,i}||_2 <= G_inf T^s
 *
 * and the verified rate's numerator sum_i ||g_{1:T,i}||_2.
 *
 * Cost per `update`: per variable one square-add into an accumulator and one max|g| (a few fused
 * tfjs ops, no download). At geometrically spaced steps (t = 1, then ratio `historyRatio`) two
 * scalar reductions are kept as tensors for the growth fit; nothing is read back to the host
 * until `summary()`.
 *
 * Used by the experiment runner (optional recording) and notebooks/03-convergence-theory.ipynb.
 */
import * as tf from "@tensorflow/tfjs";
import { logLogSlope } from "../analysis/statistics";

/** Options of `createGradientStats`. */
export interface GradientStatsConfig {
  /** Spacing of the history used to fit s: checkpoints at t = 1, then t <- max(t+1, ceil(t*ratio)). */
  historyRatio: number;
  /** Quantiles of the per-coordinate norms ||g_{1:T,i}||_2 reported by `summary()`. */
  quantiles: number[];
  /**
   * The fit of s uses history points with t >= T^fitFromExponent (the later part of the run in
   * log-time, where early transients matter less). 0 uses all points.
   */
  fitFromExponent: number;
}

export const GRADIENT_STATS_DEFAULTS: Readonly<GradientStatsConfig> = Object.freeze({
  historyRatio: 1.25, // ~10 points per decade of t: enough for a log-log slope, negligible cost
  quantiles: [0.5, 0.9, 0.99],
  fitFromExponent: 0.5, // fit on t in [sqrt(T), T]
});

/** One point of the T-history. */
export interface GradientStatsHistoryPoint {
  t: number;
  /** sum_i ||g_{1:t,i}||_2 */
  sumNorms: number;
  /** max_i ||g_{1:t,i}||_2 */
  maxNorm: number;
  /** max |g| over steps 1..t */
  gInf: number;
}

/** Summary statistics of the recorded gradients. */
export interface GradientStatsSummary {
  /** Number of recorded steps. */
  T: number;
  /** Number of coordinates (sum of variable sizes). */
  d: number;
  /** Largest |g| seen. */
  gInf: number;
  /** Summaries of the per-coordinate norms ||g_{1:T,i}||_2. */
  coordinateNorms: {
    sum: number;
    max: number;
    mean: number;
    quantiles: { q: number; value: number }[];
  };
  /** Geometrically spaced T-history, ending at t = T. */
  history: GradientStatsHistoryPoint[];
  /** Growth exponent s. */
  s: {
    /** Least-squares slope of log max_i ||g_{1:t,i}||_2 vs log t (t >= T^fitFromExponent); NaN if < 2 points. */
    fittedMax: number;
    /** Same for sum_i ||g_{1:t,i}||_2. */
    fittedSum: number;
    /** Smallest s with ||g_{1:T,i}||_2 <= G_inf T^s for all i at this T: log(max_i norm / G_inf) / log T. */
    envelope: number;
    /** Value to pass to the bound: `envelope` clamped to [0, 1/2] (0 when T < 2 or no gradient). */
    forBound: number;
  };
  perVariable: { name: string; size: number; sumNorms: number; maxNorm: number; gInf: number }[];
  /** Inputs of `convergenceBound` measured here; the rest (p, betas, L, ...) come from elsewhere. */
  boundInputs: { Ginf: number; d: number; T: number; s: number };
}

/** The recorder returned by `createGradientStats`. */
export interface GradientStats {
  /** Adds one step's gradients (variable name -> gradient). The tensors are not disposed. */
  update(grads: tf.NamedTensorMap): void;
  /** Number of recorded steps. */
  readonly steps: number;
  /** Reads the accumulators back (one download per variable) and summarizes. */
  summary(): GradientStatsSummary;
  /**
   * E||vhat_1^(-p)||_1 estimated from the first step (vhat_1 = (1-beta2) g_1^2), for the bound's M2.
   * With epsilon > 0 uses the official-code denominator form (sqrt(vhat_1) + epsilon)^(-2p).
   * Coordinates with g_{1,i} = 0 make it infinite when epsilon = 0; they are counted.
   */
  firstStepInvVHatL1(opts: { p: number; beta2: number; epsilon?: number }): { value: number; zeroCoordinates: number };
  /** Frees every tensor held by the recorder. */
  dispose(): void;
}

interface Slot {
  name: string;
  shape: number[];
  size: number;
  /** sum_t g_t^2, same shape as the variable */
  sumSq: tf.Variable;
  /** max_t max |g_t| (scalar) */
  maxAbs: tf.Variable;
  /** g_1^2 (first step only), for E||vhat_1^(-p)||_1 */
  firstSq: tf.Tensor | null;
}

function checkConfig(c: GradientStatsConfig): void {
  if (!(Number.isFinite(c.historyRatio) && c.historyRatio > 1)) {
    throw new Error(`GradientStatsConfig.historyRatio = ${c.historyRatio} is not allowed: a finite number > 1`);
  }
  if (!Array.isArray(c.quantiles) || c.quantiles.some((q) => !(q >= 0 && q <= 1))) {
    throw new Error(`GradientStatsConfig.quantiles = ${JSON.stringify(c.quantiles)} is not allowed: numbers in [0, 1]`);
  }
  if (!(c.fitFromExponent >= 0 && c.fitFromExponent < 1)) {
    throw new Error(`GradientStatsConfig.fitFromExponent = ${c.fitFromExponent} is not allowed: 0 <= value < 1`);
  }
}

/** Quantile of sorted data with linear interpolation between order statistics (R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Creates a gradient-statistics recorder.
 *
 * @example
 *   const stats = createGradientStats();
 *   const { grads } = tf.variableGrads(lossFn);
 *   stats.update(grads); optimizer.applyGradients(grads); tf.dispose(grads);
 *   ...
 *   const s = stats.summary(); // s.gInf, s.coordinateNorms.sum, s.s.forBound, ...
 */
export function createGradientStats(config: Partial<GradientStatsConfig> = {}): GradientStats {
  const cfg: GradientStatsConfig = { ...GRADIENT_STATS_DEFAULTS, ...config };
  checkConfig(cfg);
  return new GradientRecorder(cfg);
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** The recorder behind {@link createGradientStats}: accumulators per variable, a geometric history. */
class GradientRecorder implements GradientStats {
  private readonly slots = new Map<string, Slot>();
  /** History points as kept tensors [sumNorms, maxNorm, gInf], downloaded only in summary(). */
  private readonly history: { t: number; values: tf.Tensor1D }[] = [];
  private count = 0;
  private nextCheckpoint = 1;
  private disposed = false;

  constructor(private readonly cfg: GradientStatsConfig) {}

  get steps(): number {
    return this.count;
  }

  update(grads: tf.NamedTensorMap): void {
    this.check(grads); // everything before touching any accumulator
    this.count += 1;
    for (const [name, g] of Object.entries(grads)) {
      const slot = this.slotFor(name, g);
      tf.tidy(() => {
        const g32 = g.dtype === "float32" ? g : g.toFloat();
        const sq = tf.square(g32);
        slot.sumSq.assign(tf.add(slot.sumSq, sq));
        slot.maxAbs.assign(tf.maximum(slot.maxAbs, tf.max(tf.abs(g32))));
        if (this.count === 1) slot.firstSq = tf.keep(sq);
      });
    }
    if (this.count === this.nextCheckpoint) {
      this.history.push({ t: this.count, values: this.reduceNow() });
      this.nextCheckpoint = Math.max(this.count + 1, Math.ceil(this.count * this.cfg.historyRatio));
    }
  }

  private check(grads: tf.NamedTensorMap): void {
    if (this.disposed) throw new Error("GradientStats.update called after dispose()");
    if (grads === null || typeof grads !== "object") {
      throw new Error(`GradientStats.update grads = ${String(grads)} is not allowed: a {name: tf.Tensor} map`);
    }
    for (const [name, g] of Object.entries(grads)) {
      if (!(g instanceof tf.Tensor)) {
        throw new Error(`GradientStats.update gradient '${name}' is ${String(g)}, expected a tf.Tensor`);
      }
      if (g.isDisposed) throw new Error(`GradientStats.update gradient '${name}' is already disposed`);
      const slot = this.slots.get(name);
      if (slot !== undefined && !sameShape(slot.shape, g.shape)) {
        throw new Error(
          `gradient '${name}' has shape [${g.shape}] but earlier steps had [${slot.shape}]: shapes must not change`,
        );
      }
    }
  }

  private slotFor(name: string, g: tf.Tensor): Slot {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = {
        name,
        shape: g.shape.slice(),
        size: g.size,
        // tidy frees the initial values; variables are not tracked by tidy
        sumSq: tf.tidy(() => tf.variable(tf.zeros(g.shape, "float32"), false)),
        maxAbs: tf.tidy(() => tf.variable(tf.scalar(0, "float32"), false)),
        firstSq: null,
      };
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** [sum_i norm_i, max_i norm_i, gInf] as one kept tensor (no download). */
  private reduceNow(): tf.Tensor1D {
    return tf.tidy(() => {
      const all = Array.from(this.slots.values());
      if (all.length === 0) return tf.zeros([3]) as tf.Tensor1D;
      const sums = all.map((s) => tf.sum(tf.sqrt(s.sumSq)));
      const maxs = all.map((s) => tf.max(tf.sqrt(s.sumSq)));
      const ginfs = all.map((s) => s.maxAbs);
      return tf.stack([tf.addN(sums), tf.max(tf.stack(maxs)), tf.max(tf.stack(ginfs))]) as tf.Tensor1D;
    });
  }

  /** Every coordinate's norm ||g_{1:T,i}||_2 (variables in order) and each variable's totals. */
  private coordinateNorms(): { norms: Float64Array; perVariable: GradientStatsSummary["perVariable"]; gInf: number } {
    const all = Array.from(this.slots.values());
    const norms = new Float64Array(all.reduce((a, s) => a + s.size, 0));
    const perVariable: GradientStatsSummary["perVariable"] = [];
    let offset = 0;
    let gInf = 0;
    for (const s of all) {
      const sq = s.sumSq.dataSync();
      let sum = 0;
      let mx = 0;
      for (let k = 0; k < sq.length; k++) {
        const n = Math.sqrt(sq[k]);
        norms[offset + k] = n;
        sum += n;
        if (n > mx) mx = n;
      }
      offset += sq.length;
      const g = s.maxAbs.dataSync()[0];
      gInf = Math.max(gInf, g);
      perVariable.push({ name: s.name, size: s.size, sumNorms: sum, maxNorm: mx, gInf: g });
    }
    return { norms, perVariable, gInf };
  }

  summary(): GradientStatsSummary {
    if (this.disposed) throw new Error("GradientStats.summary called after dispose()");
    const steps = this.count;
    const { norms, perVariable, gInf } = this.coordinateNorms();
    const d = norms.length;
    const sorted = norms.slice().sort();
    const sumNorms = perVariable.reduce((a, v) => a + v.sumNorms, 0);
    const maxNorm = d > 0 ? sorted[d - 1] : 0;
    const hist: GradientStatsHistoryPoint[] = this.history.map((h) => {
      const v = h.values.dataSync();
      return { t: h.t, sumNorms: v[0], maxNorm: v[1], gInf: v[2] };
    });
    if (steps > 0 && (hist.length === 0 || hist[hist.length - 1].t !== steps)) {
      hist.push({ t: steps, sumNorms, maxNorm, gInf });
    }
    const s = this.growthExponents(hist, steps, gInf, maxNorm);
    return {
      T: steps,
      d,
      gInf,
      coordinateNorms: {
        sum: sumNorms,
        max: maxNorm,
        mean: d > 0 ? sumNorms / d : NaN,
        quantiles: this.cfg.quantiles.map((q) => ({ q, value: quantileSorted(sorted, q) })),
      },
      history: hist,
      s,
      perVariable,
      boundInputs: { Ginf: gInf, d, T: steps, s: s.forBound },
    };
  }

  /** The growth exponent s of ||g_{1:T,i}|| ~ T^s: log-log fits over the history's later part, and the envelope. */
  private growthExponents(
    hist: GradientStatsHistoryPoint[],
    steps: number,
    gInf: number,
    maxNorm: number,
  ): GradientStatsSummary["s"] {
    const from = Math.pow(steps, this.cfg.fitFromExponent);
    const fitPts = hist.filter((h) => h.t >= from);
    const ts = fitPts.map((h) => h.t);
    const fittedMax = logLogSlope(
      ts,
      fitPts.map((h) => h.maxNorm),
    );
    const fittedSum = logLogSlope(
      ts,
      fitPts.map((h) => h.sumNorms),
    );
    const envelope = steps >= 2 && gInf > 0 && maxNorm > 0 ? Math.log(maxNorm / gInf) / Math.log(steps) : NaN;
    const forBound = Number.isFinite(envelope) ? Math.min(0.5, Math.max(0, envelope)) : 0;
    return { fittedMax, fittedSum, envelope, forBound };
  }

  firstStepInvVHatL1(opts: { p: number; beta2: number; epsilon?: number }): { value: number; zeroCoordinates: number } {
    const { p, beta2 } = opts;
    const eps = opts.epsilon ?? 0;
    if (!(p >= 0 && p <= 0.5)) throw new Error(`firstStepInvVHatL1 p = ${p} is not allowed: 0 <= p <= 1/2`);
    if (!(beta2 > 0 && beta2 < 1)) throw new Error(`firstStepInvVHatL1 beta2 = ${beta2} is not allowed: 0 < beta2 < 1`);
    if (!(eps >= 0 && Number.isFinite(eps)))
      throw new Error(`firstStepInvVHatL1 epsilon = ${eps} is not allowed: finite, >= 0`);
    if (this.count === 0) throw new Error("firstStepInvVHatL1 needs at least one recorded step");
    let value = 0;
    let zeros = 0;
    for (const s of this.slots.values()) {
      if (s.firstSq === null) continue; // variable first seen after step 1
      const sq = s.firstSq.dataSync();
      for (let k = 0; k < sq.length; k++) {
        const vhat = (1 - beta2) * sq[k];
        if (sq[k] === 0) zeros += 1;
        // (sqrt(vhat) + eps)^(-2p) equals vhat^(-p) when eps = 0
        value += Math.pow(Math.sqrt(vhat) + eps, -2 * p);
      }
    }
    return { value, zeroCoordinates: zeros };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots.values()) {
      s.sumSq.dispose();
      s.maxAbs.dispose();
      if (s.firstSq !== null) s.firstSq.dispose();
    }
    for (const h of this.history) h.values.dispose();
    this.slots.clear();
    this.history.length = 0;
  }
}
