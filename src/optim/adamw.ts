/**
 * AdamW — Adam with decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101), as
 * `torch.optim.AdamW` (PyTorch 1.13) computes it:
 *
 *     x = x · (1 − lr·λ)                 first, with the current scheduled lr
 *     then the Adam (or AMSGrad) step of `adam.ts` on the raw gradient (no L2 term)
 *
 * Symbols → options as in Adam; λ = `weightDecay`, default 1e-2 (torch's default, not 0).
 * The paper's normalized decay λ_norm converts as λ = λ_norm·sqrt(b/(B·T)) / α (docs/paper-notes.md §2.4).
 */
import * as tf from "@tensorflow/tfjs";
import { adaptiveRule, type AdaptiveCoefficients } from "./moments";
import { ADAM_DEFAULTS, ADAM_SPECS, adamCoefficients, type AdamOptions, type AdamSlot } from "./adam";
import { resolveOptions } from "./options";
import {
  RuleOptimizer,
  splitExecution,
  type ExecutionOptions,
  type StepContext,
  type UpdateRule,
} from "./rule_optimizer";

export const ADAMW_DEFAULTS: Readonly<AdamOptions> = Object.freeze({ ...ADAM_DEFAULTS, weightDecay: 1e-2 });

/** AdamW's step as `AdaptiveCoefficients`: Adam's without the L2 term, x shrunk by 1 − lr·λ first. */
export function adamwCoefficients(hp: AdamOptions, ctx: StepContext): AdaptiveCoefficients {
  return { ...adamCoefficients({ ...hp, weightDecay: 0 }, ctx), shrink: 1 - ctx.lr * hp.weightDecay };
}

export const adamwRule: UpdateRule<AdamOptions, AdamSlot> = adaptiveRule(adamwCoefficients);

export class AdamW extends RuleOptimizer<AdamOptions, AdamSlot> {
  static readonly className = "TorchAdamW";
  constructor(options: Partial<AdamOptions> & ExecutionOptions = {}) {
    const [hp, execution] = splitExecution(options);
    super("adamw", adamwRule, resolveOptions("adamw", hp, ADAMW_DEFAULTS, ADAM_SPECS), execution);
  }
}
tf.serialization.registerClass(AdamW);
