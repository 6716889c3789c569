/**
 * The compute cost of a network (multiply-accumulates per image, counted from its layers) and
 * the training-time estimate of a protocol under a stated throughput assumption (notebooks 04
 * and 05: what the paper's ImageNet protocol, 1,281,167 images for 100 epochs, would cost).
 */
import type * as tf from "@tensorflow/tfjs";

export interface ModelCost {
  /** Trainable parameters. */
  params: number;
  /** Multiply-accumulates of one forward pass of one input (convolutions and dense layers). */
  macs: number;
  /** MACs by layer class ("Conv2D", "Dense"). */
  byType: Record<string, number>;
}

/**
 * Forward multiply-accumulates of one Conv2D or Dense layer per input: kernel elements
 * (kh·kw·c_in·c_out or in·out) times output positions (H_out·W_out, or 1, or seqLen); undefined
 * for any other layer.
 */
export function layerMacs(layer: tf.layers.Layer): number | undefined {
  const cls = layer.getClassName();
  if (cls !== "Conv2D" && cls !== "Dense") return undefined;
  const kernel = layer.getWeights()[0];
  const out = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as (number | null)[];
  const positions = out.slice(1, -1).reduce<number>((a, d) => a * (d ?? 1), 1);
  return positions * kernel.shape.reduce((a, d) => a * d, 1);
}

/**
 * Forward multiply-accumulates per input, counted layer by layer from the built model:
 * Conv2D kh·kw·c_in·c_out per output pixel (H_out·W_out of them), Dense in·out per position
 * (one position for [batch, features], seqLen for [batch, seqLen, features]). BatchNorm,
 * activations, pooling and additions are left out (under 1 % for these networks); recurrent
 * layers are not counted (the image networks have none).
 */
export function modelCost(model: tf.LayersModel): ModelCost {
  const byType: Record<string, number> = {};
  let macs = 0;
  for (const layer of model.layers) {
    const m = layerMacs(layer);
    if (m === undefined) continue;
    const cls = layer.getClassName();
    byType[cls] = (byType[cls] ?? 0) + m;
    macs += m;
  }
  const params = model.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, d) => x * d, 1), 0);
  return { params, macs, byType };
}

/**
 * Where a network changes the shape of its activations: one row per convolution, pooling,
 * flatten or dense layer whose output shape differs from the previous row's (the stem, each
 * downsampling stage, the head), with the output shape without the batch axis.
 */
export function stageShapes(model: tf.LayersModel): { layer: string; type: string; output: string }[] {
  const kinds = ["Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Flatten", "Dense"];
  const rows: { layer: string; type: string; output: string }[] = [];
  let previous = "";
  for (const layer of model.layers) {
    const type = layer.getClassName();
    if (!kinds.includes(type)) continue;
    const out = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as (number | null)[];
    const shape = out.slice(1).join("x");
    if (shape === previous) continue;
    rows.push({ layer: layer.name, type, output: shape });
    previous = shape;
  }
  return rows;
}

export interface TrainingTimeAssumption {
  /** Forward MACs per image. */
  macsPerImage: number;
  trainImages: number;
  evalImages: number;
  epochs: number;
  /** Sustained throughput in TFLOP/s actually achieved (not the data-sheet peak). */
  effectiveTflops: number;
}

/**
 * Training time from FLOPs: a forward pass costs 2·MACs FLOPs; a training step about 3× the
 * forward (backward ≈ 2× forward, the usual rule of thumb); evaluation one forward per image
 * each epoch. seconds = epochs·(3·trainImages + evalImages)·2·MACs / (effectiveTflops·10¹²).
 * Data loading is assumed to keep up (it must be overlapped with compute to get there).
 */
export function trainingTimeEstimate(a: TrainingTimeAssumption): { flops: number; seconds: number; hours: number } {
  for (const [k, v] of Object.entries(a)) {
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0))
      throw new Error(`trainingTimeEstimate: ${k} = ${v} is invalid; allowed: a number > 0`);
  }
  const flops = a.epochs * (3 * a.trainImages + a.evalImages) * 2 * a.macsPerImage;
  const seconds = flops / (a.effectiveTflops * 1e12);
  return { flops, seconds, hours: seconds / 3600 };
}
