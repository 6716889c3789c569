/**
 * AMSGrad (Reddi et al., "On the Convergence of Adam and Beyond", ICLR 2018) as
 * `torch.optim.Adam(amsgrad=True)` (PyTorch 1.13) computes it: Adam with
 * v̂ = max(v̂, v) on the raw v, and denominator sqrt(v̂)/sqrt(bc2) + ε with the current step's bc2.
 * See `adam.ts` for the full rule. `amsgrad` is always true here (pass false to "adam" instead).
 *
 * Note: this is not Padam at p = 1/2, which uses the ε-hat form of the 2018 code
 * (lr·sqrt(bc2)/bc1·m/(sqrt(v̂)+ε)); the two differ where sqrt(v̂) is not much larger than ε.
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_DEFAULTS, ADAM_SPECS, adamRule, type AdamOptions, type AdamSlot } from "./adam";
import { requireFlagOn, resolveOptions } from "./options";
import { RuleOptimizer, splitExecution, type ExecutionOptions } from "./rule_optimizer";

export const AMSGRAD_DEFAULTS: Readonly<AdamOptions> = Object.freeze({ ...ADAM_DEFAULTS, amsgrad: true });

export class AMSGrad extends RuleOptimizer<AdamOptions, AdamSlot> {
  static readonly className = "TorchAMSGrad";
  constructor(options: Partial<AdamOptions> & ExecutionOptions = {}) {
    const [given, execution] = splitExecution(options);
    const hp = resolveOptions("amsgrad", given, AMSGRAD_DEFAULTS, ADAM_SPECS);
    requireFlagOn("amsgrad", "amsgrad", hp.amsgrad, "adam");
    super("amsgrad", adamRule, hp, execution);
  }
}
tf.serialization.registerClass(AMSGrad);
