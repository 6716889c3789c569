/**
 * Named experiment presets: the paper's protocols and CPU-scale versions of them, plus smoke
 * versions for CI. A preset fixes everything except the optimizer and the seed; the optimizer's
 * hyper-parameters come from the preset's family table (`optimizerSettings`).
 */
import type { AnyOptimizerOptions, OptimizerName } from "../optim/registry";
import type { ExperimentConfig } from "./config";

export type PresetScale = "paper" | "cpu" | "smoke";
type Family = "cifar" | "imagenet" | "ptb";

export interface Preset {
  description: string;
  scale: PresetScale;
  family: Family;
  /** Everything but optimizer, optimizerOptions and seed. */
  base: Omit<ExperimentConfig, "optimizer" | "optimizerOptions" | "seed" | "preset">;
  /** Training-set size used to normalize AdamW's decay (B in λ = λ_norm·sqrt(b/(B·T))/α). */
  trainSize: number;
}

/**
 * AdamW's normalized decay (Loshchilov & Hutter) converted to torch's λ:
 * λ = λ_norm · sqrt(b / (B·T)) / α, with batch b, training-set size B, epochs T and lr α.
 */
export function adamwDecay(
  lambdaNorm: number,
  batchSize: number,
  trainSize: number,
  epochs: number,
  lr: number,
): number {
  return (lambdaNorm * Math.sqrt(batchSize / (trainSize * epochs))) / lr;
}

/**
 * Per-optimizer hyper-parameters by family. Sources (docs/paper-notes.md §3.4):
 * - CIFAR: Padam lr 0.1, p 1/8, λ 5e-4 and SGD-M lr 0.1, μ 0.9, λ 5e-4 (official scripts);
 *   Adam/AMSGrad lr 1e-3, β2 0.99, λ 1e-4 (reproducibility report, Table 1); AdamW normalized
 *   decay 0.025 (reproduction code). Yogi (lr 1e-3, ε 1e-3) and AdaBound (lr 1e-3, finalLr 0.1,
 *   γ 1e-3, λ 5e-4, the AdaBound demo) are assumptions: the paper's values are unverified.
 * - ImageNet: as CIFAR with λ 1e-4 for SGD-M/Padam and normalized AdamW decay 0.05 (assumption).
 * - PTB: no published settings; an assumption following common PTB LSTM protocols (SGD lr 1 with
 *   gradient clipping; adaptive methods lr 1e-3 … 1e-2; Padam lr 0.1 with p 1/8).
 */
export function optimizerSettings(
  preset: Preset,
  optimizer: OptimizerName,
  /** The run's batch size, epochs and training-set size when they differ from the preset's (AdamW's decay depends on them). */
  scale: { batchSize?: number; epochs?: number; trainSize?: number } = {},
): AnyOptimizerOptions {
  const { family } = preset;
  const batchSize = scale.batchSize ?? preset.base.batchSize;
  const epochs = scale.epochs ?? preset.base.epochs;
  const trainSize = scale.trainSize ?? preset.trainSize;
  const wdSgd = family === "imagenet" ? 1e-4 : family === "ptb" ? 1.2e-6 : 5e-4;
  const wdAdam = family === "ptb" ? 1.2e-6 : 1e-4;
  const adamLr = family === "ptb" ? 1e-2 : 1e-3;
  switch (optimizer) {
    case "padam":
      return { learningRate: 0.1, partial: 0.125, beta1: 0.9, beta2: 0.999, weightDecay: wdSgd };
    case "sgd":
      return family === "ptb"
        ? { learningRate: 1, momentum: 0.9, weightDecay: wdSgd }
        : { learningRate: 0.1, momentum: 0.9, weightDecay: wdSgd };
    case "adam":
      return { learningRate: adamLr, beta1: 0.9, beta2: 0.99, weightDecay: wdAdam };
    case "amsgrad":
      return { learningRate: adamLr, beta1: 0.9, beta2: 0.99, weightDecay: wdAdam };
    case "adamw": {
      const lambdaNorm = family === "imagenet" ? 0.05 : 0.025;
      return {
        learningRate: adamLr,
        beta1: 0.9,
        beta2: 0.99,
        weightDecay: adamwDecay(lambdaNorm, batchSize, trainSize, epochs, adamLr),
      };
    }
    case "yogi":
      return { learningRate: adamLr, beta1: 0.9, beta2: 0.999, epsilon: 1e-3, weightDecay: wdAdam };
    case "adabound":
    case "amsbound":
      return { learningRate: adamLr, finalLr: family === "ptb" ? 1 : 0.1, gamma: 1e-3, weightDecay: wdSgd };
  }
}

const CIFAR_PAPER = {
  epochs: 200,
  batchSize: 128,
  testBatchSize: 100,
  schedule: { milestones: [100, 150], gamma: 0.1 },
};

/**
 * The presets by name. The object has no prototype, so a lookup of a name such as `__proto__` or
 * `toString` finds nothing instead of an Object method; test names with `isPresetName`.
 */
export const PRESETS: Record<string, Preset> = Object.assign(Object.create(null) as Record<string, Preset>, {
  // The paper's protocols (GPU scale).
  "cifar10-vgg16": {
    description: "Paper: CIFAR-10, VGG-16, 200 epochs, lr x0.1 at 100 and 150, batch 128, augmentation",
    scale: "paper",
    family: "cifar",
    trainSize: 50000,
    base: { model: "vgg16", dataset: "cifar10", augment: true, ...CIFAR_PAPER, trainMetrics: "second-pass" },
  },
  "cifar10-resnet18": {
    description: "Paper: CIFAR-10, ResNet-18, 200 epochs, lr x0.1 at 100 and 150, batch 128, augmentation",
    scale: "paper",
    family: "cifar",
    trainSize: 50000,
    base: { model: "resnet18", dataset: "cifar10", augment: true, ...CIFAR_PAPER, trainMetrics: "second-pass" },
  },
  "cifar10-wrn16-4": {
    description: "Paper: CIFAR-10, Wide-ResNet-16-4, 200 epochs, lr x0.1 at 100 and 150, batch 128, augmentation",
    scale: "paper",
    family: "cifar",
    trainSize: 50000,
    base: { model: "wrn16-4", dataset: "cifar10", augment: true, ...CIFAR_PAPER, trainMetrics: "second-pass" },
  },
  "imagenet-resnet18": {
    description: "Paper: ImageNet (image folder), ResNet-18, 100 epochs, lr x0.1 every 30, batch 256",
    scale: "paper",
    family: "imagenet",
    trainSize: 1281167,
    base: {
      model: "imagenet-resnet18",
      dataset: "image-folder",
      dataRoot: "imagenet",
      imageSize: 224,
      augment: true,
      epochs: 100,
      batchSize: 256,
      testBatchSize: 100,
      schedule: { milestones: [30, 60, 90], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },
  "imagenet-vgg16": {
    description: "Paper: ImageNet (image folder), VGG-16, 100 epochs, lr x0.1 every 30, batch 256",
    scale: "paper",
    family: "imagenet",
    trainSize: 1281167,
    base: {
      model: "imagenet-vgg16",
      dataset: "image-folder",
      dataRoot: "imagenet",
      imageSize: 224,
      augment: true,
      epochs: 100,
      batchSize: 256,
      testBatchSize: 100,
      schedule: { milestones: [30, 60, 90], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },
  "ptb-lstm2": {
    description: "Paper: Penn Treebank, 2-layer LSTM, 200 epochs, lr x0.1 at 100 and 145 (settings assumed)",
    scale: "paper",
    family: "ptb",
    trainSize: 929589,
    base: {
      model: "lstm-lm",
      modelConfig: { preset: "ptb-lstm2" },
      dataset: "ptb",
      augment: false,
      epochs: 200,
      batchSize: 20,
      testBatchSize: 10,
      bptt: 35,
      clipNorm: 0.25,
      schedule: { milestones: [100, 145], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },
  "ptb-lstm3": {
    description: "Paper: Penn Treebank, 3-layer LSTM, 200 epochs, lr x0.1 at 100 and 145 (settings assumed)",
    scale: "paper",
    family: "ptb",
    trainSize: 929589,
    base: {
      model: "lstm-lm",
      modelConfig: { preset: "ptb-lstm3" },
      dataset: "ptb",
      augment: false,
      epochs: 200,
      batchSize: 20,
      testBatchSize: 10,
      bptt: 35,
      clipNorm: 0.25,
      schedule: { milestones: [100, 145], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },

  // CPU scale: real data, minutes on two cores.
  "fmnist-cnn": {
    description: "CPU: Fashion-MNIST, small CNN, 12k training images, 4 epochs, lr x0.1 entering epoch 4",
    scale: "cpu",
    family: "cifar",
    trainSize: 12000,
    base: {
      model: "fmnist-cnn",
      dataset: "fashion-mnist",
      trainLimit: 12000,
      testLimit: 2000,
      augment: false,
      epochs: 4,
      batchSize: 64,
      testBatchSize: 500,
      schedule: { milestones: [3], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },
  "cifar10-resnet20": {
    description: "CPU: CIFAR-10 (JPEG copy), ResNet-20, 5k training images, 8 epochs, lr x0.1 at 5 and 7, augmentation",
    scale: "cpu",
    family: "cifar",
    trainSize: 5000,
    base: {
      model: "resnet20",
      dataset: "cifar10",
      trainLimit: 5000,
      testLimit: 1000,
      augment: true,
      epochs: 8,
      batchSize: 128,
      testBatchSize: 250,
      schedule: { milestones: [5, 7], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },
  "ptb-lstm-small": {
    description: "CPU: Penn Treebank, small 2-layer LSTM, first 200k training tokens, 4 epochs, lr x0.1 at epoch 3",
    scale: "cpu",
    family: "ptb",
    trainSize: 200000,
    base: {
      model: "lstm-lm",
      modelConfig: { preset: "ptb-lstm-small" },
      dataset: "ptb",
      trainLimit: 200000,
      testLimit: 20000,
      augment: false,
      epochs: 4,
      batchSize: 20,
      testBatchSize: 10,
      bptt: 35,
      clipNorm: 0.25,
      schedule: { milestones: [3], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },

  // Smoke: seconds, for CI and notebook smoke runs.
  "fmnist-cnn-smoke": {
    description: "Smoke: Fashion-MNIST, small CNN, 256 images, 2 epochs",
    scale: "smoke",
    family: "cifar",
    trainSize: 256,
    base: {
      model: "fmnist-cnn",
      dataset: "fashion-mnist",
      trainLimit: 256,
      testLimit: 200,
      augment: false,
      epochs: 2,
      batchSize: 64,
      testBatchSize: 100,
      schedule: { milestones: [1], gamma: 0.1 },
      trainMetrics: "epoch-average",
    },
  },
  "cifar10-resnet20-smoke": {
    description: "Smoke: CIFAR-10 (JPEG copy), ResNet-20, 100 images, 1 epoch",
    scale: "smoke",
    family: "cifar",
    trainSize: 100,
    base: {
      model: "resnet20",
      dataset: "cifar10",
      trainLimit: 100,
      testLimit: 50,
      augment: true,
      epochs: 1,
      batchSize: 50,
      testBatchSize: 50,
      trainMetrics: "epoch-average",
    },
  },
  "ptb-lstm-smoke": {
    description: "Smoke: Penn Treebank, small LSTM, 5k tokens, 1 epoch",
    scale: "smoke",
    family: "ptb",
    trainSize: 5000,
    base: {
      model: "lstm-lm",
      modelConfig: { preset: "ptb-lstm-small" },
      dataset: "ptb",
      trainLimit: 5000,
      testLimit: 2000,
      augment: false,
      epochs: 1,
      batchSize: 10,
      testBatchSize: 10,
      bptt: 20,
      clipNorm: 0.25,
      trainMetrics: "epoch-average",
    },
  },
} satisfies Record<string, Preset>);

export const PRESET_NAMES = Object.keys(PRESETS);

/** True when `name` is one of the presets (never for names of Object's own properties). */
export function isPresetName(name: string): boolean {
  return Object.hasOwn(PRESETS, name);
}

/**
 * The full config of a preset for one optimizer: the preset's base, the family's optimizer
 * settings, then `overrides` (for example `{ epochs: 3 }` or `{ optimizerOptions: { partial: 0.25 } }`,
 * which is merged into the optimizer settings).
 */
export function presetConfig(
  name: string,
  optimizer: OptimizerName,
  overrides: Partial<Omit<ExperimentConfig, "optimizer">> = {},
): ExperimentConfig {
  const preset = isPresetName(name) ? PRESETS[name] : undefined;
  if (preset === undefined) {
    throw new Error(`unknown preset ${JSON.stringify(name)}; known presets: ${PRESET_NAMES.join(", ")}`);
  }
  const { optimizerOptions, ...rest } = overrides;
  const limit = rest.trainLimit ?? preset.base.trainLimit;
  const scale = {
    batchSize: rest.batchSize,
    epochs: rest.epochs,
    trainSize: limit ? Math.min(limit, preset.trainSize) : preset.trainSize,
  };
  return {
    preset: name,
    ...preset.base,
    optimizer,
    optimizerOptions: { ...optimizerSettings(preset, optimizer, scale), ...(optimizerOptions ?? {}) },
    seed: 0,
    ...rest,
  };
}
