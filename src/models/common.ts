/**
 * Building blocks shared by the model definitions: seeded initialisers that reproduce the
 * PyTorch reference initialisations, PyTorch-style padded convolutions, BatchNorm with
 * PyTorch's constants, and the custom layers some architectures need.
 *
 * Conventions for every model in `src/models/`:
 * - inputs are NHWC float32 images (or int32 token ids for the language model);
 * - outputs are **logits** (no softmax); train with softmax cross-entropy from logits
 *   (`softmaxCrossEntropyFromLogits` in `./losses`);
 * - the same `seed` gives the same initial weights (each weight draws from its own derived
 *   seed, in a fixed build order).
 */
import * as tf from "@tensorflow/tfjs";
// Not through ../backend/index: that registers the wasm backend, a side effect a model must not have.
import { batchNormTraining } from "../backend/kernels/batchnorm_train";

/** A tfjs weight initialiser (the type is not exported under a public name). */
export type Initializer = ReturnType<typeof tf.initializers.varianceScaling>;

/** Fields every model config accepts. */
export interface BaseModelConfig {
  /** Seed for the initial weights (and dropout masks); same seed, same weights. Default 0. */
  seed?: number;
}

/** Image-classifier config fields shared by the CNNs. */
export interface ImageModelConfig extends BaseModelConfig {
  /** Number of output classes (logits). */
  numClasses?: number;
}

/** Throws unless `value` is an integer in [min, max]; the message names the field. */
export function checkInt(field: string, value: number, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws unless `value` is a finite number in [min, max). */
export function checkRange(field: string, value: number, min: number, maxExclusive: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value >= maxExclusive) {
    throw new Error(`${field} must be a number in [${min}, ${maxExclusive}), got ${String(value)}`);
  }
}

/** Throws if `config` has keys outside `allowed` (catches typos such as `numClass`). */
export function checkKeys(model: string, config: object, allowed: readonly string[]): void {
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) {
      throw new Error(`${model}: unknown config key "${key}"; allowed keys: ${allowed.join(", ")}`);
    }
  }
}

/**
 * Largest seed a model (and so a run) accepts. Below 2^32, so the 32-bit streams of
 * src/util/random see distinct seeds too; derived seeds `seed·100003 + i` stay exact integers.
 */
export const MAX_SEED = 2 ** 31 - 1;

/**
 * A stream of seeds derived from one base seed: the i-th weight created gets seed
 * `base·100003 + i`, so builds with the same base seed draw identical weights while every
 * weight draws different numbers (tfjs initialisers given the same seed would repeat
 * the same sequence in every layer).
 */
export class SeedStream {
  private count = 0;
  constructor(readonly base: number) {
    checkInt("seed", base, 0, MAX_SEED);
  }
  next(): number {
    this.count += 1;
    return this.base * 100003 + this.count;
  }
}

/**
 * Initialisers matching the PyTorch references, each drawing from the next derived seed.
 *
 * - `torchDefault`: PyTorch's default for Conv2d/Linear weights, kaiming_uniform with
 *   a = sqrt(5), i.e. U(−b, b) with b = 1/sqrt(fan_in); tfjs varianceScaling(scale 1/3,
 *   fanIn, uniform) has limit sqrt(3·scale/fan_in) = 1/sqrt(fan_in).
 * - `torchBias(fanIn)`: PyTorch's default bias U(−1/sqrt(fan_in), 1/sqrt(fan_in)).
 * - `normal(std)`: N(0, std²), untruncated (tfjs varianceScaling "normal" is truncated, so
 *   the std is computed here instead).
 */
export class Init {
  readonly seeds: SeedStream;
  constructor(seed: number) {
    this.seeds = new SeedStream(seed);
  }
  torchDefault(): Initializer {
    return tf.initializers.varianceScaling({
      scale: 1 / 3,
      mode: "fanIn",
      distribution: "uniform",
      seed: this.seeds.next(),
    });
  }
  torchBias(fanIn: number): Initializer {
    const b = 1 / Math.sqrt(fanIn);
    return tf.initializers.randomUniform({ minval: -b, maxval: b, seed: this.seeds.next() });
  }
  uniform(limit: number): Initializer {
    return tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: this.seeds.next() });
  }
  normal(std: number): Initializer {
    return tf.initializers.randomNormal({ mean: 0, stddev: std, seed: this.seeds.next() });
  }
  zeros(): Initializer {
    return tf.initializers.zeros();
  }
}

/** How a convolution's weights are initialised. */
export type ConvInit =
  | "torch-default" // PyTorch default (kaiming_uniform a = sqrt(5)); bias U(±1/sqrt(fan_in))
  | "he-fan-out" // N(0, 2/(k·k·out)): WRN's init_model and torchvision's kaiming_normal(fan_out); bias 0
  | "he-fan-in"; // N(0, 2/(k·k·in)): kaiming_normal (fan_in), He et al. 2015; bias 0

export interface ConvSpec {
  filters: number;
  kernel: number;
  stride?: number;
  /** Symmetric zero padding on each side, as PyTorch's `padding`. Default 0. */
  pad?: number;
  bias?: boolean;
  init: ConvInit;
  name: string;
}

/**
 * A 2-D convolution with PyTorch's padding semantics. tfjs "same" padding puts the odd
 * pixel at the bottom/right for strided convolutions, which shifts the sampling grid
 * relative to PyTorch's symmetric padding; so symmetric padding is a ZeroPadding2D layer
 * followed by a "valid" convolution unless stride 1 and pad = (k−1)/2, where "same" is
 * identical.
 */
export function conv2d(x: tf.SymbolicTensor, inChannels: number, spec: ConvSpec, init: Init): tf.SymbolicTensor {
  const stride = spec.stride ?? 1;
  const pad = spec.pad ?? 0;
  const useBias = spec.bias ?? false;
  const fanIn = inChannels * spec.kernel * spec.kernel;
  const fanOut = spec.filters * spec.kernel * spec.kernel;
  let kernelInitializer: Initializer;
  let biasInitializer: Initializer | undefined;
  if (spec.init === "torch-default") {
    kernelInitializer = init.torchDefault();
    biasInitializer = useBias ? init.torchBias(fanIn) : undefined;
  } else {
    kernelInitializer = init.normal(Math.sqrt(2 / (spec.init === "he-fan-out" ? fanOut : fanIn)));
    biasInitializer = useBias ? init.zeros() : undefined;
  }
  let padding: "same" | "valid" = "valid";
  let input = x;
  if (pad > 0) {
    if (stride === 1 && spec.kernel % 2 === 1 && pad === (spec.kernel - 1) / 2) {
      padding = "same";
    } else {
      input = tf.layers
        .zeroPadding2d({
          padding: [
            [pad, pad],
            [pad, pad],
          ],
          name: `${spec.name}_pad`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.layers
    .conv2d({
      filters: spec.filters,
      kernelSize: spec.kernel,
      strides: stride,
      padding,
      useBias,
      kernelInitializer,
      biasInitializer,
      name: spec.name,
    })
    .apply(input) as tf.SymbolicTensor;
}

/**
 * BatchNorm over the channel (last) axis as PyTorch's `nn.BatchNorm2d` computes it, γ = 1, β = 0:
 *
 *   training:   y = γ·(x − μ_B)/√(σ²_B + ε) + β   (μ_B, σ²_B: the batch's mean and biased variance
 *               over every axis but the last),
 *               μ̄ ← (1 − m)·μ̄ + m·μ_B,   σ̄² ← (1 − m)·σ̄² + m·σ²_B·M/(M − 1)   (M values per channel)
 *   inference:  y = γ·(x − μ̄)/√(σ̄² + ε) + β
 *
 * with PyTorch's constants ε = 1e-5 and m = 0.1. The moving variance takes the unbiased batch
 * variance, as PyTorch's does (tfjs's own `batchNormalization` layer takes the biased one).
 * Training runs one kernel forward and one backward (`batchNormTraining` in `src/backend`) where
 * the backend has them. The weights are named and ordered as tfjs's layer names them (gamma,
 * beta, moving_mean, moving_variance); the moving statistics are non-trainable weights, which
 * PyTorch keeps as buffers that `parameters()` does not count.
 */
export class TorchBatchNorm extends tf.layers.Layer {
  static className = "PadamTorchBatchNorm";
  readonly momentum: number;
  readonly epsilon: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;
  constructor(args: { momentum?: number; epsilon?: number; name?: string } = {}) {
    super({ name: args.name });
    this.momentum = args.momentum ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-5;
    checkRange("batch-norm momentum", this.momentum, 0, 1);
    if (!(this.epsilon > 0)) throw new Error(`batch-norm epsilon = ${this.epsilon}; a positive number is required`);
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = s[s.length - 1];
    if (c == null) throw new Error(`${this.name}: the channel axis of input shape [${s.join(", ")}] must be known`);
    this.gamma = this.addWeight("gamma", [c], "float32", tf.initializers.ones());
    this.beta = this.addWeight("beta", [c], "float32", tf.initializers.zeros());
    this.movingMean = this.addWeight("moving_mean", [c], "float32", tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight("moving_variance", [c], "float32", tf.initializers.ones(), undefined, false);
    this.built = true;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const gamma = this.gamma!.read() as tf.Tensor1D;
    const beta = this.beta!.read() as tf.Tensor1D;
    if (!kwargs.training) {
      return tf.batchNorm(
        x,
        this.movingMean!.read() as tf.Tensor1D,
        this.movingVariance!.read() as tf.Tensor1D,
        beta,
        gamma,
        this.epsilon,
      );
    }
    const perChannel = x.size / x.shape[x.rank - 1];
    if (perChannel < 2) {
      throw new Error(
        `${this.name}: input shape [${x.shape.join(", ")}] gives ${perChannel} value per channel in training; batch statistics need at least 2`,
      );
    }
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, this.epsilon);
    tf.tidy(() => {
      const m = this.momentum;
      const mv = this.movingMean!;
      const vv = this.movingVariance!;
      mv.write(tf.add(tf.mul(mv.read(), 1 - m), tf.mul(mean, m)));
      vv.write(tf.add(tf.mul(vv.read(), 1 - m), tf.mul(variance, (m * perChannel) / (perChannel - 1))));
    });
    mean.dispose();
    variance.dispose();
    return y;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(TorchBatchNorm);

/** A `TorchBatchNorm` layer (PyTorch's ε = 1e-5 and momentum 0.1) applied to `x`. */
export function batchNorm(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return new TorchBatchNorm({ name }).apply(x) as tf.SymbolicTensor;
}

export function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.activation({ activation: "relu", name }).apply(x) as tf.SymbolicTensor;
}

/** A Linear layer with PyTorch's default initialisation (weights and bias U(±1/sqrt(fan_in))). */
export function torchLinear(
  x: tf.SymbolicTensor,
  inFeatures: number,
  units: number,
  name: string,
  init: Init,
): tf.SymbolicTensor {
  return tf.layers
    .dense({ units, kernelInitializer: init.torchDefault(), biasInitializer: init.torchBias(inFeatures), name })
    .apply(x) as tf.SymbolicTensor;
}

/**
 * He et al. (2016) "option A" identity shortcut for CIFAR ResNets: subsample by taking every
 * `stride`-th pixel (x[:, ::s, ::s, :]) and zero-pad the channel axis, so the shortcut has no
 * parameters.
 */
export class ShortcutA extends tf.layers.Layer {
  static className = "PadamShortcutA";
  readonly stride: number;
  readonly padBefore: number;
  readonly padAfter: number;
  constructor(args: { stride: number; padBefore: number; padAfter: number; name?: string }) {
    super({ name: args.name });
    this.stride = args.stride;
    this.padBefore = args.padBefore;
    this.padAfter = args.padAfter;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const sub = (d: number | null) => (d == null ? null : Math.ceil(d / this.stride));
    const c = s[3] == null ? null : (s[3] as number) + this.padBefore + this.padAfter;
    return [s[0], sub(s[1]), sub(s[2]), c];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const s = this.stride;
      const [n, h, w, c] = x.shape;
      const ho = Math.ceil(h / s);
      const wo = Math.ceil(w / s);
      // x[:, ::s, ::s, :] through reshape + slice: tfjs has no gradient for stridedSlice.
      // Zero rows/columns appended up to a multiple of s are never selected.
      const padded = tf.pad(x, [
        [0, 0],
        [0, ho * s - h],
        [0, wo * s - w],
        [0, 0],
      ]);
      const grouped = tf.reshape(padded, [n * ho, s, wo, s, c]);
      const sub = tf.reshape(tf.slice(grouped, [0, 0, 0, 0, 0], [-1, 1, -1, 1, -1]), [n, ho, wo, c]);
      return tf.pad(sub, [
        [0, 0],
        [0, 0],
        [0, 0],
        [this.padBefore, this.padAfter],
      ]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride, padBefore: this.padBefore, padAfter: this.padAfter };
  }
}
tf.serialization.registerClass(ShortcutA);

/**
 * Dropout whose masks are reproducible: call k (counted per layer since construction) draws
 * its mask from seed `seed·100003 + k`. A fixed seed in tfjs's own Dropout layer would reuse
 * one mask for every batch; leaving it unseeded makes runs irreproducible. `calls` can be
 * read and restored (see `getDropoutState`/`setDropoutState`) so a resumed run draws the
 * same masks as an uninterrupted one. Active only when called with `training: true`.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = "PadamSeededDropout";
  readonly rate: number;
  readonly seed: number;
  calls = 0;
  constructor(args: { rate: number; seed: number; name?: string }) {
    super({ name: args.name });
    checkRange("dropout rate", args.rate, 0, 1);
    this.rate = args.rate;
    this.seed = args.seed;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return x.clone();
    this.calls += 1;
    return tf.dropout(x, this.rate, undefined, this.seed * 100003 + this.calls);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/** Per-layer dropout call counters, keyed by layer name (for checkpoints). */
export function getDropoutState(model: tf.LayersModel): Record<string, number> {
  const state: Record<string, number> = {};
  for (const layer of model.layers) if (layer instanceof SeededDropout) state[layer.name] = layer.calls;
  return state;
}

/** Restores counters saved by `getDropoutState` on a model built with the same config. */
export function setDropoutState(model: tf.LayersModel, state: Record<string, number>): void {
  for (const layer of model.layers) {
    if (layer instanceof SeededDropout) {
      const calls = state[layer.name];
      if (calls === undefined) throw new Error(`setDropoutState: no saved counter for dropout layer "${layer.name}"`);
      layer.calls = calls;
    }
  }
}

/**
 * Number of scalar parameters of a model.
 *
 * `trainableOnly: true` (default) counts what PyTorch's `sum(p.numel() for p in
 * model.parameters())` counts for the same network, except for the documented structural
 * differences (LSTM bias: tfjs has one 4H vector per layer, PyTorch two). `false` also
 * counts non-trainable weights (BatchNorm moving mean and variance: 2 per channel).
 */
export function countParams(model: tf.LayersModel, opts: { trainableOnly?: boolean } = {}): number {
  const weights = (opts.trainableOnly ?? true) ? model.trainableWeights : model.weights;
  let total = 0;
  for (const w of weights) total += w.shape.reduce((a: number, b) => a * (b as number), 1);
  return total;
}
