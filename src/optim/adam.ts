/**
 * Adam (Kingma & Ba, arXiv:1412.6980) as `torch.optim.Adam` (PyTorch 1.13) computes it,
 * with its `amsgrad` flag (Reddi et al., ICLR 2018) and coupled L2 weight decay.
 *
 *     g = ∇f(x) + λ·x
 *     m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g²
 *     v̂ = max(v̂, v) if amsgrad (on the raw v), else v
 *     x = x − lr/bc1 · m / (sqrt(v̂)/sqrt(bc2) + ε)
 *
 * ε is added after the bias correction (torch and tfjs placement; the 2018 copy in the Padam
 * repository, AdaBound and Keras use the ε-hat form lr·sqrt(bc2)/bc1·m/(sqrt(v̂)+ε) instead).
 * Symbols → options: `learningRate`, `beta1`, `beta2`, `epsilon`, λ = `weightDecay`, `amsgrad`.
 * @param learningRate 1e-3. @param beta1 0.9. @param beta2 0.999. @param epsilon 1e-8 (pass it
 * explicitly elsewhere: tfjs's own Adam defaults to the backend epsilon). @param weightDecay 0.
 */
import * as tf from "@tensorflow/tfjs";
import { adamScalars, adaptiveRule, biasCorrections, type AdaptiveCoefficients, type AdaptiveSlot } from "./moments";
import { flag, nonNegative, positive, resolveOptions, unitInterval, type OptionSpecs } from "./options";
import {
  RuleOptimizer,
  splitExecution,
  type ExecutionOptions,
  type StepContext,
  type UpdateRule,
} from "./rule_optimizer";

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  amsgrad: boolean;
}

export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
  amsgrad: false,
});

export const ADAM_SPECS: OptionSpecs<AdamOptions> = {
  learningRate: nonNegative("learningRate"),
  beta1: unitInterval("beta1"),
  beta2: unitInterval("beta2"),
  epsilon: positive("epsilon"),
  weightDecay: nonNegative("weightDecay"),
  amsgrad: flag,
};

export type AdamSlot = AdaptiveSlot;

/** Adam's step as `AdaptiveCoefficients` (torch's placement of ε, see `adamScalars`). */
export function adamCoefficients(hp: AdamOptions, { t, lr }: StepContext): AdaptiveCoefficients {
  const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
  return {
    l2: hp.weightDecay,
    shrink: 1,
    beta1: hp.beta1,
    beta2: hp.beta2,
    amsgrad: hp.amsgrad,
    exponent: 1,
    ...adamScalars(hp.epsilon, lr, bc1, bc2),
  };
}

export const adamRule: UpdateRule<AdamOptions, AdamSlot> = adaptiveRule(adamCoefficients);

export class Adam extends RuleOptimizer<AdamOptions, AdamSlot> {
  static readonly className = "TorchAdam";
  constructor(options: Partial<AdamOptions> & ExecutionOptions = {}) {
    const [hp, execution] = splitExecution(options);
    super("adam", adamRule, resolveOptions("adam", hp, ADAM_DEFAULTS, ADAM_SPECS), execution);
  }
}
tf.serialization.registerClass(Adam);
