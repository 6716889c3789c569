/**
 * AdamW — Adam with decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101), as
 * `torch.optim.AdamW` (PyTorch 1.13) computes it:
 *
 *     x = x · (1 − lr·λ)                 first, with the current scheduled lr
 *     then the Adam (or AMSGrad) step of `adam.ts` on the raw gradient (no L2 term)
 *
 * Symbols → options as in Adam; λ = `weightDecay`, default 1e-2 (torch's default, not 0).
 * The paper's normalized decay λ_norm converts as λ = λ_norm·sqrt(b/(B·T)) / α (docs: paper.md §2.4).
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_DEFAULTS, ADAM_SPECS, adamRule, type AdamOptions, type AdamSlot } from "./adam";
import { resolveOptions } from "./options";
import { RuleOptimizer, type UpdateRule } from "./rule_optimizer";

export const ADAMW_DEFAULTS: Readonly<AdamOptions> = Object.freeze({ ...ADAM_DEFAULTS, weightDecay: 1e-2 });

export const adamwRule: UpdateRule<AdamOptions, AdamSlot> = {
  slots: adamRule.slots,
  initialValue: adamRule.initialValue,
  step(ops, x, g, s, hp, ctx) {
    const decayed = hp.weightDecay === 0 ? x : ops.scale(x, 1 - ctx.lr * hp.weightDecay);
    return adamRule.step(ops, decayed, g, s, { ...hp, weightDecay: 0 }, ctx);
  },
  fused(hp, ctx) {
    return { ...adamRule.fused!({ ...hp, weightDecay: 0 }, ctx), shrink: 1 - ctx.lr * hp.weightDecay };
  },
};

export class AdamW extends RuleOptimizer<AdamOptions, AdamSlot> {
  static readonly className = "TorchAdamW";
  constructor(options: Partial<AdamOptions> = {}) {
    super("adamw", adamwRule, resolveOptions("adamw", options, ADAMW_DEFAULTS, ADAM_SPECS));
  }
}
tf.serialization.registerClass(AdamW);
