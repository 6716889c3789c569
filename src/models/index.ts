/**
 * Models of the paper and small models for CPU-scale runs.
 *
 * Every model is a `tf.LayersModel` (so `compile`/`fit`/`save` work with custom optimizers)
 * that outputs **logits**: use `softmaxCrossEntropyFromLogits` (or compile with a loss that
 * applies the softmax itself). Image inputs are NHWC float32; the language model takes int32
 * token ids [batch, seqLen] and returns [batch, seqLen, vocab] logits.
 *
 * ```ts
 * const model = buildModel("resnet20", { seed: 1 });
 * const lm = buildModel("lstm-lm", { ...LSTM_PRESETS["ptb-lstm-small"], seed: 1 });
 * countParams(model); // 269722
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { CifarVggConfig, cifarVgg16, ImagenetVggConfig, imagenetVgg16 } from "./vgg";
import {
  CifarResNetConfig,
  cifarResNet18,
  ImagenetResNetConfig,
  imagenetResNet18,
  resnet20,
  WideResNetConfig,
  wideResNet,
} from "./resnet";
import { FmnistCnnConfig, fmnistCnn } from "./small";
import { LSTM_PRESETS, LstmLmConfig, lstmLm } from "./lstm_lm";
import type { Intersection } from "../util/types";

export * from "./common";
export * from "./vgg";
export * from "./resnet";
export * from "./small";
export * from "./lstm_lm";
export * from "./losses";
export * from "./io";
export * from "./cost";

/** Config type of each registered model. */
export interface ModelConfigs {
  vgg16: CifarVggConfig;
  resnet18: CifarResNetConfig;
  "wrn16-4": WideResNetConfig;
  "imagenet-resnet18": ImagenetResNetConfig;
  "imagenet-vgg16": ImagenetVggConfig;
  "lstm-lm": Partial<LstmLmConfig>;
  "fmnist-cnn": FmnistCnnConfig;
  resnet20: CifarResNetConfig;
}

export type ModelName = keyof ModelConfigs;

/** Every field of every registered model's config, with its type (the model is not known yet). */
export type AnyModelConfig = Intersection<ModelConfigs[ModelName]>;

/** What the registry knows about a model. */
export interface ModelInfo<C> {
  /** One line for `--help` and tables. */
  description: string;
  /** "image": NHWC float input, [batch, classes] logits; "language": token ids in, [batch, seqLen, vocab] logits out. */
  kind: "image" | "language";
  /** Input shape without the batch axis, for the default config. */
  inputShape: number[];
  /** Whether the paper uses this network (false: CPU-scale extra). */
  paper: boolean;
  build: (config: C) => tf.LayersModel;
}

/** Registry of all models, keyed by name. */
export const MODELS: { [K in ModelName]: ModelInfo<ModelConfigs[K]> } = {
  vgg16: {
    description: "CIFAR VGG-16 with BatchNorm (uclaml/Padam models/vgg.py), 14.73M params",
    kind: "image",
    inputShape: [32, 32, 3],
    paper: true,
    build: cifarVgg16,
  },
  resnet18: {
    description: "CIFAR ResNet-18 (uclaml/Padam models/resnet.py), 11.17M params",
    kind: "image",
    inputShape: [32, 32, 3],
    paper: true,
    build: cifarResNet18,
  },
  "wrn16-4": {
    description: "CIFAR Wide-ResNet-16-4, post-activation (uclaml/Padam models/wideresnet.py), 2.78M params",
    kind: "image",
    inputShape: [32, 32, 3],
    paper: true,
    build: wideResNet,
  },
  "imagenet-resnet18": {
    description: "ImageNet ResNet-18 (torchvision layout), 224x224, 11.69M params",
    kind: "image",
    inputShape: [224, 224, 3],
    paper: true,
    build: imagenetResNet18,
  },
  "imagenet-vgg16": {
    description: "ImageNet VGG-16 with BatchNorm (torchvision vgg16_bn layout), 224x224, 138.37M params",
    kind: "image",
    inputShape: [224, 224, 3],
    paper: true,
    build: imagenetVgg16,
  },
  "lstm-lm": {
    description: "LSTM language model (presets ptb-lstm2, ptb-lstm3, ptb-lstm-small; default ptb-lstm-small)",
    kind: "language",
    inputShape: [LSTM_PRESETS["ptb-lstm-small"].seqLen],
    paper: true,
    // Missing fields come from the small preset, so {numLayers: 3} or {} are valid; the model is
    // stateful only when the given config itself sets batchSize (pass a whole preset for that).
    build: (config) => lstmLm({ ...LSTM_PRESETS["ptb-lstm-small"], batchSize: undefined, ...config }),
  },
  "fmnist-cnn": {
    description: "Small Fashion-MNIST CNN (the benchmark's fmnist-cnn), 28x28x1, 225k params",
    kind: "image",
    inputShape: [28, 28, 1],
    paper: false,
    build: fmnistCnn,
  },
  resnet20: {
    description: "CIFAR ResNet-20 (He et al. 2016, option-A shortcuts), 0.27M params",
    kind: "image",
    inputShape: [32, 32, 3],
    paper: false,
    build: resnet20,
  },
};

/** All registered model names. */
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

/**
 * Builds a registered model. Throws on an unknown name (listing the known ones) or an
 * invalid config, before creating any weights.
 */
export function buildModel<K extends ModelName>(name: K, config?: ModelConfigs[K]): tf.LayersModel {
  const info = (MODELS as Record<string, ModelInfo<ModelConfigs[K]> | undefined>)[name];
  if (info === undefined) {
    throw new Error(`unknown model "${String(name)}"; known models: ${MODEL_NAMES.join(", ")}`);
  }
  return info.build((config ?? {}) as ModelConfigs[K]);
}
