/**
 * Padam's implicit warm-up: the factor its step is multiplied by at step t, lr·factor·m/v̂^p,
 * in the official form sqrt(1 − β2^t)/(1 − β1^t) (the same for every p) and in the
 * `biasCorrection: "consistent"` form (1 − β2^t)^p/(1 − β1^t). With β2 = 0.999 the official
 * factor is 0.38 at t = 160 and 0.93 at t = 2,000, so a run of a few hundred steps trains Padam
 * at a fraction of its nominal lr; the consistent form (p = 1/8) is 0.79 and 0.98 there.
 * Both come from the optimizer's own coefficients (`padamCoefficients`), not a second formula.
 */
import { PADAM_DEFAULTS, padamCoefficients, type PadamOptions } from "../optim/padam";

/** Padam's step factor at step `t` (1-based) for `options` (defaults: the optimizer's). */
export function padamStepFactor(t: number, options: Partial<PadamOptions> = {}): number {
  if (!Number.isInteger(t) || t < 1) throw new Error(`padamStepFactor: t = ${t} is invalid; allowed: an integer >= 1 (optimizer step)`);
  return padamCoefficients({ ...PADAM_DEFAULTS, ...options }, { t, lr: 1, initialLr: 1 }).step;
}

/** One row per step t: the official and the consistent factor at p = `partial` (default 1/8). */
export function warmupRows(steps: readonly number[], partial = 0.125): { step: number; official: number; consistent: number }[] {
  return steps.map((t) => ({
    step: t,
    official: padamStepFactor(t, { partial, biasCorrection: "official" }),
    consistent: padamStepFactor(t, { partial, biasCorrection: "consistent" }),
  }));
}
