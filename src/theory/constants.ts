/**
 * The Padam convergence theorem as data: the verified rate, the (unverified) constants M1-M3,
 * the three terms of the bound and the theorem's conditions. This is the ONE place to correct
 * when the constants or conditions are checked against the paper; `bounds.ts` only evaluates
 * what is written here.
 *
 * Setting (docs/paper-notes.md section 4.2): min_x f(x) = E_xi[f(x; xi)], f L-smooth,
 * ||grad f(x; xi)||_inf <= G_inf, Algorithm 1 (paper form: x_{t+1} = x_t - alpha m_t / vhat_t^p)
 * with constant alpha, ||g_{1:T,i}||_2 <= G_inf T^s for every coordinate i. Then for x_out drawn
 * from {x_2, ..., x_T} uniformly (constant alpha):
 *
 *   E||grad f(x_out)||^2 <= M1 / (T alpha) + M2 d / T + alpha M3 d / T^((1-q)(1/2-s))
 *
 * References: Chen et al., arXiv:1806.06763 (Padam); Zhou, Tang, Yang, Cao, Gu,
 * arXiv:1808.05671 (the analysis). Only the rate
 * O((sum_i ||g_{1:T,i}||_2)^(1/2) / T^(3/4) + d/T) is verified (abstract of arXiv:1808.05671);
 * every constant and condition below is transcribed from docs/paper-notes.md section 4.2, which marks them
 * "unverified - check the paper".
 *
 * Used by notebooks/03-convergence-theory.ipynb through `bounds.ts`.
 */
import type { BoundInputs } from "./bounds";

/** How far a statement has been checked. */
export type VerificationStatus = "verified" | "unverified";

/** Provenance of a piece of the theorem. */
export interface Provenance {
  status: VerificationStatus;
  /** Where the statement was taken from. */
  source: string;
  /** What to check it against before treating it as the paper's. */
  checkAgainst: string;
}

/**
 * The verified headline rate, up to constants:
 *   E||grad f(x_out)||^2 = O( (sum_i ||g_{1:T,i}||_2)^(1/2) / T^(3/4) + d / T ).
 * Variables: `sumNorms` = sum_i ||g_{1:T,i}||_2, `d`, `T`.
 */
export const VERIFIED_RATE = {
  expression: "sqrt(sumNorms) / T^(3/4) + d / T",
  provenance: {
    status: "verified",
    source: "abstract of arXiv:1808.05671 (docs/paper-notes.md section 4.1)",
    checkAgainst: "-",
  } as Provenance,
};

/**
 * Provenance of everything else in this module (constants, terms, conditions, output rule).
 */
export const THEOREM_PROVENANCE: Provenance = {
  status: "unverified",
  source: "docs/paper-notes.md section 4.2 (transcription of the Padam theorem; constants not checked)",
  checkAgainst: "arXiv:1806.06763 v4 / IJCAI 2020 theorem, or the Padam theorem and appendix of arXiv:1808.05671",
};

/**
 * The constants as mathjs expressions over the inputs
 * (p, beta1, beta2, Ginf, L, deltaF, d, q, invVHat1L1), where invVHat1L1 = E||vhat_1^(-p)||_1.
 *
 *   M1 = 2 G_inf^(4p) Delta_f
 *   M2 = 4 G_inf^(2+4p) E||vhat_1^(-p)||_1 / (d (1 - beta1)) + 4 G_inf^2
 *   M3 = 4 L G_inf^(1+q-4p) / (1-beta2)^(2p)
 *        + 8 L G_inf^(1+q-4p) (1-beta1) / [(1-beta2)^(2p) (1 - beta1/beta2^(2p))] (beta1/(1-beta1))^2
 *
 * UNVERIFIED (docs/paper-notes.md section 4.2).
 */
export const BOUND_CONSTANTS: { M1: string; M2: string; M3: string } = {
  M1: "2 * Ginf^(4 * p) * deltaF",
  M2: "4 * Ginf^(2 + 4 * p) * invVHat1L1 / (d * (1 - beta1)) + 4 * Ginf^2",
  M3:
    "4 * L * Ginf^(1 + q - 4 * p) / (1 - beta2)^(2 * p)" +
    " + 8 * L * Ginf^(1 + q - 4 * p) * (1 - beta1) / ((1 - beta2)^(2 * p) * (1 - beta1 / beta2^(2 * p)))" +
    " * (beta1 / (1 - beta1))^2",
};

/**
 * The three terms of the bound as mathjs expressions over (M1, M2, M3, alpha, d, T, q, s).
 * The calculator's closed-form optimal step size assumes the shape A/alpha + C + B*alpha; a test
 * checks it against mathjs's symbolic derivative of these expressions, so a correction that
 * changes the shape is caught.
 *
 * UNVERIFIED (docs/paper-notes.md section 4.2).
 */
export const BOUND_TERMS: { optimization: string; dimension: string; stepSize: string } = {
  /** M1 / (T alpha): progress on f, shrinks with larger steps. */
  optimization: "M1 / (T * alpha)",
  /** M2 d / T: independent of alpha. */
  dimension: "M2 * d / T",
  /** alpha M3 d / T^((1-q)(1/2-s)): noise of adaptive steps, grows with alpha. */
  stepSize: "alpha * M3 * d / T^((1 - q) * (1/2 - s))",
};

/** The inputs every condition can look at: `BoundInputs` (bounds.ts) with every field resolved. */
export type ConditionInputs = Required<BoundInputs>;

/** One condition of the theorem; `holds` is false when the inputs violate it. */
export interface TheoremCondition {
  /** Short name used in error messages, e.g. "p in [0, 1/4]". */
  name: string;
  /** The inputs the condition involves (named in the error message with their values). */
  involves: (keyof ConditionInputs)[];
  /** What is allowed, in words. */
  allowed: string;
  holds: (x: ConditionInputs) => boolean;
  /** Whether this is a condition of the (unverified) theorem or a sanity requirement of the formula. */
  kind: "theorem" | "domain";
}

const finite = (v: number) => typeof v === "number" && Number.isFinite(v);

/**
 * Conditions of the theorem (kind "theorem", UNVERIFIED, docs/paper-notes.md section 4.2) and domain
 * requirements of the formulas (kind "domain": positivity, integers, beta ranges of Algorithm 1).
 * Checked in this order; the first failing one is reported.
 */
export const THEOREM_CONDITIONS: TheoremCondition[] = [
  {
    name: "all inputs finite numbers",
    involves: ["p", "beta1", "beta2", "Ginf", "L", "deltaF", "d", "T", "alpha", "s", "q", "invVHat1L1"],
    allowed: "finite numbers",
    holds: (x) => Object.values(x).every(finite),
    kind: "domain",
  },
  {
    // p = 1/2 (AMSGrad) is excluded: at p = 1/2 the q-range [4p-1, 1] collapses to q = 1 and the
    // step-size term stops decaying with T, so sparse gradients no longer help.
    name: "p in [0, 1/4]",
    involves: ["p"],
    allowed: "0 <= p <= 1/4 (p = 1/2 is AMSGrad, outside the theorem)",
    holds: (x) => x.p >= 0 && x.p <= 0.25,
    kind: "theorem",
  },
  {
    name: "beta1 in [0, 1)",
    involves: ["beta1"],
    allowed: "0 <= beta1 < 1",
    holds: (x) => x.beta1 >= 0 && x.beta1 < 1,
    kind: "domain",
  },
  {
    // beta2 = 0 would make beta2^(2p) = 0 (p > 0); the constants divide by (1 - beta2)^(2p).
    name: "beta2 in (0, 1)",
    involves: ["beta2"],
    allowed: "0 < beta2 < 1",
    holds: (x) => x.beta2 > 0 && x.beta2 < 1,
    kind: "domain",
  },
  {
    name: "beta1 < beta2^(2p)",
    involves: ["beta1", "beta2", "p"],
    allowed: "beta1 < beta2^(2p)",
    holds: (x) => x.beta1 < Math.pow(x.beta2, 2 * x.p),
    kind: "theorem",
  },
  {
    name: "s in [0, 1/2]",
    involves: ["s"],
    allowed: "0 <= s <= 1/2 (growth exponent of ||g_{1:T,i}||_2 <= G_inf T^s)",
    holds: (x) => x.s >= 0 && x.s <= 0.5,
    kind: "theorem",
  },
  {
    name: "q in [max(0, 4p-1), 1]",
    involves: ["q", "p"],
    allowed: "max(0, 4p-1) <= q <= 1",
    holds: (x) => x.q >= Math.max(0, 4 * x.p - 1) && x.q <= 1,
    kind: "theorem",
  },
  {
    name: "Ginf > 0",
    involves: ["Ginf"],
    allowed: "Ginf > 0 (bound on ||grad f(x; xi)||_inf)",
    holds: (x) => x.Ginf > 0,
    kind: "domain",
  },
  {
    name: "L > 0",
    involves: ["L"],
    allowed: "L > 0 (smoothness constant)",
    holds: (x) => x.L > 0,
    kind: "domain",
  },
  {
    name: "deltaF >= 0",
    involves: ["deltaF"],
    allowed: "deltaF = f(x_1) - inf f >= 0",
    holds: (x) => x.deltaF >= 0,
    kind: "domain",
  },
  {
    name: "d positive integer",
    involves: ["d"],
    allowed: "integer d >= 1",
    holds: (x) => Number.isInteger(x.d) && x.d >= 1,
    kind: "domain",
  },
  {
    // x_out is drawn from {x_2, ..., x_T}, which needs T >= 2.
    name: "T integer >= 2",
    involves: ["T"],
    allowed: "integer T >= 2 (x_out is drawn from {x_2, ..., x_T})",
    holds: (x) => Number.isInteger(x.T) && x.T >= 2,
    kind: "domain",
  },
  {
    name: "alpha > 0",
    involves: ["alpha"],
    allowed: "alpha > 0 (constant step size)",
    holds: (x) => x.alpha > 0,
    kind: "domain",
  },
  {
    name: "invVHat1L1 > 0",
    involves: ["invVHat1L1"],
    allowed: "E||vhat_1^(-p)||_1 > 0",
    holds: (x) => x.invVHat1L1 > 0,
    kind: "domain",
  },
];
