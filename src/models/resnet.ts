/**
 * Residual networks: the paper's CIFAR ResNet-18, the small CIFAR ResNet-20 for CPU-scale
 * runs, and the ImageNet ResNet-18. All use post-activation BasicBlocks
 * (conv-BN-ReLU-conv-BN, add shortcut, ReLU). Outputs are logits.
 *
 * References: He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition",
 * arXiv:1512.03385 (CVPR 2016).
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
  ShortcutA,
  torchLinear,
} from "./common";

type Shortcut = "projection" | "zero-pad";

/**
 * One BasicBlock. On a change of shape the shortcut is either a 1x1 strided conv + BN
 * ("projection", option B) or parameter-free subsampling with zero channels ("zero-pad",
 * option A of He et al. for CIFAR).
 */
function basicBlock(
  x: tf.SymbolicTensor,
  inC: number,
  outC: number,
  stride: number,
  name: string,
  shortcut: Shortcut,
  convInit: ConvInit,
  init: Init,
): tf.SymbolicTensor {
  let y = conv2d(x, inC, { filters: outC, kernel: 3, stride, pad: 1, init: convInit, name: `${name}_conv1` }, init);
  y = batchNorm(y, `${name}_bn1`);
  y = relu(y, `${name}_relu1`);
  y = conv2d(y, outC, { filters: outC, kernel: 3, pad: 1, init: convInit, name: `${name}_conv2` }, init);
  y = batchNorm(y, `${name}_bn2`);
  let s = x;
  if (stride !== 1 || inC !== outC) {
    if (shortcut === "projection") {
      s = conv2d(x, inC, { filters: outC, kernel: 1, stride, init: convInit, name: `${name}_short_conv` }, init);
      s = batchNorm(s, `${name}_short_bn`);
    } else {
      const extra = outC - inC;
      s = new ShortcutA({
        stride,
        padBefore: Math.floor(extra / 2),
        padAfter: extra - Math.floor(extra / 2),
        name: `${name}_short`,
      }).apply(x) as tf.SymbolicTensor;
    }
  }
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, s]) as tf.SymbolicTensor;
  return relu(sum, `${name}_out`);
}

/** Stacks stages of BasicBlocks; returns the output and its channel count. */
function stages(
  x: tf.SymbolicTensor,
  inC: number,
  widths: number[],
  strides: number[],
  blocksPerStage: number,
  shortcut: Shortcut,
  convInit: ConvInit,
  init: Init,
): [tf.SymbolicTensor, number] {
  let c = inC;
  widths.forEach((w, i) => {
    for (let b = 0; b < blocksPerStage; b++) {
      x = basicBlock(x, c, w, b === 0 ? strides[i] : 1, `stage${i + 1}_block${b + 1}`, shortcut, convInit, init);
      c = w;
    }
  });
  return [x, c];
}

/** Config of the CIFAR ResNets. */
export interface CifarResNetConfig extends ImageModelConfig {
  /** Default 10 (CIFAR-10). */
  numClasses?: number;
}

/**
 * CIFAR ResNet-18, exactly `uclaml/Padam` `models/resnet.py` `ResNet18()` (the common
 * "kuangliu" network): stem conv3x3(64, stride 1, no bias) + BN + ReLU, no max-pool;
 * 4 stages x 2 BasicBlocks, widths 64/128/256/512, strides 1/2/2/2; 1x1 conv + BN
 * projection on shape change; 4x4 average pool (= global at 32x32 input); Linear(512 →
 * numClasses). PyTorch default initialisation.
 * Parameters (10 classes): 11,173,962 trainable, plus 9,600 BN moving statistics.
 * Input 32x32x3 (any size works because of the global pool; 32 is the reference).
 */
export function cifarResNet18(config: CifarResNetConfig = {}): tf.LayersModel {
  checkKeys("resnet18", config, ["numClasses", "seed"]);
  const numClasses = config.numClasses ?? 10;
  checkInt("numClasses", numClasses, 1, 100000);
  const init = new Init(config.seed ?? 0);
  const input = tf.input({ shape: [32, 32, 3], name: "image" });
  let x = conv2d(input, 3, { filters: 64, kernel: 3, pad: 1, init: "torch-default", name: "stem_conv" }, init);
  x = relu(batchNorm(x, "stem_bn"), "stem_relu");
  const [y, c] = stages(x, 64, [64, 128, 256, 512], [1, 2, 2, 2], 2, "projection", "torch-default", init);
  const pooled = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(y) as tf.SymbolicTensor;
  const logits = torchLinear(pooled, c, numClasses, "linear", init);
  return tf.model({ inputs: input, outputs: logits, name: "resnet18" });
}

/**
 * CIFAR ResNet-20 of He et al. (2016, §4.2): stem conv3x3(16) + BN + ReLU; 3 stages of
 * n = 3 BasicBlocks, widths 16/32/64, strides 1/2/2; parameter-free option-A shortcuts
 * (subsample and zero-pad channels); global average pool; Linear(64 → numClasses).
 * Init: conv weights kaiming_normal (fan_in) as in He et al. 2015; Linear PyTorch default.
 * Parameters (10 classes): 269,722 trainable (the paper's "0.27M"), plus 1,376 BN moving
 * statistics. Input 32x32x3.
 */
export function resnet20(config: CifarResNetConfig = {}): tf.LayersModel {
  checkKeys("resnet20", config, ["numClasses", "seed"]);
  const numClasses = config.numClasses ?? 10;
  checkInt("numClasses", numClasses, 1, 100000);
  const init = new Init(config.seed ?? 0);
  const input = tf.input({ shape: [32, 32, 3], name: "image" });
  let x = conv2d(input, 3, { filters: 16, kernel: 3, pad: 1, init: "he-fan-in", name: "stem_conv" }, init);
  x = relu(batchNorm(x, "stem_bn"), "stem_relu");
  const [y, c] = stages(x, 16, [16, 32, 64], [1, 2, 2], 3, "zero-pad", "he-fan-in", init);
  const pooled = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(y) as tf.SymbolicTensor;
  const logits = torchLinear(pooled, c, numClasses, "linear", init);
  return tf.model({ inputs: input, outputs: logits, name: "resnet20" });
}

/** Config of the ImageNet ResNet-18. */
export interface ImagenetResNetConfig extends ImageModelConfig {
  /** Default 1000. */
  numClasses?: number;
  /** Square input side, a multiple of 32. Default 224. */
  inputSize?: number;
}

/**
 * ImageNet ResNet-18 in torchvision's layout: stem conv7x7(64, stride 2, pad 3) + BN +
 * ReLU + max-pool 3x3 (stride 2, pad 1); 4 stages x 2 BasicBlocks, widths 64/128/256/512,
 * strides 1/2/2/2, 1x1 conv + BN projections; global average pool; Linear(512 →
 * numClasses). Init: conv kaiming_normal(fan_out), BN 1/0, Linear PyTorch default.
 * Parameters at 1000 classes: 11,689,512 trainable (independent of inputSize).
 */
export function imagenetResNet18(config: ImagenetResNetConfig = {}): tf.LayersModel {
  checkKeys("imagenet-resnet18", config, ["numClasses", "seed", "inputSize"]);
  const numClasses = config.numClasses ?? 1000;
  const inputSize = config.inputSize ?? 224;
  checkInt("numClasses", numClasses, 1, 100000);
  checkInt("inputSize", inputSize, 32, 4096);
  if (inputSize % 32 !== 0) throw new Error(`inputSize must be a multiple of 32, got ${inputSize}`);
  const init = new Init(config.seed ?? 0);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: "image" });
  let x = conv2d(input, 3, { filters: 64, kernel: 7, stride: 2, pad: 3, init: "he-fan-out", name: "stem_conv" }, init);
  x = relu(batchNorm(x, "stem_bn"), "stem_relu");
  // Zero padding equals PyTorch's −inf padding here: inputs are ReLU outputs (≥ 0).
  x = tf.layers
    .zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: "stem_pool_pad",
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .maxPooling2d({ poolSize: 3, strides: 2, padding: "valid", name: "stem_pool" })
    .apply(x) as tf.SymbolicTensor;
  const [y, c] = stages(x, 64, [64, 128, 256, 512], [1, 2, 2, 2], 2, "projection", "he-fan-out", init);
  const pooled = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(y) as tf.SymbolicTensor;
  const logits = torchLinear(pooled, c, numClasses, "fc", init);
  return tf.model({ inputs: input, outputs: logits, name: "imagenet_resnet18" });
}

/** Config of the CIFAR Wide-ResNet. */
export interface WideResNetConfig extends ImageModelConfig {
  /** Default 10. */
  numClasses?: number;
  /** Depth; blocks per stage n = floor((depth − 2)/6) as in the reference. Default 16. */
  depth?: number;
  /** Width multiplier k. Default 4. */
  widen?: number;
}

/**
 * Wide-ResNet-16-4 exactly as `uclaml/Padam` `models/wideresnet.py`
 * `WResNet_cifar10(depth=16, multiplier=4)`: stem conv3x3(16k) + BN + ReLU; 3 stages of
 * n = floor((depth−2)/6) (2 for depth 16) post-activation BasicBlocks, widths 16k/32k/64k (64/128/256 for k = 4),
 * strides 1/2/2; 1x1 conv + BN projection on shape change; no dropout; 8x8 average pool
 * (= global at 32x32); Linear(64k → numClasses). Init: conv N(0, 2/(k·k·out_channels)),
 * BN 1/0, Linear PyTorch default. Unlike Zagoruyko & Komodakis's pre-activation WRN.
 * Parameters (16-4, 10 classes): 2,777,674 trainable, plus 4,480 BN moving statistics.
 */
export function wideResNet(config: WideResNetConfig = {}): tf.LayersModel {
  checkKeys("wrn16-4", config, ["numClasses", "seed", "depth", "widen"]);
  const numClasses = config.numClasses ?? 10;
  const depth = config.depth ?? 16;
  const widen = config.widen ?? 4;
  checkInt("numClasses", numClasses, 1, 100000);
  checkInt("depth", depth, 8, 1000);
  checkInt("widen", widen, 1, 64);
  // The reference computes n = int((depth − 2)/6), truncating: depth 16 gives 2 blocks per stage.
  const n = Math.floor((depth - 2) / 6);
  const init = new Init(config.seed ?? 0);
  const input = tf.input({ shape: [32, 32, 3], name: "image" });
  let x = conv2d(input, 3, { filters: 16 * widen, kernel: 3, pad: 1, init: "he-fan-out", name: "stem_conv" }, init);
  x = relu(batchNorm(x, "stem_bn"), "stem_relu");
  const [y, c] = stages(
    x,
    16 * widen,
    [16 * widen, 32 * widen, 64 * widen],
    [1, 2, 2],
    n,
    "projection",
    "he-fan-out",
    init,
  );
  const pooled = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(y) as tf.SymbolicTensor;
  const logits = torchLinear(pooled, c, numClasses, "fc", init);
  return tf.model({ inputs: input, outputs: logits, name: `wrn${depth}_${widen}` });
}
