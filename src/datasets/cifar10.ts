/**
 * CIFAR-10 (Krizhevsky 2009): the official binary batches, or an image-folder copy
 * (`cifar10-jpeg/<split>/<class>/*.jpg`).
 *
 * Binary record: 1 label byte, then 3,072 pixel bytes as three 32x32 planes (R, G, B), each
 * row-major. `data_batch_1..5.bin` (train), `test_batch.bin` (test), 10,000 records each.
 */
import * as path from "node:path";
import { DataDirOptions, locateDataset, MANIFEST, notFoundError, readVerified } from "./manifest";
import { ImageSet, Split, balancedSubset } from "./types";
import { cached, CacheOptions } from "./cache";
import { readImageFolder } from "./image_folder";

export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

const RECORD = 1 + 32 * 32 * 3;

/**
 * Parses CIFAR-10 binary records into a uint8 NHWC set (planes CHW → interleaved HWC). Pure.
 * Throws if the length is not a whole number of 3,073-byte records or a label is not 0–9.
 */
export function parseCifar10Binary(bytes: Uint8Array, what = "CIFAR-10 batch"): ImageSet {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(
      `${what}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte records (truncated or corrupt)`,
    );
  }
  const n = bytes.length / RECORD;
  const images = new Uint8Array(n * 3072);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * RECORD;
    const label = bytes[base];
    if (label > 9) throw new Error(`${what}: record ${r} has label ${label}, expected 0–9 (corrupt file)`);
    labels[r] = label;
    const out = r * 3072;
    for (let p = 0; p < 1024; p++) {
      images[out + 3 * p] = bytes[base + 1 + p];
      images[out + 3 * p + 1] = bytes[base + 1 + 1024 + p];
      images[out + 3 * p + 2] = bytes[base + 1 + 2048 + p];
    }
  }
  return { images, labels, count: n, height: 32, width: 32, channels: 3, classNames: CIFAR10_CLASSES };
}

/** Concatenates image sets of equal geometry and classes. */
export function concatImageSets(sets: ImageSet[]): ImageSet {
  const first = sets[0];
  const count = sets.reduce((a, s) => a + s.count, 0);
  const images = new Uint8Array(sets.reduce((a, s) => a + s.images.length, 0));
  const labels = new Int32Array(count);
  let io = 0;
  let lo = 0;
  for (const s of sets) {
    images.set(s.images, io);
    labels.set(s.labels, lo);
    io += s.images.length;
    lo += s.count;
  }
  return { ...first, images, labels, count };
}

export interface CifarLoadOptions extends DataDirOptions, CacheOptions {
  /** Class-balanced deterministic subset of this many images. */
  limit?: number;
  /** Force a source; default: binary batches when found, else the JPEG folder. */
  source?: "binary" | "jpeg";
}

/**
 * Loads a CIFAR-10 split as uint8 NHWC [N, 32, 32, 3]: the official binary batches when found
 * in a data root (`cifar-10-batches-bin/`), else the image-folder copy (`cifar10-jpeg/`).
 * With `limit`, only that many images are decoded from a JPEG folder (the first files of each
 * class in name order). Decoded sets are cached.
 */
export async function loadCifar10(split: Split, opts: CifarLoadOptions = {}): Promise<ImageSet & { source: string }> {
  if (split !== "train" && split !== "test") throw new Error(`split must be "train" or "test", got ${String(split)}`);
  if (opts.source !== undefined && opts.source !== "binary" && opts.source !== "jpeg") {
    throw new Error(`source must be "binary" or "jpeg", got ${String(opts.source)}`);
  }
  const binFolder = opts.source === "jpeg" ? undefined : locateDataset("cifar10", opts);
  if (binFolder !== undefined) {
    const files = split === "train" ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ["test_batch.bin"];
    const set = await cached({ kind: "cifar10-bin", source: binFolder, split }, opts, () =>
      concatImageSets(
        files.map((f) => parseCifar10Binary(readVerified("cifar10", binFolder, f), path.join(binFolder, f))),
      ),
    );
    const sub = opts.limit !== undefined ? balancedSubset(set, opts.limit) : set;
    return { ...sub, source: binFolder };
  }
  if (opts.source === "binary") throw notFoundError("cifar10", opts);
  const jpegRoot = locateDataset("cifar10-jpeg", opts);
  if (jpegRoot === undefined) {
    const e = notFoundError("cifar10", opts);
    throw new Error(
      `${e.message} (Also looked for the JPEG copy: ${MANIFEST["cifar10-jpeg"].folder}/${split}/<class>/*.jpg.)`,
    );
  }
  const set = await readImageFolder(jpegRoot, split, { ...opts, classNames: CIFAR10_CLASSES, expectSize: [32, 32] });
  return { ...set, source: path.join(jpegRoot, split) };
}
