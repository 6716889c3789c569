/**
 * An in-memory labelled image set, NHWC. `images` holds raw bytes 0..255 (Uint8Array) as
 * loaded, or floats once normalised; image i occupies
 * `images[i·H·W·C, (i+1)·H·W·C)` in row-major (row, column, channel) order.
 */
export interface ImageSet {
  images: Float32Array | Uint8Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
}

/** Train or test split. */
export type Split = "train" | "test";

/** Checks an ImageSet's internal consistency; throws naming the mismatch. */
export function checkImageSet(set: ImageSet, what = "image set"): void {
  const per = set.height * set.width * set.channels;
  if (set.images.length !== set.count * per) {
    throw new Error(
      `${what}: images has ${set.images.length} values, expected count·H·W·C = ${set.count}·${set.height}·${set.width}·${set.channels} = ${set.count * per}`,
    );
  }
  if (set.labels.length !== set.count)
    throw new Error(`${what}: labels has ${set.labels.length} entries, expected ${set.count}`);
  for (const l of set.labels) {
    if (l < 0 || l >= set.classNames.length)
      throw new Error(`${what}: label ${l} outside [0, ${set.classNames.length - 1}]`);
  }
}

/**
 * A deterministic class-balanced subset: the first ⌊limit/K⌋ images of each of the K classes in
 * stored order, plus one more for the first limit mod K classes (fewer where a class runs out).
 * Order within the result follows the original order. `limit` ≥ count returns the set itself.
 */
export function balancedSubset(set: ImageSet, limit: number): ImageSet {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${String(limit)}`);
  if (limit >= set.count) return set;
  const k = set.classNames.length;
  const quota = Array.from({ length: k }, (_, c) => Math.floor(limit / k) + (c < limit % k ? 1 : 0));
  const keep: number[] = [];
  for (let i = 0; i < set.count; i++) {
    const c = set.labels[i];
    if (quota[c] > 0) {
      quota[c] -= 1;
      keep.push(i);
    }
  }
  return select(set, keep);
}

/** The examples of `set` at `indices`, in that order. */
function select(set: ImageSet, indices: number[]): ImageSet {
  const per = set.height * set.width * set.channels;
  const images =
    set.images instanceof Uint8Array ? new Uint8Array(indices.length * per) : new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, dst) => {
    images.set(set.images.subarray(src * per, (src + 1) * per), dst * per);
    labels[dst] = set.labels[src];
  });
  return { ...set, images, labels, count: indices.length };
}

/**
 * Which of `labels` a hold-out of `count` examples takes: the last ⌊count/K⌋ examples of each of
 * the K classes in stored order, plus one more for the first count mod K classes. Deterministic
 * (no seed), so every run holds out the same examples; needs the labels only, so a streamed
 * set is split without reading its images.
 */
export function heldOutMask(labels: Int32Array, numClasses: number, count: number): Uint8Array {
  if (!Number.isInteger(count) || count < 1 || count >= labels.length) {
    throw new Error(
      `hold-out count must be an integer in [1, ${labels.length - 1}] for a set of ${labels.length}, got ${String(count)}`,
    );
  }
  const quota = Array.from(
    { length: numClasses },
    (_, c) => Math.floor(count / numClasses) + (c < count % numClasses ? 1 : 0),
  );
  const isHeld = new Uint8Array(labels.length);
  for (let i = labels.length - 1; i >= 0; i--) {
    const c = labels[i];
    if (quota[c] > 0) {
      quota[c] -= 1;
      isHeld[i] = 1;
    }
  }
  return isHeld;
}

/** Positions where `mask` equals `flag`, ascending. */
export function positionsOf(mask: Uint8Array, flag: 0 | 1): number[] {
  return [...mask.keys()].filter((i) => mask[i] === flag);
}

/**
 * Splits `set` into a training part and the held-out part {@link heldOutMask} chooses, both in
 * stored order.
 */
export function holdOut(set: ImageSet, count: number): { train: ImageSet; held: ImageSet } {
  const isHeld = heldOutMask(set.labels, set.classNames.length, count);
  return { train: select(set, positionsOf(isHeld, 0)), held: select(set, positionsOf(isHeld, 1)) };
}
