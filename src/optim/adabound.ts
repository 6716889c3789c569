/**
 * AdaBound and AMSBound (Luo et al., "Adaptive Gradient Methods with Dynamic Bound of Learning
 * Rate", ICLR 2019) as the official code computes them (`Luolc/AdaBound` adabound.py @ 2e928c3,
 * class AdaBound).
 *
 *     g  = ∇f(x) + λ·x
 *     m  = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g²
 *     v̂  = max(v̂, v) if amsbound (raw v), else v
 *     η  = lr · sqrt(bc2)/bc1 / (sqrt(v̂) + ε)
 *     fl = finalLr · lr / lr₀                    lr₀ = learning rate at construction
 *     lo = fl·(1 − 1/(γ·t + 1)) ;  hi = fl·(1 + 1/(γ·t))
 *     x  = x − clip(η, lo, hi) · m               (raw m: 1/bc1 sits inside the clip)
 *
 * The bounds open at [0, ∞) (Adam-like) and close on `finalLr` (SGD-like) at a speed set by γ.
 * Because fl scales with lr/lr₀, a step schedule lowers the bounds too, as in the reference.
 * Symbols → options: `learningRate`, `beta1`, `beta2`, ε = `epsilon`, λ = `weightDecay`,
 * `finalLr`, γ = `gamma`, `amsbound`.
 * @param learningRate 1e-3. @param finalLr 0.1. @param gamma 1e-3. @param epsilon 1e-8.
 */
import * as tf from "@tensorflow/tfjs";
import { adaptiveMoments, biasCorrections } from "./moments";
import { flag, nonNegative, positive, requireFlagOn, resolveOptions, unitInterval, type OptionSpecs } from "./options";
import { RuleOptimizer, type UpdateRule } from "./rule_optimizer";

export interface AdaBoundOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  finalLr: number;
  gamma: number;
  epsilon: number;
  weightDecay: number;
  amsbound: boolean;
}

export const ADABOUND_DEFAULTS: Readonly<AdaBoundOptions> = Object.freeze({
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  finalLr: 0.1,
  gamma: 1e-3,
  epsilon: 1e-8,
  weightDecay: 0,
  amsbound: false,
});

export const ADABOUND_SPECS: OptionSpecs<AdaBoundOptions> = {
  learningRate: nonNegative("learningRate"),
  beta1: unitInterval("beta1"),
  beta2: unitInterval("beta2"),
  finalLr: nonNegative("finalLr"),
  gamma: unitInterval("gamma"),
  epsilon: positive("epsilon"),
  weightDecay: nonNegative("weightDecay"),
  amsbound: flag,
};

type AdaBoundSlot = "m" | "v" | "vMax";

export const adaboundRule: UpdateRule<AdaBoundOptions, AdaBoundSlot> = {
  slots: (hp) => (hp.amsbound ? ["m", "v", "vMax"] : ["m", "v"]),
  initialValue: () => 0,
  step(ops, x, grad, s, hp, { t, lr, initialLr }) {
    const { m, vHat, slots } = adaptiveMoments(ops, x, grad, s, hp, hp.amsbound);
    const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
    const denom = ops.addScalar(ops.sqrt(vHat), hp.epsilon);
    const eta = ops.div(ops.fill(denom, (lr * Math.sqrt(bc2)) / bc1), denom);
    // With lr₀ = 0 the reference divides by zero; the bounds then simply stay at finalLr.
    const finalLr = initialLr > 0 ? (hp.finalLr * lr) / initialLr : hp.finalLr;
    const lower = finalLr * (1 - 1 / (hp.gamma * t + 1));
    const upper = finalLr * (1 + 1 / (hp.gamma * t));
    return { x: ops.sub(x, ops.mul(ops.clip(eta, lower, upper), m)), slots };
  },
};

export class AdaBound extends RuleOptimizer<AdaBoundOptions, AdaBoundSlot> {
  static readonly className = "AdaBound";
  constructor(options: Partial<AdaBoundOptions> = {}) {
    super("adabound", adaboundRule, resolveOptions("adabound", options, ADABOUND_DEFAULTS, ADABOUND_SPECS));
  }
}
tf.serialization.registerClass(AdaBound);

export const AMSBOUND_DEFAULTS: Readonly<AdaBoundOptions> = Object.freeze({ ...ADABOUND_DEFAULTS, amsbound: true });

/** AMSBound: AdaBound with the running maximum of v (`amsbound` always true). */
export class AMSBound extends RuleOptimizer<AdaBoundOptions, AdaBoundSlot> {
  static readonly className = "AMSBound";
  constructor(options: Partial<AdaBoundOptions> = {}) {
    const hp = resolveOptions("amsbound", options, AMSBOUND_DEFAULTS, ADABOUND_SPECS);
    requireFlagOn("amsbound", "amsbound", hp.amsbound, "adabound");
    super("amsbound", adaboundRule, hp);
  }
}
tf.serialization.registerClass(AMSBound);
