/**
 * Padam — partially adaptive momentum estimation (Chen et al., arXiv:1806.06763, IJCAI 2020),
 * exactly as the official code computes it (`uclaml/Padam` Padam.py @ 586a02b).
 *
 * For each step t = 1, 2, … (element-wise; bc1 = 1 − β1^t, bc2 = 1 − β2^t):
 *
 *     g  = ∇f(x) + λ·x                          coupled L2 decay (only if λ ≠ 0)
 *     m  = β1·m + (1 − β1)·g
 *     v  = β2·v + (1 − β2)·g²
 *     v̂  = max(v̂, v)                            amsgrad (default); otherwise v̂ = v
 *     x  = x − lr · sqrt(bc2)/bc1 · m / (sqrt(v̂) + ε)^(2p)
 *
 * Symbols → options: lr = `learningRate`, β1/β2 = `beta1`/`beta2`, ε = `epsilon`,
 * λ = `weightDecay`, p = `partial`, max(·) on/off = `amsgrad`.
 *
 * Points that differ from the paper's Algorithm 1 (x −= α·m/v̂^p) and follow the code:
 * the step factor is sqrt(bc2)/bc1 for every p (an implicit warm-up for p < 1/2), and ε is added
 * to sqrt(v̂) before the power 2p. `biasCorrection: "consistent"` offers lr·bc2^p/bc1 instead
 * (the reverted commit edcf85c); runs record which variant they used.
 *
 * Limits: p = 1/2 is AMSGrad in the ε-hat form lr·sqrt(bc2)/bc1·m/(sqrt(v̂)+ε); p = 0 is
 * EMA-momentum SGD x −= lr·sqrt(bc2)/bc1·m.
 *
 * @param learningRate 0.1 (SGD scale). @param beta1 0.9. @param beta2 0.999. @param epsilon 1e-8.
 * @param weightDecay 0. @param partial 0.25 (the CIFAR scripts pass 0.125). @param amsgrad true.
 * References: arXiv:1806.06763; used by notebooks 00–08.
 */
import * as tf from "@tensorflow/tfjs";
import { adaptiveRule, biasCorrections, type AdaptiveCoefficients, type AdaptiveSlot } from "./moments";
import { closedRange, flag, nonNegative, positive, resolveOptions, unitInterval, type OptionSpecs } from "./options";
import {
  RuleOptimizer,
  splitExecution,
  type ExecutionOptions,
  type StepContext,
  type UpdateRule,
} from "./rule_optimizer";

export interface PadamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** p in the paper, in [0, 1/2]. */
  partial: number;
  amsgrad: boolean;
  /** "official": lr·sqrt(bc2)/bc1 for every p (the reference); "consistent": lr·bc2^p/bc1. */
  biasCorrection: "official" | "consistent";
}

export const PADAM_DEFAULTS: Readonly<PadamOptions> = Object.freeze({
  learningRate: 0.1, // Padam.py default
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
  partial: 0.25, // Padam.py default; the official CIFAR scripts pass 1/8
  amsgrad: true,
  biasCorrection: "official",
});

export const PADAM_SPECS: OptionSpecs<PadamOptions> = {
  learningRate: nonNegative("learningRate"),
  beta1: unitInterval("beta1"),
  beta2: unitInterval("beta2"),
  epsilon: positive("epsilon"),
  weightDecay: nonNegative("weightDecay"),
  partial: closedRange("partial", 0, 0.5, "0", "0.5"),
  amsgrad: flag,
  biasCorrection: { kind: "choice", choices: ["official", "consistent"] },
};

type PadamSlot = AdaptiveSlot;

/** Padam's step as `AdaptiveCoefficients`: exponent 2p, ε added to sqrt(v̂), the chosen bias factor. */
export function padamCoefficients(hp: PadamOptions, { t, lr }: StepContext): AdaptiveCoefficients {
  const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
  const factor = hp.biasCorrection === "official" ? Math.sqrt(bc2) : Math.pow(bc2, hp.partial);
  return {
    l2: hp.weightDecay,
    shrink: 1,
    beta1: hp.beta1,
    beta2: hp.beta2,
    amsgrad: hp.amsgrad,
    epsilon: hp.epsilon,
    exponent: 2 * hp.partial,
    step: (lr * factor) / bc1,
  };
}

export const padamRule: UpdateRule<PadamOptions, PadamSlot> = adaptiveRule(padamCoefficients);

export class Padam extends RuleOptimizer<PadamOptions, PadamSlot> {
  static readonly className = "Padam";
  constructor(options: Partial<PadamOptions> & ExecutionOptions = {}) {
    const [hp, execution] = splitExecution(options);
    super("padam", padamRule, resolveOptions("padam", hp, PADAM_DEFAULTS, PADAM_SPECS), execution);
  }
}
tf.serialization.registerClass(Padam);
