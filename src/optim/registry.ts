/**
 * The one registry of optimizers: name → options type, class, defaults and a one-line
 * description. `createOptimizer` and the conformance suite (`optimizers.test.ts`) both read it,
 * so a new optimizer is one file plus its line in `OptimizerOptionsMap` and its row in
 * `OPTIMIZERS` (the compiler refuses one without the other).
 */
import { AdaBound, ADABOUND_DEFAULTS, AMSBound, AMSBOUND_DEFAULTS } from "./adabound";
import { Adam, ADAM_DEFAULTS } from "./adam";
import { AdamW, ADAMW_DEFAULTS } from "./adamw";
import { AMSGrad, AMSGRAD_DEFAULTS } from "./amsgrad";
import { Padam, PADAM_DEFAULTS } from "./padam";
import type { RuleOptimizer } from "./rule_optimizer";
import { SGD, SGD_DEFAULTS } from "./sgd";
import { Yogi, YOGI_DEFAULTS } from "./yogi";
import type { Intersection } from "../util/types";

/** The options an optimizer class's constructor takes. */
type OptionsOf<C extends new (options: never) => RuleOptimizer> = NonNullable<ConstructorParameters<C>[0]>;

/**
 * The options `createOptimizer` takes for each registered name: that optimizer's constructor
 * options (a partial record of its hyper-parameters, plus `fused` for the adaptive family).
 */
export interface OptimizerOptionsMap {
  padam: OptionsOf<typeof Padam>;
  sgd: OptionsOf<typeof SGD>;
  adam: OptionsOf<typeof Adam>;
  amsgrad: OptionsOf<typeof AMSGrad>;
  adamw: OptionsOf<typeof AdamW>;
  yogi: OptionsOf<typeof Yogi>;
  adabound: OptionsOf<typeof AdaBound>;
  amsbound: OptionsOf<typeof AMSBound>;
}

export type OptimizerName = keyof OptimizerOptionsMap;

/**
 * Every option of every registered optimizer, with its type: what a config's `optimizerOptions`
 * may hold before the optimizer is known. `createOptimizer` checks the keys against the chosen
 * optimizer at run time.
 */
export type AnyOptimizerOptions = Intersection<OptimizerOptionsMap[OptimizerName]>;

export interface OptimizerEntry<O> {
  /** Constructs the optimizer from (partial) options; throws on invalid options. */
  create(options?: O): RuleOptimizer;
  defaults: Readonly<O>;
  /** Label used in plots and tables. */
  label: string;
  description: string;
  /** The implementation whose numbers it reproduces. */
  reference: string;
}

export const OPTIMIZERS: { readonly [N in OptimizerName]: OptimizerEntry<OptimizerOptionsMap[N]> } = {
  padam: {
    create: (o) => new Padam(o),
    defaults: PADAM_DEFAULTS,
    label: "Padam",
    description: "Partially adaptive momentum estimation (the paper's method)",
    reference: "uclaml/Padam Padam.py @ 586a02b",
  },
  sgd: {
    create: (o) => new SGD(o ?? {}),
    defaults: SGD_DEFAULTS,
    label: "SGD-M",
    description: "SGD with momentum, dampening and Nesterov",
    reference: "torch.optim.SGD (PyTorch 1.13)",
  },
  adam: {
    create: (o) => new Adam(o),
    defaults: ADAM_DEFAULTS,
    label: "Adam",
    description: "Adam with coupled L2 weight decay",
    reference: "torch.optim.Adam (PyTorch 1.13)",
  },
  amsgrad: {
    create: (o) => new AMSGrad(o),
    defaults: AMSGRAD_DEFAULTS,
    label: "AMSGrad",
    description: "Adam with the running maximum of the second moment",
    reference: "torch.optim.Adam(amsgrad=True) (PyTorch 1.13)",
  },
  adamw: {
    create: (o) => new AdamW(o),
    defaults: ADAMW_DEFAULTS,
    label: "AdamW",
    description: "Adam with decoupled weight decay",
    reference: "torch.optim.AdamW (PyTorch 1.13)",
  },
  yogi: {
    create: (o) => new Yogi(o),
    defaults: YOGI_DEFAULTS,
    label: "Yogi",
    description: "Additive second-moment updates",
    reference: "jettify/pytorch-optimizer yogi.py @ 19c3e41",
  },
  adabound: {
    create: (o) => new AdaBound(o),
    defaults: ADABOUND_DEFAULTS,
    label: "AdaBound",
    description: "Adam with dynamic bounds closing on SGD",
    reference: "Luolc/AdaBound adabound.py @ 2e928c3",
  },
  amsbound: {
    create: (o) => new AMSBound(o),
    defaults: AMSBOUND_DEFAULTS,
    label: "AMSBound",
    description: "AdaBound with the running maximum of the second moment",
    reference: "Luolc/AdaBound adabound.py @ 2e928c3 (amsbound=True)",
  },
};

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
export function createOptimizer<N extends OptimizerName>(name: N, options?: OptimizerOptionsMap[N]): RuleOptimizer {
  // Names also come from JSON configs and the command line, where the type proves nothing.
  if (!isOptimizerName(name)) {
    throw new Error(
      `createOptimizer: unknown optimizer ${JSON.stringify(name)}; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`,
    );
  }
  const entry: OptimizerEntry<OptimizerOptionsMap[N]> = OPTIMIZERS[name];
  return entry.create(options);
}
