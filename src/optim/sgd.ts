/**
 * SGD with momentum, dampening and Nesterov, as `torch.optim.SGD` (PyTorch 1.13) computes it.
 *
 *     d = ∇f(x) + λ·x
 *     if μ ≠ 0:  b = d on the first step (no dampening), else b = μ·b + (1 − τ)·d
 *                d = d + μ·b  if nesterov,  else d = b
 *     x = x − lr·d
 *
 * Symbols → options: lr = `learningRate` (required: the reference has no default), μ = `momentum`,
 * τ = `dampening`, λ = `weightDecay`, `nesterov` (needs μ > 0 and τ = 0).
 * The paper's SGD-momentum baseline is lr 0.1, μ 0.9, λ 5e-4.
 */
import * as tf from "@tensorflow/tfjs";
import { withL2 } from "./moments";
import { closedRange, flag, nonNegative, resolveOptions, type OptionSpecs } from "./options";
import { RuleOptimizer, type UpdateRule } from "./rule_optimizer";

export interface SGDOptions {
  learningRate: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export const SGD_DEFAULTS: Readonly<Partial<SGDOptions>> = Object.freeze({
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
});

export const SGD_SPECS: OptionSpecs<SGDOptions> = {
  learningRate: nonNegative("learningRate"),
  momentum: nonNegative("momentum"),
  dampening: closedRange("dampening", 0, 1),
  weightDecay: nonNegative("weightDecay"),
  nesterov: flag,
};

export const sgdRule: UpdateRule<SGDOptions, "buf"> = {
  slots: (hp) => (hp.momentum !== 0 ? ["buf"] : []),
  initialValue: () => 0,
  step(ops, x, grad, s, hp, { t, lr }) {
    let d = withL2(ops, grad, x, hp.weightDecay);
    const slots = {} as Record<"buf", typeof x>;
    if (hp.momentum !== 0) {
      // torch starts the buffer at the first gradient itself, undampened.
      const buf = t === 1 ? d : ops.add(ops.scale(s.buf, hp.momentum), ops.scale(d, 1 - hp.dampening));
      slots.buf = buf;
      d = hp.nesterov ? ops.add(d, ops.scale(buf, hp.momentum)) : buf;
    }
    return { x: ops.sub(x, ops.scale(d, lr)), slots };
  },
};

export function resolveSGDOptions(options: Partial<SGDOptions>): SGDOptions {
  const hp = resolveOptions("sgd", options, SGD_DEFAULTS, SGD_SPECS, ["learningRate"]);
  if (hp.nesterov && (hp.momentum <= 0 || hp.dampening !== 0)) {
    throw new Error(
      `sgd: option "nesterov" = true needs momentum > 0 and dampening = 0; got momentum = ${hp.momentum}, dampening = ${hp.dampening}`,
    );
  }
  return hp;
}

export class SGD extends RuleOptimizer<SGDOptions, "buf"> {
  static readonly className = "TorchSGD";
  constructor(options: Partial<SGDOptions>) {
    super("sgd", sgdRule, resolveSGDOptions(options ?? {}));
  }
}
tf.serialization.registerClass(SGD);
