/** Optimizers: Padam and its baselines as TensorFlow.js optimizers, plus schedules and a float64 reference. */
export { Padam, PADAM_DEFAULTS, padamRule, type PadamOptions } from "./padam";
export { SGD, SGD_DEFAULTS, sgdRule, type SGDOptions } from "./sgd";
export { Adam, ADAM_DEFAULTS, adamRule, type AdamOptions } from "./adam";
export { AMSGrad, AMSGRAD_DEFAULTS } from "./amsgrad";
export { AdamW, ADAMW_DEFAULTS, adamwRule } from "./adamw";
export { Yogi, YOGI_DEFAULTS, yogiRule, type YogiOptions } from "./yogi";
export {
  AdaBound,
  AMSBound,
  ADABOUND_DEFAULTS,
  AMSBOUND_DEFAULTS,
  adaboundRule,
  type AdaBoundOptions,
} from "./adabound";
export { RuleOptimizer, type UpdateRule, type StepContext } from "./rule_optimizer";
export {
  OPTIMIZERS,
  OPTIMIZER_NAMES,
  createOptimizer,
  isOptimizerName,
  type AnyOptimizerOptions,
  type OptimizerName,
  type OptimizerEntry,
  type OptimizerOptionsMap,
} from "./registry";
export { applyStepDecay, stepDecayCallback, stepDecayLr, validateStepDecay, type StepDecay } from "./schedule";
export { referenceTrajectory } from "./reference";
export { float64Ops, tensorOps, type Ops } from "./ops";
