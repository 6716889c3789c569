/**
 * Mini-batches of an in-memory image set: seeded shuffle per epoch, optional seeded
 * augmentation, normalisation, tensors out.
 */
import * as tf from "@tensorflow/tfjs";
import { ImageSet } from "./types";
import { ImageTransform, mixSeed, normalize, seededRandom } from "./augment";

export interface BatchOptions {
  batchSize: number;
  /** Reshuffle every epoch (training). Default false. */
  shuffle?: boolean;
  /** Seed of the shuffle and augmentation streams. Default 0. */
  seed?: number;
  /** Epoch number (0-based): with the seed it fixes the order and augmentation of this epoch. */
  epoch?: number;
  /** Per-image augmentation (e.g. `randomCropFlip()`), applied before normalisation. */
  transform?: ImageTransform;
  /** Per-channel mean/std of x/255; omitted: x/255 only. */
  mean?: number[];
  std?: number[];
  /** Drop a last incomplete batch. Default false (PyTorch DataLoader default). */
  dropLast?: boolean;
}

/** Number of batches per epoch. */
export function numBatches(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * Fisher–Yates permutation of 0..n−1 from the stream (seed, epoch): the same pair always
 * gives the same order, independent of earlier epochs (so a resumed run matches).
 */
export function shuffledIndices(n: number, seed: number, epoch: number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const rng = seededRandom(mixSeed(seed, epoch, 1));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng() * (i + 1)));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/**
 * Yields `{ x: [b, H', W', C] float32, y: [b] int32, indices }` batches over one epoch. The
 * caller owns (and must dispose) the tensors. Augmentation draws from the stream
 * (seed, epoch, 2) in batch order, so it is reproducible too.
 */
export function* imageBatches(
  set: ImageSet,
  opts: BatchOptions,
): Generator<{ x: tf.Tensor4D; y: tf.Tensor1D; indices: Int32Array }> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${String(batchSize)}`);
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  const order = opts.shuffle
    ? shuffledIndices(set.count, seed, epoch)
    : Int32Array.from({ length: set.count }, (_, i) => i);
  const rng = seededRandom(mixSeed(seed, epoch, 2));
  const { height: h, width: w, channels: c } = set;
  const per = h * w * c;
  const n = numBatches(set.count, batchSize, opts.dropLast);
  for (let b = 0; b < n; b++) {
    const indices = order.subarray(b * batchSize, Math.min(set.count, (b + 1) * batchSize));
    const labels = new Int32Array(indices.length);
    let outH = h;
    let outW = w;
    const pieces: Float32Array[] = [];
    indices.forEach((src, i) => {
      labels[i] = set.labels[src];
      const data = set.images.subarray(src * per, (src + 1) * per);
      if (opts.transform) {
        const t = opts.transform({ data, height: h, width: w, channels: c }, rng);
        outH = t.height;
        outW = t.width;
        pieces.push(t.data);
      } else {
        pieces.push(Float32Array.from(data));
      }
    });
    const flat = new Float32Array(indices.length * outH * outW * c);
    pieces.forEach((p, i) => flat.set(p, i * outH * outW * c));
    const x = tf.tensor4d(normalize(flat, c, opts.mean, opts.std), [indices.length, outH, outW, c]);
    yield { x, y: tf.tensor1d(labels, "int32"), indices: Int32Array.from(indices) };
  }
}
