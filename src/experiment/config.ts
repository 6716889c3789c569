/**
 * Experiment configuration: one typed plain object that fully determines a run (with the seed
 * and the backend), stored as `config.json` beside the run's metrics.
 */
import { isOptimizerName, OPTIMIZER_NAMES, type AnyOptimizerOptions, type OptimizerName } from "../optim/registry";
import { validateStepDecay, type StepDecay } from "../optim/schedule";
import { MAX_SEED, MODEL_NAMES, type AnyModelConfig, type LstmPresetName, type ModelName } from "../models/index";

export const EXPERIMENT_DATASETS = ["fashion-mnist", "cifar10", "image-folder", "ptb"] as const;
export type ExperimentDataset = (typeof EXPERIMENT_DATASETS)[number];

/** How the per-epoch training loss/error is measured. */
export type TrainMetricsMode =
  /** The paper's scripts: a second full pass over the augmented training set after the epoch, in train mode. */
  | "second-pass"
  /** The mean over the epoch's own mini-batches (free; what CPU-scale presets use). */
  | "epoch-average";

/**
 * A config's `modelConfig`: fields of the chosen model's config (any registered model's, with
 * their types; `buildModel` checks the keys against the model) and, for lstm-lm, `preset`, a
 * key of `LSTM_PRESETS` whose sizes the other fields override. The runner fills in the seed
 * and what the data decides (see `modelConfigFor`).
 */
export type ExperimentModelConfig = AnyModelConfig & { preset?: LstmPresetName };

export interface ExperimentConfig {
  /** Preset the config came from, if any (informational; part of the run id). */
  preset?: string;
  model: ModelName;
  /** Passed to `buildModel` (numClasses, seed and the LSTM sizes are filled in by the runner). */
  modelConfig?: ExperimentModelConfig;
  dataset: ExperimentDataset;
  /** Folder of an image-folder dataset (`<root>/<split>/<class>/*`), for dataset "image-folder". */
  dataRoot?: string;
  /** Use at most this many training / test examples (class-balanced subsets; 0 or absent = all). */
  trainLimit?: number;
  testLimit?: number;
  /**
   * Image data sets: hold out this many further examples of the training split as a validation
   * split ("valid"), evaluated every epoch beside the test set. Learning rates are chosen on it,
   * never on the test set. The held-out examples are the last of each class (class-balanced) and
   * do not depend on the seed, so every run of an experiment validates on the same images.
   */
  validLimit?: number;
  /** Paper augmentation (random crop with padding, horizontal flip) on the training set. */
  augment: boolean;
  /** Side of the square input for image-folder data (ImageNet: 224). */
  imageSize?: number;
  optimizer: OptimizerName;
  /** Options of `createOptimizer`; unset ones take the reference defaults. */
  optimizerOptions: AnyOptimizerOptions;
  epochs: number;
  batchSize: number;
  testBatchSize: number;
  /** Step decay of the learning rate by epoch (MultiStepLR); absent = constant. */
  schedule?: StepDecay;
  /** Clip the global gradient norm to this value (language models); absent = no clipping. */
  clipNorm?: number;
  /** Truncated-BPTT length for language models. */
  bptt?: number;
  trainMetrics: TrainMetricsMode;
  /**
   * Evaluate the held-out splits (test, validation) only after every `evalEvery`-th epoch, and
   * always after the first, before each learning-rate decay and after the last (the epochs the
   * analyses read); absent = after every epoch. Training metrics are recorded every epoch.
   * Evaluation is a third of a CIFAR-10 or PTB run on a CPU; this changes no trained number.
   */
  evalEvery?: number;
  /** Record the gradient statistics the convergence bound needs (G_inf, ‖g_{1:T,i}‖). */
  gradientStats?: boolean;
  seed: number;
}

const KEYS: readonly (keyof ExperimentConfig)[] = [
  "preset",
  "model",
  "modelConfig",
  "dataset",
  "dataRoot",
  "trainLimit",
  "testLimit",
  "validLimit",
  "augment",
  "imageSize",
  "optimizer",
  "optimizerOptions",
  "epochs",
  "batchSize",
  "testBatchSize",
  "schedule",
  "clipNorm",
  "bptt",
  "trainMetrics",
  "evalEvery",
  "gradientStats",
  "seed",
];

function positiveInt(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/** Checks a config; every message names the field, the value and what is allowed. */
export function validateConfig(config: ExperimentConfig): void {
  const c = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key as keyof ExperimentConfig)) {
      throw new Error(`config: unknown field "${key}"; known fields: ${KEYS.join(", ")}`);
    }
  }
  if (!MODEL_NAMES.includes(config.model)) {
    throw new Error(
      `config: model = ${JSON.stringify(config.model)} is unknown; known models: ${MODEL_NAMES.join(", ")}`,
    );
  }
  if (!EXPERIMENT_DATASETS.includes(config.dataset)) {
    throw new Error(
      `config: dataset = ${JSON.stringify(config.dataset)} is unknown; known datasets: ${EXPERIMENT_DATASETS.join(", ")}`,
    );
  }
  if (!isOptimizerName(config.optimizer)) {
    throw new Error(
      `config: optimizer = ${JSON.stringify(config.optimizer)} is unknown; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`,
    );
  }
  for (const key of ["epochs", "batchSize", "testBatchSize"] as const) {
    if (!positiveInt(config[key]))
      throw new Error(`config: ${key} = ${config[key]} is invalid; allowed: an integer >= 1`);
  }
  if (config.validLimit !== undefined && (!positiveInt(config.validLimit) || config.dataset === "ptb")) {
    throw new Error(
      `config: validLimit = ${config.validLimit} is invalid; allowed: an integer >= 1, for image data sets (ptb has its own validation split)`,
    );
  }
  if (config.evalEvery !== undefined && !positiveInt(config.evalEvery)) {
    throw new Error(`config: evalEvery = ${config.evalEvery} is invalid; allowed: an integer >= 1 (epochs)`);
  }
  for (const key of ["trainLimit", "testLimit", "bptt", "imageSize"] as const) {
    const v = config[key];
    if (v !== undefined && !(v === 0 && key.endsWith("Limit")) && !positiveInt(v)) {
      throw new Error(
        `config: ${key} = ${v} is invalid; allowed: an integer >= 1${key.endsWith("Limit") ? " (or 0 for all)" : ""}`,
      );
    }
  }
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > MAX_SEED) {
    throw new Error(`config: seed = ${config.seed} is invalid; allowed: an integer in [0, ${MAX_SEED}]`);
  }
  if (config.clipNorm !== undefined && !(config.clipNorm > 0 && Number.isFinite(config.clipNorm))) {
    throw new Error(`config: clipNorm = ${config.clipNorm} is invalid; allowed: a number > 0`);
  }
  if (config.trainMetrics !== "second-pass" && config.trainMetrics !== "epoch-average") {
    throw new Error(
      `config: trainMetrics = ${JSON.stringify(config.trainMetrics)} is invalid; allowed: "second-pass", "epoch-average"`,
    );
  }
  if (config.schedule) validateStepDecay(config.schedule, "config.schedule");
  if (config.dataset === "image-folder" && !config.dataRoot) {
    throw new Error(`config: dataset "image-folder" needs dataRoot (a folder with <split>/<class>/ images)`);
  }
  const language = config.dataset === "ptb";
  if (language !== (config.model === "lstm-lm")) {
    throw new Error(
      `config: model "${config.model}" does not fit dataset "${config.dataset}"; the ptb dataset goes with the lstm-lm model only`,
    );
  }
}

/** JSON with object keys sorted, so that equal configs serialize identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

/**
 * Whether a run of `config` evaluates its held-out splits after 0-based `epoch`: every epoch
 * without `evalEvery`; with it, after epochs k·evalEvery − 1, the first, the last, and the one
 * before each decay (epoch + 1 a milestone), so early, pre-decay and final numbers always exist.
 */
export function evaluatesAfter(
  config: Pick<ExperimentConfig, "evalEvery" | "epochs" | "schedule">,
  epoch: number,
): boolean {
  const every = config.evalEvery ?? 1;
  if (every === 1 || epoch === 0 || epoch === config.epochs - 1 || (epoch + 1) % every === 0) return true;
  return config.schedule?.milestones.includes(epoch + 1) ?? false;
}
