/**
 * VGG-16 for CIFAR (the paper's CIFAR network) and for ImageNet (torchvision layout).
 *
 * References: Simonyan & Zisserman, arXiv:1409.1556; CIFAR variant as in `uclaml/Padam`
 * `models/vgg.py` (see `docs/paper-notes.md` §3.3); ImageNet variant as torchvision's
 * `vgg16_bn` / `vgg16`. Outputs are logits.
 */
import * as tf from "@tensorflow/tfjs";
import {
  batchNorm,
  checkInt,
  checkKeys,
  conv2d,
  ConvInit,
  ImageModelConfig,
  Init,
  relu,
  SeededDropout,
  torchLinear,
} from "./common";

/** VGG-16 feature configuration: output channels of each 3x3 conv, "M" = 2x2 max-pool. */
export const VGG16_FEATURES: ReadonlyArray<number | "M"> = [
  64,
  64,
  "M",
  128,
  128,
  "M",
  256,
  256,
  256,
  "M",
  512,
  512,
  512,
  "M",
  512,
  512,
  512,
  "M",
];

function features(x: tf.SymbolicTensor, batchNormOn: boolean, convInit: ConvInit, init: Init): tf.SymbolicTensor {
  let inC = 3;
  let conv = 0;
  let pool = 0;
  for (const item of VGG16_FEATURES) {
    if (item === "M") {
      pool += 1;
      x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${pool}` }).apply(x) as tf.SymbolicTensor;
    } else {
      conv += 1;
      // Conv layers keep their bias even before BN, as both references do (it counts as parameters).
      x = conv2d(x, inC, { filters: item, kernel: 3, pad: 1, bias: true, init: convInit, name: `conv${conv}` }, init);
      if (batchNormOn) x = batchNorm(x, `bn${conv}`);
      x = relu(x, `relu${conv}`);
      inC = item;
    }
  }
  return x;
}

/** Config of the CIFAR VGG-16. */
export interface CifarVggConfig extends ImageModelConfig {
  /** Default 10 (CIFAR-10). */
  numClasses?: number;
}

/**
 * CIFAR VGG-16 with BatchNorm, exactly `uclaml/Padam` `models/vgg.py` `VGG('VGG16')`:
 * 13 conv3x3 (pad 1, with bias) + BN + ReLU in the configuration `VGG16_FEATURES`, five
 * 2x2 max-pools (32 → 1), a no-op 1x1 average pool (omitted), flatten to 512, one
 * Linear(512 → numClasses). No dropout. PyTorch default initialisation.
 * Parameters (10 classes): 14,728,266 trainable, plus 8,448 BN moving statistics.
 * Input 32x32x3.
 */
export function cifarVgg16(config: CifarVggConfig = {}): tf.LayersModel {
  checkKeys("vgg16", config, ["numClasses", "seed"]);
  const numClasses = config.numClasses ?? 10;
  checkInt("numClasses", numClasses, 1, 100000);
  const init = new Init(config.seed ?? 0);
  const input = tf.input({ shape: [32, 32, 3], name: "image" });
  let x = features(input, true, "torch-default", init);
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  const logits = torchLinear(x, 512, numClasses, "classifier", init);
  return tf.model({ inputs: input, outputs: logits, name: "vgg16" });
}

/** Config of the ImageNet VGG-16. */
export interface ImagenetVggConfig extends ImageModelConfig {
  /** Default 1000. */
  numClasses?: number;
  /** Square input side, a multiple of 32. Default 224. */
  inputSize?: number;
  /** BatchNorm after each conv (torchvision `vgg16_bn`) or not (`vgg16`). Default true. */
  batchNorm?: boolean;
  /** Dropout rate in the two 4096-wide layers. Default 0.5 (torchvision). */
  dropout?: number;
}

/**
 * ImageNet VGG-16 in torchvision's layout: `VGG16_FEATURES` convs (BN optional), then the
 * classifier Linear(512·s·s → 4096), ReLU, Dropout, Linear(4096 → 4096), ReLU, Dropout,
 * Linear(4096 → numClasses), where s = inputSize/32 (7 at 224). torchvision's adaptive
 * average pool to 7x7 is the identity at 224; at other input sizes this model instead
 * flattens the s x s map, so the first classifier layer changes size (the tests build
 * inputSize 32 for a fast forward/backward pass).
 * Initialisation as torchvision: conv weights kaiming_normal(fan_out), bias 0; BN 1/0;
 * Linear N(0, 0.01²), bias 0.
 * Parameters at 224 and 1000 classes: 138,365,992 with BN (`vgg16_bn`), 138,357,544 without.
 * The paper does not say whether its ImageNet VGG-16 used BN (unverified); BN is the
 * default here because plain VGG-16 trained from scratch with adaptive methods is fragile.
 */
export function imagenetVgg16(config: ImagenetVggConfig = {}): tf.LayersModel {
  checkKeys("imagenet-vgg16", config, ["numClasses", "seed", "inputSize", "batchNorm", "dropout"]);
  const numClasses = config.numClasses ?? 1000;
  const inputSize = config.inputSize ?? 224;
  const dropout = config.dropout ?? 0.5;
  checkInt("numClasses", numClasses, 1, 100000);
  checkInt("inputSize", inputSize, 32, 4096);
  if (inputSize % 32 !== 0) throw new Error(`inputSize must be a multiple of 32, got ${inputSize}`);
  const seed = config.seed ?? 0;
  const init = new Init(seed);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: "image" });
  let x = features(input, config.batchNorm ?? true, "he-fan-out", init);
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  const dense = (units: number, name: string) =>
    tf.layers.dense({ units, kernelInitializer: init.normal(0.01), biasInitializer: "zeros", name });
  x = dense(4096, "fc1").apply(x) as tf.SymbolicTensor;
  x = relu(x, "fc1_relu");
  x = new SeededDropout({ rate: dropout, seed: init.seeds.next(), name: "fc1_dropout" }).apply(x) as tf.SymbolicTensor;
  x = dense(4096, "fc2").apply(x) as tf.SymbolicTensor;
  x = relu(x, "fc2_relu");
  x = new SeededDropout({ rate: dropout, seed: init.seeds.next(), name: "fc2_dropout" }).apply(x) as tf.SymbolicTensor;
  const logits = dense(numClasses, "fc3").apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: "imagenet_vgg16" });
}
