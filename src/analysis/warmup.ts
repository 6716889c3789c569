/**
 * Padam's implicit warm-up: the factor its step is multiplied by at step t, lr·factor·m/v̂^p,
 * in the official form sqrt(1 − β2^t)/(1 − β1^t) (the same for every p) and in the
 * `biasCorrection: "consistent"` form (1 − β2^t)^p/(1 − β1^t). With β2 = 0.999 the official
 * factor is 0.38 at t = 160 and 0.93 at t = 2,000, so a run of a few hundred steps trains Padam
 * at a fraction of its nominal lr; the consistent form (p = 1/8) is 0.79 and 0.98 there.
 * Both come from the optimizer's own coefficients (`padamCoefficients`), not a second formula.
 */
import type { ExperimentConfig } from "../experiment/config";
import type { MetricLine } from "../experiment/store";
import { PADAM_DEFAULTS, padamCoefficients, type PadamOptions } from "../optim/padam";
import { binomialSe, runNumbers, testSetSize } from "./statistics";

/** Padam's step factor at step `t` (1-based) for `options` (defaults: the optimizer's). */
export function padamStepFactor(t: number, options: Partial<PadamOptions> = {}): number {
  if (!Number.isInteger(t) || t < 1)
    throw new Error(`padamStepFactor: t = ${t} is invalid; allowed: an integer >= 1 (optimizer step)`);
  return padamCoefficients({ ...PADAM_DEFAULTS, ...options }, { t, lr: 1, initialLr: 1 }).step;
}

/** One row per step t: the official and the consistent factor at p = `partial` (default 1/8). */
export function warmupRows(
  steps: readonly number[],
  partial = 0.125,
): { step: number; official: number; consistent: number }[] {
  return steps.map((t) => ({
    step: t,
    official: padamStepFactor(t, { partial, biasCorrection: "official" }),
    consistent: padamStepFactor(t, { partial, biasCorrection: "consistent" }),
  }));
}

/** A finished run as the notebooks hold it. */
interface WarmupRun {
  config: ExperimentConfig;
  metrics: readonly MetricLine[];
}

/**
 * The measured comparison of Padam with the official and with the consistent factor on the same
 * protocol, in one sentence: the steps t trained, both factors at t, both final test accuracies
 * and training losses, and whether the difference exceeds twice the test-set standard error of a
 * difference, sqrt(se_a² + se_b²) with se = sqrt(a(1 − a)/N) (one seed each: the seed-to-seed
 * spread is not in it, so "exceeds" is necessary, not sufficient, for a real effect).
 */
export function warmupSentence(official: WarmupRun, consistent: WarmupRun): string {
  const [a, b] = [runNumbers(official.metrics), runNumbers(consistent.metrics)];
  const t = Math.max(0, ...official.metrics.map((m) => m.step));
  if (a.finalTestAcc === undefined || b.finalTestAcc === undefined || t < 1)
    return "The pair has not finished: no comparison.";
  const p = official.config.optimizerOptions.partial as number;
  const n = testSetSize(official.config);
  const se =
    n === undefined ? NaN : 100 * Math.hypot(binomialSe(a.finalTestAcc / 100, n), binomialSe(b.finalTestAcc / 100, n));
  const diff = b.finalTestAcc - a.finalTestAcc;
  const noise = Number.isNaN(se)
    ? ""
    : Math.abs(diff) > 2 * se
      ? `, more than twice the test-set standard error of the difference (${se.toFixed(2)})`
      : `, within twice the test-set standard error of the difference (${se.toFixed(2)}): not distinguishable on this test set`;
  return (
    `After t = ${t} steps the official factor is ${padamStepFactor(t, { partial: p }).toFixed(2)} and the consistent one ${padamStepFactor(t, { partial: p, biasCorrection: "consistent" }).toFixed(2)}; ` +
    `final test accuracy ${a.finalTestAcc.toFixed(2)} % (official) vs ${b.finalTestAcc.toFixed(2)} % (consistent), ` +
    `${diff >= 0 ? "+" : ""}${diff.toFixed(2)} points for the consistent factor${noise}; final training loss ${a.finalTrainLoss?.toFixed(3)} vs ${b.finalTrainLoss?.toFixed(3)}.`
  );
}
