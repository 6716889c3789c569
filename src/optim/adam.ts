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
import { adamUpdate, adaptiveMoments, biasCorrections } from "./moments";
import { flag, nonNegative, positive, resolveOptions, unitInterval, type OptionSpecs } from "./options";
import { RuleOptimizer, type UpdateRule } from "./rule_optimizer";

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

export type AdamSlot = "m" | "v" | "vMax";

export const adamRule: UpdateRule<AdamOptions, AdamSlot> = {
  slots: (hp) => (hp.amsgrad ? ["m", "v", "vMax"] : ["m", "v"]),
  initialValue: () => 0,
  step(ops, x, grad, s, hp, { t, lr }) {
    const { m, vHat, slots } = adaptiveMoments(ops, x, grad, s, hp, hp.amsgrad);
    const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
    return { x: adamUpdate(ops, x, m, vHat, hp.epsilon, lr, bc1, bc2), slots };
  },
  fused(hp, { t, lr }) {
    const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
    return {
      l2: hp.weightDecay, shrink: 1, beta1: hp.beta1, beta2: hp.beta2, amsgrad: hp.amsgrad,
      c: 1 / Math.sqrt(bc2), epsilon: hp.epsilon, exponent: 1, step: lr / bc1,
    };
  },
};

export class Adam extends RuleOptimizer<AdamOptions, AdamSlot> {
  static readonly className = "TorchAdam";
  constructor(options: Partial<AdamOptions> = {}) {
    super("adam", adamRule, resolveOptions("adam", options, ADAM_DEFAULTS, ADAM_SPECS));
  }
}
tf.serialization.registerClass(Adam);
