/**
 * Empirical check of the convergence bound on a synthetic smooth nonconvex problem with known
 * L and G_inf, running Padam exactly as the theorem states it (paper form, Algorithm 1), in float64.
 *
 * Problem (separable, nonconvex, bounded gradients):
 *
 *   f(x) = sum_i w_i phi(x_i),   phi(u) = u^2 / (1 + u^2),   w_i = (i + 1)^(-scaleDecay)
 *   phi'(u) = 2u / (1 + u^2)^2,  |phi'| <= 3 sqrt(3) / 8 (at u^2 = 1/3)
 *   phi''(u) = (2 - 6u^2) / (1 + u^2)^3, |phi''| <= 2 (at u = 0)
 *
 * so f is L-smooth with L = 2 max_i w_i, inf f = 0 (at x = 0), and phi'' < 0 for u^2 > 1/3
 * (nonconvex). Stochastic gradient: g_i = w_i (phi'(x_i) + sigma xi_i) with xi_i = +-1 equally
 * likely (unbiased), hence ||g||_inf <= G_inf = max_i w_i (3 sqrt(3)/8 + sigma) for every draw.
 *
 * Algorithm 1 (docs/paper-notes.md section 1.1; no bias correction, no epsilon):
 *   m_t = beta1 m_{t-1} + (1-beta1) g_t;  v_t = beta2 v_{t-1} + (1-beta2) g_t^2;
 *   vhat_t = max(vhat_{t-1}, v_t);       x_{t+1} = x_t - alpha m_t / vhat_t^p
 * (a coordinate with vhat = 0 has m = 0 and does not move). x_out is drawn uniformly from
 * {x_2, ..., x_T} (constant alpha; the output rule is UNVERIFIED, docs/paper-notes.md section 1.1).
 *
 * This is deliberately separate from src/optim's Padam, which follows the official code form
 * (bias correction, epsilon) rather than the theorem's algorithm.
 *
 * Two checks run on it: `syntheticCheck` compares the measured E||grad f(x_out)||^2 with the
 * bound at each horizon, and `pSlopeCheck` measures how p changes the log-log slope of the
 * measured value against T where the gradient scales spread over decades (see there).
 * Used by notebooks/03-convergence-theory.ipynb.
 */
import { BoundResult, convergenceBound } from "./bounds";
import { seededRandom } from "../util/random";
import { logLogSlope } from "../analysis/statistics";

/** Max of |phi'(u)| = 3 sqrt(3) / 8. */
export const PHI_PRIME_MAX = (3 * Math.sqrt(3)) / 8;
/** Max of |phi''(u)| = 2. */
export const PHI_SECOND_MAX = 2;

/** Synthetic problem configuration. */
export interface SyntheticProblemConfig {
  /** Dimension d. */
  d: number;
  /** Noise amplitude sigma of the +-1 gradient noise (relative to w_i). */
  noise: number;
  /** w_i = (i + 1)^(-scaleDecay); 0 makes all coordinates alike, > 0 makes most gradients small. */
  scaleDecay: number;
  /** x_1 is drawn uniformly from [-initRange, initRange]^d (once, from `seed`). */
  initRange: number;
  /** Seed of x_1. */
  seed: number;
}

export const SYNTHETIC_PROBLEM_DEFAULTS: Readonly<SyntheticProblemConfig> = Object.freeze({
  d: 50,
  noise: 1, // noise larger than the largest true gradient (0.65): a genuinely stochastic regime
  scaleDecay: 1, // w_i = 1/(i+1): a few large coordinates, many small ones
  initRange: 2, // beyond |u| = 1/sqrt(3), where phi is concave: starts in the nonconvex region
  seed: 1,
});

/** The problem with its known constants. */
export interface SyntheticProblem {
  config: SyntheticProblemConfig;
  weights: Float64Array;
  x1: Float64Array;
  /** L = 2 max_i w_i */
  L: number;
  /** G_inf = max_i w_i (3 sqrt(3)/8 + sigma) */
  Ginf: number;
  /** f(x_1) - inf f = f(x_1) */
  deltaF: number;
  f(x: Float64Array): number;
  /** ||grad f(x)||_2^2 */
  gradNormSq(x: Float64Array): number;
}

function checkProblemConfig(c: SyntheticProblemConfig): void {
  if (!(Number.isInteger(c.d) && c.d >= 1))
    throw new Error(`SyntheticProblemConfig.d = ${c.d} is not allowed: integer >= 1`);
  if (!(Number.isFinite(c.noise) && c.noise >= 0))
    throw new Error(`SyntheticProblemConfig.noise = ${c.noise} is not allowed: finite, >= 0`);
  if (!(Number.isFinite(c.scaleDecay) && c.scaleDecay >= 0)) {
    throw new Error(`SyntheticProblemConfig.scaleDecay = ${c.scaleDecay} is not allowed: finite, >= 0`);
  }
  if (!(Number.isFinite(c.initRange) && c.initRange > 0)) {
    throw new Error(`SyntheticProblemConfig.initRange = ${c.initRange} is not allowed: finite, > 0`);
  }
  if (!Number.isInteger(c.seed)) throw new Error(`SyntheticProblemConfig.seed = ${c.seed} is not allowed: an integer`);
}

/** Builds the synthetic problem (weights, x_1 and the known constants). */
export function syntheticProblem(config: Partial<SyntheticProblemConfig> = {}): SyntheticProblem {
  const c: SyntheticProblemConfig = { ...SYNTHETIC_PROBLEM_DEFAULTS, ...config };
  checkProblemConfig(c);
  const weights = new Float64Array(c.d);
  for (let i = 0; i < c.d; i++) weights[i] = Math.pow(i + 1, -c.scaleDecay);
  const rand = seededRandom(c.seed);
  const x1 = new Float64Array(c.d);
  for (let i = 0; i < c.d; i++) x1[i] = (2 * rand() - 1) * c.initRange;
  const wMax = weights.reduce((a, b) => Math.max(a, b), 0);
  const f = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += (weights[i] * x[i] * x[i]) / (1 + x[i] * x[i]);
    return s;
  };
  const gradNormSq = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      const q = 1 + x[i] * x[i];
      const g = (weights[i] * 2 * x[i]) / (q * q);
      s += g * g;
    }
    return s;
  };
  return {
    config: c,
    weights,
    x1,
    L: PHI_SECOND_MAX * wMax,
    Ginf: wMax * (PHI_PRIME_MAX + c.noise),
    deltaF: f(x1),
    f,
    gradNormSq,
  };
}

/** Padam (paper form) hyper-parameters for the check. */
export interface PaperPadamConfig {
  p: number;
  beta1: number;
  beta2: number;
  /** Constant step size. */
  alpha: number;
}

/** One run of Algorithm 1 with its measurements. */
export interface SyntheticRun {
  /** ||grad f(x_out)||^2 for x_out drawn uniformly from {x_2, ..., x_T}. */
  drawnGradNormSq: number;
  /** Index t of the drawn x_out. */
  drawnT: number;
  /** (1/(T-1)) sum_{t=2..T} ||grad f(x_t)||^2: the expectation over the output draw, exactly. */
  meanGradNormSq: number;
  /** max |g| seen. */
  gInfSeen: number;
  /** sum_i ||g_{1:T,i}||_2 and max_i ||g_{1:T,i}||_2 */
  sumNorms: number;
  maxNorm: number;
  /** ||vhat_1^(-p)||_1 of this run. */
  invVHat1L1: number;
  /** f(x_T) */
  finalF: number;
}

/**
 * Runs Algorithm 1 for T steps (gradients g_1..g_T, iterates x_1..x_{T+1}; x_out from x_2..x_T).
 * `seed` drives the gradient noise and the output draw.
 */
export function runPaperPadam(problem: SyntheticProblem, hp: PaperPadamConfig, T: number, seed: number): SyntheticRun {
  if (!(Number.isInteger(T) && T >= 2)) throw new Error(`runPaperPadam T = ${T} is not allowed: integer >= 2`);
  if (!(hp.alpha > 0 && Number.isFinite(hp.alpha)))
    throw new Error(`runPaperPadam alpha = ${hp.alpha} is not allowed: finite, > 0`);
  if (!(hp.p >= 0 && hp.p <= 0.5)) throw new Error(`runPaperPadam p = ${hp.p} is not allowed: 0 <= p <= 1/2`);
  if (!(hp.beta1 >= 0 && hp.beta1 < 1))
    throw new Error(`runPaperPadam beta1 = ${hp.beta1} is not allowed: 0 <= beta1 < 1`);
  if (!(hp.beta2 >= 0 && hp.beta2 < 1))
    throw new Error(`runPaperPadam beta2 = ${hp.beta2} is not allowed: 0 <= beta2 < 1`);
  const { d, noise } = problem.config;
  const w = problem.weights;
  const rand = seededRandom(seed);
  const x = Float64Array.from(problem.x1);
  const m = new Float64Array(d);
  const v = new Float64Array(d);
  const vHat = new Float64Array(d);
  const sumSq = new Float64Array(d);
  // Draw the output index up front so the run need not store its iterates.
  const drawnT = 2 + Math.floor(rand() * (T - 1));
  let drawn = NaN;
  let meanAcc = 0;
  let gInf = 0;
  let invVHat1L1 = 0;
  for (let t = 1; t <= T; t++) {
    if (t >= 2) {
      const gn = problem.gradNormSq(x);
      meanAcc += gn;
      if (t === drawnT) drawn = gn;
    }
    for (let i = 0; i < d; i++) {
      const q = 1 + x[i] * x[i];
      // No draw without noise: deterministic runs cost no random numbers (the output draw is first).
      const xi = noise === 0 ? 0 : rand() < 0.5 ? -1 : 1;
      const g = w[i] * ((2 * x[i]) / (q * q) + noise * xi);
      const ag = Math.abs(g);
      if (ag > gInf) gInf = ag;
      sumSq[i] += g * g;
      m[i] = hp.beta1 * m[i] + (1 - hp.beta1) * g;
      v[i] = hp.beta2 * v[i] + (1 - hp.beta2) * g * g;
      if (v[i] > vHat[i]) vHat[i] = v[i];
      if (t === 1) invVHat1L1 += Math.pow(vHat[i], -hp.p);
      // vhat = 0 implies every g so far was 0, hence m = 0: no move (0/0 taken as 0)
      if (vHat[i] > 0) x[i] -= (hp.alpha * m[i]) / Math.pow(vHat[i], hp.p);
    }
  }
  let sumNorms = 0;
  let maxNorm = 0;
  for (let i = 0; i < d; i++) {
    const n = Math.sqrt(sumSq[i]);
    sumNorms += n;
    if (n > maxNorm) maxNorm = n;
  }
  return {
    drawnGradNormSq: drawn,
    drawnT,
    meanGradNormSq: meanAcc / (T - 1),
    gInfSeen: gInf,
    sumNorms,
    maxNorm,
    invVHat1L1,
    finalF: problem.f(x),
  };
}

/** Configuration of the empirical check. */
export interface SyntheticCheckConfig {
  problem: Partial<SyntheticProblemConfig>;
  p: number;
  beta1: number;
  beta2: number;
  /** Horizons T to run (each a separate run of length T). */
  horizons: number[];
  /** Independent noise seeds per horizon. */
  repeats: number;
  /**
   * Step size: a number (fixed for every T), or "optimal" for the bound's alpha*(T) computed
   * with s = 1/2 and q = 0 (valid for any gradient sequence since ||g_{1:T,i}|| <= G_inf sqrt(T)),
   * scaled by `alphaScale`.
   */
  alpha: number | "optimal";
  /** Multiplies the step size (e.g. to show that alpha* from loose constants is very small). */
  alphaScale: number;
  /** q of the theorem used for the bound. */
  q: number;
  /** Seed of the noise (repeat r of horizon T uses seed + 1000 r + T). */
  seed: number;
}

export const SYNTHETIC_CHECK_DEFAULTS: Readonly<SyntheticCheckConfig> = Object.freeze({
  problem: {},
  p: 0.125, // the official CIFAR scripts' partial parameter
  beta1: 0.9,
  beta2: 0.999,
  horizons: [64, 256, 1024, 4096],
  repeats: 10,
  alpha: "optimal",
  alphaScale: 1,
  q: 0,
  seed: 1,
}) as Readonly<SyntheticCheckConfig>;

/** One row of the check: measurement and bound at one horizon T. */
export interface SyntheticCheckRow {
  T: number;
  alpha: number;
  /** Mean over repeats of ||grad f(x_out)||^2 with x_out drawn as the theorem says. */
  drawnMean: number;
  drawnStdErr: number;
  /** Mean over repeats of the exact expectation over the draw (lower variance). */
  expectedMean: number;
  expectedStdErr: number;
  /** Measured gradient statistics (means over repeats). */
  sumNorms: number;
  maxNorm: number;
  gInfSeen: number;
  invVHat1L1: number;
  /** Smallest s with max_i ||g_{1:T,i}|| <= G_inf T^s (known G_inf), mean over repeats. */
  sEnvelope: number;
  /** The bound (UNVERIFIED constants) with s = 1/2 and the measured E||vhat_1^(-p)||_1. */
  bound: BoundResult;
  /** Whether measured expectation <= bound (within 3 standard errors). */
  boundHolds: boolean;
}

/** Result of `syntheticCheck`. */
export interface SyntheticCheckResult {
  config: SyntheticCheckConfig;
  problem: { d: number; L: number; Ginf: number; deltaF: number; noise: number; scaleDecay: number };
  rows: SyntheticCheckRow[];
  /** Log-log slope of the measured expectation vs T (the empirical rate exponent, negative). */
  measuredSlope: number;
  /** Log-log slope of the bound vs T over the same horizons. */
  boundSlope: number;
}

function meanStdErr(xs: number[]): { mean: number; se: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, se: NaN };
  const varr = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  return { mean, se: Math.sqrt(varr / n) };
}

/**
 * Runs Algorithm 1 on the synthetic problem for each horizon T and compares the measured
 * E||grad f(x_out)||^2 with the bound. `onProgress(done, total)` is called after each horizon.
 */
export function syntheticCheck(
  config: Partial<SyntheticCheckConfig> = {},
  onProgress?: (done: number, total: number) => void,
): SyntheticCheckResult {
  const cfg: SyntheticCheckConfig = { ...SYNTHETIC_CHECK_DEFAULTS, ...config };
  if (
    !Array.isArray(cfg.horizons) ||
    cfg.horizons.length === 0 ||
    cfg.horizons.some((T) => !(Number.isInteger(T) && T >= 2))
  ) {
    throw new Error(
      `SyntheticCheckConfig.horizons = ${JSON.stringify(cfg.horizons)} is not allowed: a non-empty array of integers >= 2`,
    );
  }
  if (!(Number.isInteger(cfg.repeats) && cfg.repeats >= 1)) {
    throw new Error(`SyntheticCheckConfig.repeats = ${cfg.repeats} is not allowed: integer >= 1`);
  }
  if (!(cfg.alpha === "optimal" || (typeof cfg.alpha === "number" && cfg.alpha > 0 && Number.isFinite(cfg.alpha)))) {
    throw new Error(
      `SyntheticCheckConfig.alpha = ${String(cfg.alpha)} is not allowed: a finite number > 0 or "optimal"`,
    );
  }
  if (!(cfg.alphaScale > 0 && Number.isFinite(cfg.alphaScale))) {
    throw new Error(`SyntheticCheckConfig.alphaScale = ${cfg.alphaScale} is not allowed: finite, > 0`);
  }
  const problem = syntheticProblem(cfg.problem);
  const d = problem.config.d;
  // Validate the theorem conditions once, before any run (throws naming the failed condition).
  const base = {
    p: cfg.p,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    Ginf: problem.Ginf,
    L: problem.L,
    deltaF: problem.deltaF,
    d,
    s: 0.5,
    q: cfg.q,
  };
  convergenceBound({ ...base, T: cfg.horizons[0], alpha: 1 });
  const rows: SyntheticCheckRow[] = [];
  cfg.horizons.forEach((T, k) => {
    // alpha* needs E||vhat_1^(-p)||_1, which depends only on g_1 (not on alpha): measure it with a
    // 2-step run per repeat first.
    const inv1 = meanStdErr(
      Array.from(
        { length: cfg.repeats },
        (_, r) =>
          runPaperPadam(problem, { p: cfg.p, beta1: cfg.beta1, beta2: cfg.beta2, alpha: 1 }, 2, cfg.seed + 1000 * r + T)
            .invVHat1L1,
      ),
    ).mean;
    const alpha =
      cfg.alpha === "optimal"
        ? convergenceBound({ ...base, T, alpha: 1, invVHat1L1: inv1 }).optimalAlpha * cfg.alphaScale
        : cfg.alpha * cfg.alphaScale;
    const hp = { p: cfg.p, beta1: cfg.beta1, beta2: cfg.beta2, alpha };
    const runs = Array.from({ length: cfg.repeats }, (_, r) => runPaperPadam(problem, hp, T, cfg.seed + 1000 * r + T));
    const drawn = meanStdErr(runs.map((r) => r.drawnGradNormSq));
    const expected = meanStdErr(runs.map((r) => r.meanGradNormSq));
    const avg = (f: (r: SyntheticRun) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
    const invVHat1L1 = avg((r) => r.invVHat1L1);
    const bound = convergenceBound({ ...base, T, alpha, invVHat1L1 });
    const se = Number.isFinite(expected.se) ? expected.se : 0;
    rows.push({
      T,
      alpha,
      drawnMean: drawn.mean,
      drawnStdErr: drawn.se,
      expectedMean: expected.mean,
      expectedStdErr: expected.se,
      sumNorms: avg((r) => r.sumNorms),
      maxNorm: avg((r) => r.maxNorm),
      gInfSeen: avg((r) => r.gInfSeen),
      invVHat1L1,
      sEnvelope: avg((r) => Math.log(r.maxNorm / problem.Ginf) / Math.log(T)),
      bound,
      boundHolds: expected.mean - 3 * se <= bound.total,
    });
    if (onProgress) onProgress(k + 1, cfg.horizons.length);
  });
  const Ts = rows.map((r) => r.T);
  return {
    config: cfg,
    problem: {
      d,
      L: problem.L,
      Ginf: problem.Ginf,
      deltaF: problem.deltaF,
      noise: problem.config.noise,
      scaleDecay: problem.config.scaleDecay,
    },
    rows,
    measuredSlope:
      rows.length > 1
        ? logLogSlope(
            Ts,
            rows.map((r) => r.expectedMean),
          )
        : NaN,
    boundSlope:
      rows.length > 1
        ? logLogSlope(
            Ts,
            rows.map((r) => r.bound.total),
          )
        : NaN,
  };
}

/** Configuration of `pSlopeCheck`. */
export interface SlopeCheckConfig {
  problem: Partial<SyntheticProblemConfig>;
  /** Partial exponents compared; p = 1/2 (AMSGrad's) is a valid run of Algorithm 1, outside the theorem. */
  ps: number[];
  beta1: number;
  beta2: number;
  /** Constant step size, the same for every p and T. */
  alpha: number;
  /** Horizons T (each a separate run of length T). */
  horizons: number[];
  /** Noise seeds per horizon (1 suffices without noise: the run is then deterministic). */
  repeats: number;
  /** Seed of the noise and of the output draw (repeat r of horizon T uses seed + 1000 r + T). */
  seed: number;
}

export const SLOPE_CHECK_DEFAULTS: Readonly<SlopeCheckConfig> = Object.freeze({
  // w_i = (i+1)^(-0.6) over 500 coordinates: gradient scales spread over 1.6 decades, most small.
  // No noise: a constant step's noise floor would flatten every slope alike.
  problem: { d: 500, noise: 0, scaleDecay: 0.6, initRange: 2, seed: 1 },
  ps: [0, 0.125, 0.25, 0.5],
  beta1: 0.9,
  beta2: 0.999,
  alpha: 0.01,
  horizons: [100, 400, 1600],
  repeats: 1,
  seed: 1,
}) as Readonly<SlopeCheckConfig>;

/** One p of `pSlopeCheck`: the measured (1/(T-1)) sum_t ||grad f(x_t)||^2 per horizon and its log-log slope. */
export interface SlopeCheckRow {
  p: number;
  /** Mean over repeats of the exact expectation over the output draw, per horizon. */
  expectedMean: number[];
  /** Least-squares slope of log(expectedMean) against log(T) (`logLogSlope`). */
  slope: number;
}

/**
 * How p changes the measured rate, on a problem whose gradient scales w_i spread over decades.
 *
 * Prediction (scale invariance of Algorithm 1): scaling a coordinate's gradients by w scales m by
 * w and vhat by w^2, so its step alpha m / vhat^p by w^(1-2p). Without noise, coordinate i of
 * f = sum_i w_i phi(x_i) therefore moves exactly like a unit-weight coordinate run with step
 * alpha w_i^(1-2p). Hence
 * - p = 1/2: every coordinate gets the same step alpha whatever its scale, so the measured value
 *   is a w_i^2-weighted sum of the very per-coordinate curves of the problem with equal scales,
 *   and its slope is that problem's (up to the weighting of the start points);
 * - p < 1/2: small-gradient coordinates get steps alpha w_i^(1-2p) < alpha and are still far from
 *   converged at horizons where the large ones have converged, so the measured value falls more
 *   slowly, and the smaller p, the shallower the slope (the slopes are ordered by p).
 * The theorem's bound cannot show this: its exponent at alpha* is the same for every p <= 1/4.
 */
export function pSlopeCheck(config: Partial<SlopeCheckConfig> = {}): {
  config: SlopeCheckConfig;
  rows: SlopeCheckRow[];
} {
  const cfg: SlopeCheckConfig = { ...SLOPE_CHECK_DEFAULTS, ...config };
  if (
    !Array.isArray(cfg.horizons) ||
    cfg.horizons.length < 2 ||
    cfg.horizons.some((T) => !(Number.isInteger(T) && T >= 2))
  ) {
    throw new Error(
      `SlopeCheckConfig.horizons = ${JSON.stringify(cfg.horizons)} is not allowed: at least two integers >= 2 (a slope needs two points)`,
    );
  }
  if (!Array.isArray(cfg.ps) || cfg.ps.length === 0 || cfg.ps.some((p) => !(p >= 0 && p <= 0.5))) {
    throw new Error(
      `SlopeCheckConfig.ps = ${JSON.stringify(cfg.ps)} is not allowed: a non-empty array of p in [0, 1/2]`,
    );
  }
  if (!(Number.isInteger(cfg.repeats) && cfg.repeats >= 1))
    throw new Error(`SlopeCheckConfig.repeats = ${cfg.repeats} is not allowed: integer >= 1`);
  const problem = syntheticProblem(cfg.problem);
  const rows = cfg.ps.map((p) => {
    const hp = { p, beta1: cfg.beta1, beta2: cfg.beta2, alpha: cfg.alpha };
    // runPaperPadam checks alpha and the betas before its first step.
    const expectedMean = cfg.horizons.map(
      (T) =>
        meanStdErr(
          Array.from(
            { length: cfg.repeats },
            (_, r) => runPaperPadam(problem, hp, T, cfg.seed + 1000 * r + T).meanGradNormSq,
          ),
        ).mean,
    );
    return { p, expectedMean, slope: logLogSlope(cfg.horizons, expectedMean) };
  });
  return { config: cfg, rows };
}
