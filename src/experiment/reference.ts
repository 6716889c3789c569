/**
 * The reference experiments: the workbook's evidence, run once on a CPU, committed under
 * `results/<experiment>/<runId>/` and shown by the notebooks. Each is designed to answer one of
 * the paper's questions (docs/paper-notes.md; the plan and its CPU budget: docs/evidence.md):
 *
 * - RQ1, the generalization gap, and RQ3, the ranking of the optimizers: `fmnist-cnn` (all
 *   seven), `cifar10-resnet20` and `ptb-lstm` (SGD-M, Adam, AMSGrad, Padam);
 * - RQ4, the effect of p: `p-sweep-fmnist`, `p-sweep-cifar10` (Padam at a fixed lr, as the paper);
 * - the cost of the paper's own networks: `paper-networks` (a fixed step budget each).
 *
 * Protocol, as the paper's (step decay ×0.1 at 50 % and 75 % of training) made fair on a CPU:
 * 1. tuning: every optimizer's base lr is chosen from a small grid by the final accuracy
 *    (perplexity) on a validation split held out of the training images, in shorter runs, seed 0;
 * 2. final: the chosen lr with seeds 0, 1, 2, evaluated on the test set every epoch.
 * Every final run takes at least {@link MIN_STEPS} optimizer steps, so that every optimizer is
 * past its start-up regime (Padam's official factor sqrt(1−β2^t)/(1−β1^t) ≥ 0.93 from there).
 */
import type { AnyOptimizerOptions, OptimizerName } from "../optim/registry";
import type { StepDecay } from "../optim/schedule";
import type { ExperimentConfig } from "./config";
import { presetConfig } from "./presets";

/** Optimizer steps every final run takes at least: Padam's official factor is 0.93 at t = 2,000. */
export const MIN_STEPS = 2000;
/** Seeds of every reported setting. */
export const FINAL_SEEDS = [0, 1, 2];
/** Seed of the tuning runs. */
export const TUNING_SEED = 0;

export type Metric = "acc" | "ppl";

export interface ReferenceExperiment {
  name: string;
  /** The paper's question(s) it answers, in words. */
  question: string;
  preset: string;
  /** Overrides of the preset for the final runs (epochs, data sizes, schedule). */
  final: Partial<Omit<ExperimentConfig, "optimizer" | "optimizerOptions" | "seed">>;
  /** Tuning: epochs (with the schedule scaled to them), test-set size, and each optimizer's lr grid. Absent: a fixed setting. */
  tuning?: { epochs: number; testLimit?: number; grid: Partial<Record<OptimizerName, number[]>> };
  /** The settings compared: an optimizer with fixed options (beyond the tuned lr). */
  arms: { optimizer: OptimizerName; options?: AnyOptimizerOptions }[];
  /** The metric that selects the lr and ranks the arms (on the validation split when tuning). */
  metric: Metric;
}

/** The paper's schedule shape for `epochs`: ×0.1 at (about) 50 % and 75 % of training. */
export function paperSchedule(epochs: number): StepDecay {
  return { milestones: [Math.round(epochs / 2), Math.round((3 * epochs) / 4)], gamma: 0.1 };
}

/** Learning-rate grids: a factor of about 3 either side of the reference setting of each family. */
const SGD_GRID = [0.03, 0.1, 0.3];
const ADAPTIVE_GRID = [3e-4, 1e-3, 3e-3];
const PADAM_GRID = [0.03, 0.1, 0.3];
const ALL_SEVEN: OptimizerName[] = ["sgd", "adam", "amsgrad", "adamw", "yogi", "adabound", "padam"];
const FOUR: OptimizerName[] = ["sgd", "adam", "amsgrad", "padam"];

function gridFor(optimizers: OptimizerName[], family: "image" | "ptb"): Partial<Record<OptimizerName, number[]>> {
  const grid: Partial<Record<OptimizerName, number[]>> = {};
  for (const o of optimizers) {
    if (family === "ptb") grid[o] = o === "sgd" ? [0.3, 1, 3] : o === "padam" ? PADAM_GRID : [1e-3, 3e-3, 1e-2];
    else grid[o] = o === "sgd" ? SGD_GRID : o === "padam" ? PADAM_GRID : ADAPTIVE_GRID;
  }
  return grid;
}

/** Fashion-MNIST: 4,000 training images (+1,000 held out), batch 64 → 63 steps per epoch. */
const FMNIST_FINAL = { trainLimit: 4000, validLimit: 1000, testLimit: 10000, epochs: 36, schedule: paperSchedule(36) };
/**
 * CIFAR-10: 5,000 training images (+1,000 held out), batch 32 → 157 steps per epoch,
 * augmentation. Held-out splits evaluated after every 4th epoch (and the first, the pre-decay
 * and the last): evaluating 11,000 images after every epoch would be a third of the run.
 */
const CIFAR_FINAL = {
  trainLimit: 5000,
  validLimit: 1000,
  testLimit: 10000,
  batchSize: 32,
  epochs: 13,
  schedule: paperSchedule(13),
  evalEvery: 4,
};

export const REFERENCE_EXPERIMENTS: readonly ReferenceExperiment[] = Object.freeze([
  {
    name: "fmnist-cnn",
    question:
      "RQ1 and RQ3: generalization gap and ranking of the seven optimizers (Fashion-MNIST CNN, trained to near-zero training loss)",
    preset: "fmnist-cnn",
    final: FMNIST_FINAL,
    tuning: { epochs: 18, testLimit: 1000, grid: gridFor(ALL_SEVEN, "image") },
    arms: ALL_SEVEN.map((optimizer) => ({ optimizer })),
    metric: "acc",
  },
  {
    name: "cifar10-resnet20",
    question: "RQ1 and RQ3 on real CIFAR-10 (10 classes, augmentation, batch norm): SGD-M, Adam, AMSGrad, Padam",
    preset: "cifar10-resnet20",
    final: CIFAR_FINAL,
    tuning: { epochs: 7, testLimit: 1000, grid: gridFor(FOUR, "image") },
    arms: FOUR.map((optimizer) => ({ optimizer })),
    metric: "acc",
  },
  {
    name: "ptb-lstm",
    question:
      "RQ1 and RQ3 on Penn Treebank with a small 2-layer LSTM: SGD-M, Adam, AMSGrad, Padam (validation perplexity selects)",
    preset: "ptb-lstm-small",
    // 100k training tokens, batch 10 × BPTT 35 → 285 steps per epoch; the whole validation and
    // test text (156k tokens) evaluated after every 3rd epoch (and the first, pre-decay, last).
    final: { trainLimit: 100000, testLimit: 0, batchSize: 10, epochs: 8, schedule: paperSchedule(8), evalEvery: 3 },
    tuning: { epochs: 4, grid: gridFor(FOUR, "ptb") },
    arms: FOUR.map((optimizer) => ({ optimizer })),
    metric: "ppl",
  },
  {
    name: "p-sweep-fmnist",
    question: "RQ4: Padam's p in {1/4, 1/8, 1/16, 2/5, 1/5} at the fixed lr 0.1 (Fashion-MNIST CNN)",
    preset: "fmnist-cnn",
    final: FMNIST_FINAL,
    arms: [0.25, 0.125, 0.0625, 0.4, 0.2].map((partial) => ({
      optimizer: "padam" as const,
      options: { learningRate: 0.1, partial },
    })),
    metric: "acc",
  },
  {
    name: "bias-factor-fmnist",
    question:
      "Padam's implicit warm-up: the official bias factor sqrt(1 − β2^t)/(1 − β1^t) against the consistent (1 − β2^t)^p/(1 − β1^t), early and at the end (Fashion-MNIST CNN, lr 0.1, p = 1/8)",
    preset: "fmnist-cnn",
    final: FMNIST_FINAL,
    // The official arm is p-sweep-fmnist's p = 1/8 setting: the same configs, so the same runs.
    arms: [{}, { biasCorrection: "consistent" as const }].map((extra) => ({
      optimizer: "padam" as const,
      options: { learningRate: 0.1, partial: 0.125, ...extra },
    })),
    metric: "acc",
  },
  {
    name: "p-sweep-cifar10",
    question: "RQ4: Padam's p in {1/4, 1/8, 1/16} at the fixed lr 0.1 (CIFAR-10 ResNet-20)",
    preset: "cifar10-resnet20",
    final: CIFAR_FINAL,
    arms: [0.25, 0.125, 0.0625].map((partial) => ({
      optimizer: "padam" as const,
      options: { learningRate: 0.1, partial },
    })),
    metric: "acc",
  },
]);

/** The paper's three CIFAR-10 networks, each trained for a fixed step budget to measure its cost on this machine. */
export const PAPER_NETWORK_BUDGET = Object.freeze({
  presets: ["cifar10-vgg16", "cifar10-resnet18", "cifar10-wrn16-4"],
  /** Optimizer steps per network (batch 128, as the paper): enough for a stable throughput. */
  steps: 40,
  optimizer: "padam" as OptimizerName,
});

export const REFERENCE_NAMES = [...REFERENCE_EXPERIMENTS.map((e) => e.name), "paper-networks"];

/**
 * The order `npm run reproduce -- all` works in: the cheap Fashion-MNIST answers first (the
 * comparison, the p sweep, the bias factor), the paper networks' cost measurement early (it sizes
 * the rest), then CIFAR-10 (the paper's own setting, with augmentation and batch norm: the
 * stronger test of the gap, so it gets the budget before PTB) and last PTB.
 */
export const REPRODUCE_ORDER = [
  "fmnist-cnn",
  "p-sweep-fmnist",
  "bias-factor-fmnist",
  "paper-networks",
  "cifar10-resnet20",
  "p-sweep-cifar10",
  "ptb-lstm",
];

export function referenceExperiment(name: string): ReferenceExperiment {
  const found = REFERENCE_EXPERIMENTS.find((e) => e.name === name);
  if (found) return found;
  const known = REFERENCE_EXPERIMENTS.map((e) => e.name).join(", ");
  if (name === "paper-networks")
    throw new Error(
      `"paper-networks" is a throughput budget, not an optimizer comparison: read it with paperNetworkCosts(); comparisons: ${known}`,
    );
  throw new Error(`unknown reference experiment ${JSON.stringify(name)}; known: ${known}`);
}

/**
 * The tuning runs of an experiment: each optimizer × each lr of its grid (the experiment's, or
 * `grid` as extended by the results so far), seed {@link TUNING_SEED}.
 */
export function tuningConfigs(
  exp: ReferenceExperiment,
  grid: Partial<Record<OptimizerName, number[]>> | undefined = exp.tuning?.grid,
): ExperimentConfig[] {
  if (!exp.tuning || !grid) return [];
  const { epochs, testLimit } = exp.tuning;
  return exp.arms.flatMap(({ optimizer, options }) =>
    (grid[optimizer] ?? []).map((learningRate) =>
      presetConfig(exp.preset, optimizer, {
        ...exp.final,
        epochs,
        schedule: paperSchedule(epochs),
        ...(testLimit ? { testLimit } : {}),
        seed: TUNING_SEED,
        optimizerOptions: { ...options, learningRate },
      }),
    ),
  );
}

/**
 * The final runs: each arm at its chosen lr (`chosenLr[optimizer]`; arms with a fixed lr keep
 * theirs) with every seed of {@link FINAL_SEEDS}. An arm whose lr is not chosen yet is left out.
 */
export function finalConfigs(
  exp: ReferenceExperiment,
  chosenLr: Partial<Record<OptimizerName, number>> = {},
): ExperimentConfig[] {
  return exp.arms.flatMap(({ optimizer, options }) => {
    const lr = (options?.learningRate as number | undefined) ?? chosenLr[optimizer];
    if (lr === undefined) return [];
    return FINAL_SEEDS.map((seed) =>
      presetConfig(exp.preset, optimizer, { ...exp.final, seed, optimizerOptions: { ...options, learningRate: lr } }),
    );
  });
}

/** The budget runs of the paper's networks (one epoch over `steps` batches of 128 real CIFAR-10 images). */
export function paperNetworkConfigs(): ExperimentConfig[] {
  const { presets, steps, optimizer } = PAPER_NETWORK_BUDGET;
  return presets.map((preset) =>
    presetConfig(preset, optimizer, {
      epochs: 1,
      trainLimit: 128 * steps,
      testLimit: 1000,
      schedule: undefined,
      trainMetrics: "epoch-average",
    }),
  );
}
