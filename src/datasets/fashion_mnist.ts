/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747) in the idx format of MNIST.
 *
 * idx layout (big-endian): bytes 0–1 zero, byte 2 the element type (0x08 = unsigned byte),
 * byte 3 the number of dimensions d, then d uint32 sizes, then the data. Images: magic
 * 0x00000803, dims [N, 28, 28]; labels: 0x00000801, dims [N].
 */
import * as zlib from "node:zlib";
import { DataDirOptions, isGzip, locateDataset, notFoundError, readVerified } from "./manifest";
import { ImageSet, Split, balancedSubset } from "./types";
import { cached, CacheOptions } from "./cache";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** A parsed idx array of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an idx file of unsigned bytes (gzip-compressed or raw). Pure: no I/O. Throws on a
 * wrong magic number, unsupported element type, or a data length that disagrees with the
 * header (truncated or padded file). `what` names the input in error messages.
 */
export function parseIdx(bytes: Uint8Array, what = "idx data"): IdxArray {
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${what}: gzip data cannot be decompressed (${(e as Error).message})`, { cause: e });
    }
  }
  if (bytes.length < 4) throw new Error(`${what}: ${bytes.length} bytes, too short for an idx header`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(`${what}: bad idx magic number (first two bytes must be 0, got ${bytes[0]}, ${bytes[1]})`);
  if (bytes[2] !== 0x08)
    throw new Error(`${what}: idx element type 0x${bytes[2].toString(16)}, only 0x08 (unsigned byte) is supported`);
  const nd = bytes[3];
  if (nd < 1 || bytes.length < 4 + 4 * nd)
    throw new Error(`${what}: idx header with ${nd} dimensions does not fit in ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(4 + 4 * nd);
  if (data.length !== expected) {
    throw new Error(
      `${what}: idx header says dims [${dims.join(", ")}] = ${expected} bytes of data, found ${data.length} (truncated or corrupt)`,
    );
  }
  return { dims, data };
}

/** Combines parsed image and label idx arrays into an ImageSet (pure). */
export function idxToImageSet(
  images: IdxArray,
  labels: IdxArray,
  classNames: string[] = FASHION_MNIST_CLASSES,
): ImageSet {
  if (images.dims.length !== 3)
    throw new Error(`idx images must have 3 dims [N, H, W], got [${images.dims.join(", ")}]`);
  if (labels.dims.length !== 1) throw new Error(`idx labels must have 1 dim [N], got [${labels.dims.join(", ")}]`);
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`idx images hold ${n} images but labels hold ${labels.dims[0]}`);
  const lab = Int32Array.from(labels.data);
  for (const l of lab)
    if (l >= classNames.length) throw new Error(`idx labels: label ${l} outside [0, ${classNames.length - 1}]`);
  return { images: images.data, labels: lab, count: n, height: h, width: w, channels: 1, classNames };
}

export interface LoadOptions extends DataDirOptions, CacheOptions {
  /** Class-balanced deterministic subset of this many images (see `balancedSubset`). */
  limit?: number;
}

/**
 * Loads a Fashion-MNIST split as uint8 NHWC [N, 28, 28, 1]. Files are found in the data roots
 * or Debian's `/usr/share/datasets/fashion-mnist/`, verified against the manifest checksums
 * (archive md5 or content md5) and cached decoded.
 */
export async function loadFashionMnist(split: Split, opts: LoadOptions = {}): Promise<ImageSet> {
  if (split !== "train" && split !== "test") throw new Error(`split must be "train" or "test", got ${String(split)}`);
  const folder = locateDataset("fashion-mnist", opts);
  if (folder === undefined) throw notFoundError("fashion-mnist", opts);
  const prefix = split === "train" ? "train" : "t10k";
  const set = await cached({ kind: "fashion-mnist", source: folder, split }, opts, () => {
    const images = parseIdx(
      readVerified("fashion-mnist", folder, `${prefix}-images-idx3-ubyte.gz`),
      `${folder}/${prefix}-images-idx3-ubyte`,
    );
    const labels = parseIdx(
      readVerified("fashion-mnist", folder, `${prefix}-labels-idx1-ubyte.gz`),
      `${folder}/${prefix}-labels-idx1-ubyte`,
    );
    return idxToImageSet(images, labels);
  });
  return opts.limit !== undefined ? balancedSubset(set, opts.limit) : set;
}
