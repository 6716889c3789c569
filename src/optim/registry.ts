/**
 * The one registry of optimizers: name → class, defaults and a one-line description.
 * `createOptimizer` and the conformance suite (`optimizers.test.ts`) both read it, so a new
 * optimizer is one file plus one row here.
 */
import { AdaBound, ADABOUND_DEFAULTS, AMSBound, AMSBOUND_DEFAULTS } from "./adabound";
import { Adam, ADAM_DEFAULTS } from "./adam";
import { AdamW, ADAMW_DEFAULTS } from "./adamw";
import { AMSGrad, AMSGRAD_DEFAULTS } from "./amsgrad";
import { Padam, PADAM_DEFAULTS } from "./padam";
import type { RuleOptimizer } from "./rule_optimizer";
import { SGD, SGD_DEFAULTS } from "./sgd";
import { Yogi, YOGI_DEFAULTS } from "./yogi";

export interface OptimizerEntry {
  /** Constructs the optimizer from (partial) options; throws on invalid options. */
  create(options: Record<string, unknown>): RuleOptimizer;
  defaults: Readonly<Record<string, unknown>>;
  /** Label used in plots and tables. */
  label: string;
  description: string;
  /** The implementation whose numbers it reproduces. */
  reference: string;
}

// The casts below only widen each class's typed options to the registry's common shape;
// option checking happens in each constructor.
type AnyOptions = Record<string, unknown>;

export const OPTIMIZERS = {
  padam: {
    create: (o: AnyOptions) => new Padam(o),
    defaults: PADAM_DEFAULTS,
    label: "Padam",
    description: "Partially adaptive momentum estimation (the paper's method)",
    reference: "uclaml/Padam Padam.py @ 586a02b",
  },
  sgd: {
    create: (o: AnyOptions) => new SGD(o),
    defaults: SGD_DEFAULTS,
    label: "SGD-M",
    description: "SGD with momentum, dampening and Nesterov",
    reference: "torch.optim.SGD (PyTorch 1.13)",
  },
  adam: {
    create: (o: AnyOptions) => new Adam(o),
    defaults: ADAM_DEFAULTS,
    label: "Adam",
    description: "Adam with coupled L2 weight decay",
    reference: "torch.optim.Adam (PyTorch 1.13)",
  },
  amsgrad: {
    create: (o: AnyOptions) => new AMSGrad(o),
    defaults: AMSGRAD_DEFAULTS,
    label: "AMSGrad",
    description: "Adam with the running maximum of the second moment",
    reference: "torch.optim.Adam(amsgrad=True) (PyTorch 1.13)",
  },
  adamw: {
    create: (o: AnyOptions) => new AdamW(o),
    defaults: ADAMW_DEFAULTS,
    label: "AdamW",
    description: "Adam with decoupled weight decay",
    reference: "torch.optim.AdamW (PyTorch 1.13)",
  },
  yogi: {
    create: (o: AnyOptions) => new Yogi(o),
    defaults: YOGI_DEFAULTS,
    label: "Yogi",
    description: "Additive second-moment updates",
    reference: "jettify/pytorch-optimizer yogi.py @ 19c3e41",
  },
  adabound: {
    create: (o: AnyOptions) => new AdaBound(o),
    defaults: ADABOUND_DEFAULTS,
    label: "AdaBound",
    description: "Adam with dynamic bounds closing on SGD",
    reference: "Luolc/AdaBound adabound.py @ 2e928c3",
  },
  amsbound: {
    create: (o: AnyOptions) => new AMSBound(o),
    defaults: AMSBOUND_DEFAULTS,
    label: "AMSBound",
    description: "AdaBound with the running maximum of the second moment",
    reference: "Luolc/AdaBound adabound.py @ 2e928c3 (amsbound=True)",
  },
} satisfies Record<string, OptimizerEntry>;

export type OptimizerName = keyof typeof OPTIMIZERS;

/** Every registered optimizer name, in registry order. */
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];

export function isOptimizerName(name: unknown): name is OptimizerName {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(OPTIMIZERS, name);
}

/**
 * Creates an optimizer by registry name with camelCase options (`learningRate`, `beta1`,
 * `beta2`, `epsilon`, `weightDecay`, `partial`, `amsgrad`, `momentum`, `dampening`, `nesterov`,
 * `finalLr`, `gamma`, `initialAccumulator`, `amsbound`), each defaulting to the reference's
 * default. The result is a `tf.Optimizer`: use it with `model.compile({optimizer})`,
 * `optimizer.minimize` or `applyGradients({[variableName]: grad})`.
 */
export function createOptimizer(name: string, options: Record<string, unknown> = {}): RuleOptimizer {
  if (!isOptimizerName(name)) {
    throw new Error(
      `createOptimizer: unknown optimizer ${JSON.stringify(name)}; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`,
    );
  }
  return OPTIMIZERS[name].create(options);
}
