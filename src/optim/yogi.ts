/**
 * Yogi (Zaheer et al., "Adaptive Methods for Nonconvex Optimization", NeurIPS 2018) as
 * `jettify/pytorch-optimizer` (torch_optimizer/yogi.py @ 19c3e41) computes it.
 *
 *     m, v start at `initialAccumulator` (both)
 *     g = ∇f(x) + λ·x
 *     m = β1·m + (1 − β1)·g
 *     v = v − (1 − β2)·sign(v − g²)·g²           (sign(0) = 0): v moves additively toward g²
 *     x = x − lr/bc1 · m / (sqrt(v)/sqrt(bc2) + ε)
 *
 * Bias correction is applied as if m and v started at 0, as the reference does.
 * @param learningRate 1e-2. @param beta1 0.9. @param beta2 0.999. @param epsilon 1e-3 (not 1e-8).
 * @param initialAccumulator 1e-6. @param weightDecay 0.
 */
import * as tf from "@tensorflow/tfjs";
import { adamUpdate, biasCorrections, ema, withL2 } from "./moments";
import { nonNegative, positive, resolveOptions, unitInterval, type OptionSpecs } from "./options";
import { RuleOptimizer, type UpdateRule } from "./rule_optimizer";

export interface YogiOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  initialAccumulator: number;
  weightDecay: number;
}

export const YOGI_DEFAULTS: Readonly<YogiOptions> = Object.freeze({
  learningRate: 1e-2,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-3,
  initialAccumulator: 1e-6,
  weightDecay: 0,
});

export const YOGI_SPECS: OptionSpecs<YogiOptions> = {
  learningRate: nonNegative("learningRate"),
  beta1: unitInterval("beta1"),
  beta2: unitInterval("beta2"),
  epsilon: positive("epsilon"),
  initialAccumulator: nonNegative("initialAccumulator"),
  weightDecay: nonNegative("weightDecay"),
};

export const yogiRule: UpdateRule<YogiOptions, "m" | "v"> = {
  slots: () => ["m", "v"],
  initialValue: (_slot, hp) => hp.initialAccumulator,
  step(ops, x, grad, s, hp, { t, lr }) {
    const g = withL2(ops, grad, x, hp.weightDecay);
    const m = ema(ops, s.m, g, hp.beta1);
    const g2 = ops.square(g);
    const v = ops.sub(s.v, ops.scale(ops.mul(ops.sign(ops.sub(s.v, g2)), g2), 1 - hp.beta2));
    const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
    return { x: adamUpdate(ops, x, m, v, hp.epsilon, lr, bc1, bc2), slots: { m, v } };
  },
};

export class Yogi extends RuleOptimizer<YogiOptions, "m" | "v"> {
  static readonly className = "Yogi";
  constructor(options: Partial<YogiOptions> = {}) {
    super("yogi", yogiRule, resolveOptions("yogi", options, YOGI_DEFAULTS, YOGI_SPECS));
  }
}
tf.serialization.registerClass(Yogi);
