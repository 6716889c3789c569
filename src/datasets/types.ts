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
    throw new Error(`${what}: images has ${set.images.length} values, expected count·H·W·C = ${set.count}·${set.height}·${set.width}·${set.channels} = ${set.count * per}`);
  }
  if (set.labels.length !== set.count) throw new Error(`${what}: labels has ${set.labels.length} entries, expected ${set.count}`);
  for (const l of set.labels) {
    if (l < 0 || l >= set.classNames.length) throw new Error(`${what}: label ${l} outside [0, ${set.classNames.length - 1}]`);
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
  const per = set.height * set.width * set.channels;
  const images = set.images instanceof Uint8Array ? new Uint8Array(keep.length * per) : new Float32Array(keep.length * per);
  const labels = new Int32Array(keep.length);
  keep.forEach((src, dst) => {
    images.set(set.images.subarray(src * per, (src + 1) * per), dst * per);
    labels[dst] = set.labels[src];
  });
  return { ...set, images, labels, count: keep.length };
}
