/**
 * Convergence-bound calculator for Padam (stochastic nonconvex setting), pure numbers on mathjs.
 *
 * Bound (constants UNVERIFIED, see constants.ts and docs/paper-notes.md section 4.2):
 *
 *   E||grad f(x_out)||^2 <= M1/(T alpha) + M2 d/T + alpha M3 d / T^e,   e = (1-q)(1/2-s).
 *
 * Writing it as A/alpha + C + B alpha with A = M1/T, C = M2 d/T, B = M3 d/T^e, the step size that
 * minimizes it is
 *
 *   alpha* = sqrt(A/B) = sqrt(M1 / (M3 d)) * T^((e-1)/2),   bound(alpha*) = 2 sqrt(A B) + C,
 *
 * so with alpha* the bound is 2 sqrt(M1 M3 d) T^(-(1+e)/2) + M2 d/T; with q = 0 this is
 * O(d^(1/2) / T^(3/4 - s/2) + d/T) (docs/paper-notes.md section 4.3), consistent with the
 * verified rate O((sum_i ||g_{1:T,i}||_2)^(1/2) / T^(3/4) + d/T) since
 * sum_i ||g_{1:T,i}||_2 <= d G_inf T^s. Because (1+e)/2 < 1, the d/T term dominates at small T
 * (or large d), below the crossover horizon
 *
 *   T_c = (M2 sqrt(d) / (2 sqrt(M1 M3)))^(2/(1-e)),
 *
 * and the d^(1/2) T^(-(1+e)/2) term beyond it.
 *
 * The bound is a worst-case statement about reaching a stationary point. At alpha* it depends on
 * p through M1 M3 ∝ G_inf^(1+q) (1-beta2)^(-2p) (...)/(1 - beta1/beta2^(2p)), which grows with p,
 * and M2, which with the default E||vhat_1^(-p)||_1 grows with p when G_inf^2 > 1 - beta2; so the
 * bound at alpha* is smallest at p = 0 (momentum SGD). It says nothing about generalization (test
 * error), the paper's reason for choosing p = 1/8. The theorem covers p in [0, 1/4] only;
 * `rateExponent` gives AMSGrad's (p = 1/2) rate separately and says where it comes from.
 *
 * References: Chen et al., arXiv:1806.06763; Zhou et al., arXiv:1808.05671.
 * Used by notebooks/03-convergence-theory.ipynb.
 */
import { compile, derivative, parse } from "mathjs";
import type { EvalFunction, MathNode } from "mathjs";
import {
  BOUND_CONSTANTS,
  BOUND_TERMS,
  ConditionInputs,
  Provenance,
  THEOREM_CONDITIONS,
  THEOREM_PROVENANCE,
  VERIFIED_RATE,
} from "./constants";

/** Inputs of the calculator (symbols of docs/paper-notes.md section 4.2). */
export interface BoundInputs {
  /** Partial parameter p of Padam, theorem: [0, 1/4]. */
  p: number;
  /** First-moment decay beta1, theorem: beta1 < beta2^(2p). */
  beta1: number;
  /** Second-moment decay beta2 in (0, 1). */
  beta2: number;
  /** G_inf: bound on ||grad f(x; xi)||_inf. */
  Ginf: number;
  /** L: smoothness constant of f. */
  L: number;
  /** Delta_f = f(x_1) - inf f. */
  deltaF: number;
  /** d: number of coordinates. */
  d: number;
  /** T: number of iterations (horizon). */
  T: number;
  /** alpha: constant step size. */
  alpha: number;
  /** s: growth exponent, ||g_{1:T,i}||_2 <= G_inf T^s, in [0, 1/2]. */
  s: number;
  /** q: free parameter of the theorem, in [max(0, 4p-1), 1]; q = 0 gives the best rate. */
  q: number;
  /**
   * E||vhat_1^(-p)||_1 (enters M2). Optional: when omitted, d ((1-beta2) G_inf^2)^(-p) is used,
   * the value when every first gradient has |g_{1,i}| = G_inf, i.e. the SMALLEST possible value
   * (so the bound is then optimistic); the result's `notes` say so.
   */
  invVHat1L1?: number;
}

/** The three named terms of the bound. */
export interface BoundTerms {
  /** M1 / (T alpha) */
  optimization: number;
  /** M2 d / T */
  dimension: number;
  /** alpha M3 d / T^((1-q)(1/2-s)) */
  stepSize: number;
}

/** Output of `convergenceBound`. */
export interface BoundResult {
  /** Inputs after defaults. */
  inputs: Required<BoundInputs>;
  constants: { M1: number; M2: number; M3: number };
  /** Terms at the given alpha. */
  terms: BoundTerms;
  /** Sum of `terms`: the bound on E||grad f(x_out)||^2 at the given alpha. */
  total: number;
  /** Step size minimizing the bound (closed form). */
  optimalAlpha: number;
  /** Terms and total at `optimalAlpha`. */
  termsAtOptimalAlpha: BoundTerms;
  totalAtOptimalAlpha: number;
  rate: {
    /** e = (1-q)(1/2-s): T-exponent of the step-size term's denominator. */
    e: number;
    /** The bound at alpha* decays as T^(-tExponentOptimalAlpha) (leading term, T -> infinity). */
    tExponentOptimalAlpha: number;
    /** d-exponent of the leading term at alpha*: 1/2. */
    dExponentOptimalAlpha: number;
    /** With alpha held fixed as T grows the bound decays as T^(-min(1, e)) (0: no decay). */
    tExponentFixedAlpha: number;
    /**
     * Horizon T_c at which the two terms at alpha* are equal: for T < T_c the d/T term dominates,
     * beyond it the d^(1/2) T^(-(1+e)/2) term (Infinity when M1 = 0).
     */
    crossoverT: number;
    /** Human-readable form of the rate at alpha*. */
    text: string;
  };
  provenance: { constants: Provenance; rate: Provenance };
  notes: string[];
}

const INPUT_KEYS: (keyof BoundInputs)[] = ["p", "beta1", "beta2", "Ginf", "L", "deltaF", "d", "T", "alpha", "s", "q"];

// Compiled once: evaluation then costs microseconds, which keeps property tests fast.
const compiledConstants = {
  M1: compile(BOUND_CONSTANTS.M1),
  M2: compile(BOUND_CONSTANTS.M2),
  M3: compile(BOUND_CONSTANTS.M3),
};
const compiledTerms = {
  optimization: compile(BOUND_TERMS.optimization),
  dimension: compile(BOUND_TERMS.dimension),
  stepSize: compile(BOUND_TERMS.stepSize),
};
const TOTAL_EXPRESSION = `(${BOUND_TERMS.optimization}) + (${BOUND_TERMS.dimension}) + (${BOUND_TERMS.stepSize})`;

let symbolicCache: { first: MathNode; second: MathNode; firstC: EvalFunction; secondC: EvalFunction } | null = null;
function symbolic() {
  if (symbolicCache === null) {
    const total = parse(TOTAL_EXPRESSION);
    const first = derivative(total, "alpha");
    const second = derivative(first, "alpha");
    symbolicCache = { first, second, firstC: first.compile(), secondC: second.compile() };
  }
  return symbolicCache;
}

function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(`mathjs evaluation of ${what} gave ${String(v)}, expected a finite real number`);
  }
  return v;
}

/** Default for E||vhat_1^(-p)||_1: every |g_{1,i}| = G_inf, so vhat_1 = (1 - beta2) G_inf^2. */
export function defaultInvVHat1L1(x: { d: number; beta2: number; Ginf: number; p: number }): number {
  return x.d * Math.pow((1 - x.beta2) * x.Ginf * x.Ginf, -x.p);
}

/**
 * Checks the inputs against every condition of constants.ts and fills defaults. Throws an Error
 * naming the failed condition, the inputs it involves with their values, and what is allowed.
 */
export function checkBoundInputs(inputs: BoundInputs): Required<BoundInputs> {
  if (inputs === null || typeof inputs !== "object") {
    throw new Error(`bound inputs must be an object, got ${String(inputs)}`);
  }
  for (const k of INPUT_KEYS) {
    const v = (inputs as unknown as Record<string, unknown>)[k];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(`bound input '${k}' = ${String(v)} is not allowed: a finite number is required`);
    }
  }
  const partial = { ...inputs };
  const resolved: Required<BoundInputs> = {
    ...partial,
    invVHat1L1: partial.invVHat1L1 === undefined ? NaN : partial.invVHat1L1,
  };
  if (inputs.invVHat1L1 === undefined) {
    // Defaulting needs a valid beta2/Ginf/p; check those conditions first so the message names them.
    const pre = { ...resolved, invVHat1L1: 1 } as ConditionInputs;
    for (const c of THEOREM_CONDITIONS) {
      if (c.involves.includes("invVHat1L1") && c.involves.length === 1) continue;
      if (!c.holds(pre)) throw conditionError(c.name, c.involves, c.allowed, c.kind, pre);
    }
    resolved.invVHat1L1 = defaultInvVHat1L1(resolved);
  }
  for (const c of THEOREM_CONDITIONS) {
    if (!c.holds(resolved as ConditionInputs)) {
      throw conditionError(c.name, c.involves, c.allowed, c.kind, resolved as ConditionInputs);
    }
  }
  return resolved;
}

function conditionError(
  name: string,
  involves: (keyof ConditionInputs)[],
  allowed: string,
  kind: string,
  x: ConditionInputs,
): Error {
  const values = involves.map((k) => `${k} = ${x[k]}`).join(", ");
  const which =
    kind === "theorem" ? "theorem condition (unverified, docs/paper-notes.md section 4.2)" : "domain requirement";
  return new Error(`bound inputs violate the ${which} '${name}': got ${values}; allowed: ${allowed}`);
}

/** M1, M2, M3 evaluated by mathjs from the expressions in constants.ts (UNVERIFIED). */
export function boundConstants(x: Required<BoundInputs>): { M1: number; M2: number; M3: number } {
  const scope = { ...x };
  return {
    M1: num(compiledConstants.M1.evaluate(scope), "M1"),
    M2: num(compiledConstants.M2.evaluate(scope), "M2"),
    M3: num(compiledConstants.M3.evaluate(scope), "M3"),
  };
}

function evalTerms(x: Required<BoundInputs>, M: { M1: number; M2: number; M3: number }, alpha: number): BoundTerms {
  const scope = { ...x, ...M, alpha };
  return {
    optimization: num(compiledTerms.optimization.evaluate(scope), "optimization term"),
    dimension: num(compiledTerms.dimension.evaluate(scope), "dimension term"),
    stepSize: num(compiledTerms.stepSize.evaluate(scope), "step-size term"),
  };
}

const sumTerms = (t: BoundTerms) => t.optimization + t.dimension + t.stepSize;

/**
 * Closed-form minimizer of A/alpha + C + B alpha: alpha* = sqrt(M1 T^e / (T M3 d)),
 * e = (1-q)(1/2-s).
 */
export function optimalStepSize(inputs: BoundInputs): number {
  const x = checkBoundInputs(inputs);
  return closedFormAlpha(x, boundConstants(x));
}

function closedFormAlpha(x: Required<BoundInputs>, M: { M1: number; M2: number; M3: number }): number {
  const e = (1 - x.q) * (0.5 - x.s);
  // M1 = 0 (Delta_f = 0: started at a minimizer) makes alpha* = 0; the theorem needs alpha > 0.
  return Math.sqrt((M.M1 * Math.pow(x.T, e)) / (x.T * M.M3 * x.d));
}

/**
 * Evaluates the bound: each term, the total, the optimal step size and the rate exponents.
 *
 * @param inputs the theorem's quantities; refused (Error naming the failed condition) outside
 *   the theorem's conditions (p in [0, 1/4], beta1 < beta2^(2p), s in [0, 1/2],
 *   q in [max(0, 4p-1), 1], ...).
 */
export function convergenceBound(inputs: BoundInputs): BoundResult {
  const x = checkBoundInputs(inputs);
  const M = boundConstants(x);
  const terms = evalTerms(x, M, x.alpha);
  const alphaStar = closedFormAlpha(x, M);
  const notes: string[] = [
    "Constants M1-M3, the terms and the conditions are UNVERIFIED (docs/paper-notes.md section 4.2); only the rate O((sum_i ||g_{1:T,i}||_2)^(1/2)/T^(3/4) + d/T) is verified.",
  ];
  if (inputs.invVHat1L1 === undefined) {
    notes.push(
      "invVHat1L1 = E||vhat_1^(-p)||_1 defaulted to d((1-beta2)G_inf^2)^(-p), its smallest possible value (all |g_{1,i}| = G_inf): the bound is optimistic; pass a measured value.",
    );
  }
  const termsStar =
    alphaStar > 0 ? evalTerms(x, M, alphaStar) : { optimization: 0, dimension: terms.dimension, stepSize: 0 };
  const e = (1 - x.q) * (0.5 - x.s);
  const tExp = (1 + e) / 2;
  return {
    inputs: x,
    constants: M,
    terms,
    total: sumTerms(terms),
    optimalAlpha: alphaStar,
    termsAtOptimalAlpha: termsStar,
    totalAtOptimalAlpha: sumTerms(termsStar),
    rate: {
      e,
      tExponentOptimalAlpha: tExp,
      dExponentOptimalAlpha: 0.5,
      tExponentFixedAlpha: Math.min(1, e),
      crossoverT: crossoverHorizon(x, M, e),
      text: `O(d^(1/2) / T^${fmt(tExp)} + d / T) with alpha* ~ d^(-1/2) T^(${fmt((e - 1) / 2)})`,
    },
    provenance: { constants: THEOREM_PROVENANCE, rate: VERIFIED_RATE.provenance },
    notes,
  };
}

/** T_c = (M2 sqrt(d) / (2 sqrt(M1 M3)))^(2/(1-e)): where 2 sqrt(M1 M3 d) T^(-(1+e)/2) = M2 d / T. */
function crossoverHorizon(x: Required<BoundInputs>, M: { M1: number; M2: number; M3: number }, e: number): number {
  const product = M.M1 * M.M3;
  return product > 0 ? Math.pow((M.M2 * Math.sqrt(x.d)) / (2 * Math.sqrt(product)), 2 / (1 - e)) : Infinity;
}

function fmt(v: number): string {
  return String(Math.round(v * 10000) / 10000);
}

/**
 * The verified rate without constants: (sum_i ||g_{1:T,i}||_2)^(1/2) / T^(3/4) + d / T.
 * Only its growth/decay is meaningful (it is a big-O expression), not its absolute value.
 */
export function verifiedRateShape(x: { sumNorms: number; d: number; T: number }): number {
  for (const [k, v] of Object.entries(x)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new Error(`verifiedRateShape input '${k}' = ${String(v)} is not allowed: a finite number >= 0 is required`);
    }
  }
  if (x.T <= 0) throw new Error(`verifiedRateShape input 'T' = ${x.T} is not allowed: T > 0 is required`);
  return Math.sqrt(x.sumNorms) / Math.pow(x.T, 0.75) + x.d / x.T;
}

/** Result of `checkOptimalStepSizeSymbolically`. */
export interface SymbolicCheck {
  /** Closed-form alpha*. */
  alpha: number;
  /** mathjs d(bound)/d(alpha) as text. */
  derivativeText: string;
  /** d(bound)/d(alpha) evaluated at alpha*. */
  derivativeAtAlpha: number;
  /** Scale for judging `derivativeAtAlpha`: |A/alpha*^2| + |B| (the two parts that cancel). */
  derivativeScale: number;
  /** d^2(bound)/d(alpha)^2 at alpha* (> 0: a minimum). */
  secondDerivativeAtAlpha: number;
}

/**
 * Differentiates the bound (constants.ts terms) symbolically with mathjs w.r.t. alpha and
 * evaluates the derivative at the closed-form alpha*: it must vanish there, with a positive
 * second derivative.
 */
export function checkOptimalStepSizeSymbolically(inputs: BoundInputs): SymbolicCheck {
  const x = checkBoundInputs(inputs);
  const M = boundConstants(x);
  const alpha = closedFormAlpha(x, M);
  const sym = symbolic();
  const scope = { ...x, ...M, alpha };
  const e = (1 - x.q) * (0.5 - x.s);
  return {
    alpha,
    derivativeText: sym.first.toString(),
    derivativeAtAlpha: num(sym.firstC.evaluate(scope), "d bound / d alpha"),
    derivativeScale: M.M1 / (x.T * alpha * alpha) + (M.M3 * x.d) / Math.pow(x.T, e),
    secondDerivativeAtAlpha: num(sym.secondC.evaluate(scope), "d^2 bound / d alpha^2"),
  };
}

/** The bound's total at an arbitrary alpha (same inputs otherwise); for plots and minimization. */
export function boundAtAlpha(inputs: BoundInputs, alpha: number): number {
  const x = checkBoundInputs({ ...inputs, alpha });
  return sumTerms(evalTerms(x, boundConstants(x), alpha));
}

/** A sweep row: the varied value and the bound at the given alpha and at alpha*. */
export interface SweepRow {
  value: number;
  total: number;
  totalAtOptimalAlpha: number;
  optimalAlpha: number;
  terms: BoundTerms;
}

/**
 * Evaluates the bound while one input varies (e.g. T, d, beta1); every row goes through the
 * same condition checks, so an out-of-range value throws naming the condition.
 */
export function sweepBound(base: BoundInputs, key: keyof BoundInputs, values: number[]): SweepRow[] {
  if (!INPUT_KEYS.includes(key) && key !== "invVHat1L1") {
    throw new Error(`sweepBound key '${String(key)}' is not allowed: one of ${INPUT_KEYS.join(", ")}, invVHat1L1`);
  }
  if (!Array.isArray(values) || values.length === 0) {
    throw new Error(`sweepBound values = ${String(values)} is not allowed: a non-empty array of numbers`);
  }
  return values.map((v) => {
    const r = convergenceBound({ ...base, [key]: v });
    return {
      value: v,
      total: r.total,
      totalAtOptimalAlpha: r.totalAtOptimalAlpha,
      optimalAlpha: r.optimalAlpha,
      terms: r.terms,
    };
  });
}

/** The T-exponent of a rate at alpha* and where it comes from (see `rateExponent`). */
export interface RateExponent {
  p: number;
  s: number;
  /** The leading term at alpha* decays as d^(1/2) T^(-exponent). */
  exponent: number;
  /** Whether the theorem (docs/paper-notes.md section 4.2) covers this p. */
  covered: boolean;
  /** Where the exponent comes from, in words. */
  source: string;
}

/** AMSGrad's partial exponent. */
export const AMSGRAD_P = 0.5;

/**
 * The rate exponent at alpha* for Padam and, separately, for AMSGrad:
 *
 * - p in [0, 1/4]: the theorem with q = 0, exponent (1 + (1/2 - s))/2 = 3/4 - s/2, the same for
 *   every such p (p moves only the constants);
 * - p = 1/2 (AMSGrad): outside the theorem, whose conditions need p <= 1/4 (section 4.2), so
 *   there is no bound with constants to put beside Padam's. Its q-range [max(0, 4p-1), 1] read
 *   at p = 1/2 leaves only q = 1, hence e = 0 and exponent 1/2 whatever s: sparse gradients stop
 *   helping. That reading is ours, from the unverified statement; the verified abstract
 *   (section 4.1) says only that the faster rate needs p < 1/2.
 *
 * Any other p is refused: the theorem says nothing about p in (1/4, 1/2).
 */
export function rateExponent(p: number, s: number): RateExponent {
  if (typeof s !== "number" || !(s >= 0 && s <= 0.5)) {
    throw new Error(
      `rateExponent s = ${String(s)} is not allowed: 0 <= s <= 1/2 (growth of ||g_{1:T,i}||_2 <= G_inf T^s)`,
    );
  }
  if (p === AMSGRAD_P) {
    return {
      p,
      s,
      exponent: 0.5,
      covered: false,
      source:
        "AMSGrad: outside the theorem (p <= 1/4); its q-range read at p = 1/2 forces q = 1, e = 0 (our reading, unverified)",
    };
  }
  if (typeof p !== "number" || !(p >= 0 && p <= 0.25)) {
    throw new Error(
      `rateExponent p = ${String(p)} is not allowed: 0 <= p <= 1/4 (the theorem) or p = 1/2 (AMSGrad, shown separately)`,
    );
  }
  return {
    p,
    s,
    exponent: (1 + (0.5 - s)) / 2,
    covered: true,
    source: "theorem with q = 0 (conditions and constants unverified)",
  };
}

/**
 * The shape d^(1/2) T^(-exponent) + d/T of the rate at alpha*, without constants
 * (`rateExponent` gives the exponent): what can be put on one plot for Padam and AMSGrad, since
 * only Padam's has constants. Only its decay with T is meaningful, not its absolute value.
 */
export function rateShape(x: { p: number; s: number; d: number; T: number }): number {
  for (const k of ["d", "T"] as const) {
    if (typeof x[k] !== "number" || !Number.isFinite(x[k]) || x[k] <= 0) {
      throw new Error(`rateShape input '${k}' = ${String(x[k])} is not allowed: a finite number > 0 is required`);
    }
  }
  return Math.sqrt(x.d) * Math.pow(x.T, -rateExponent(x.p, x.s).exponent) + x.d / x.T;
}
