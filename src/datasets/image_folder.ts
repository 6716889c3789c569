/**
 * Image-folder data sets: `<root>/<split>/<class>/<image>` with JPEG or PNG files (ImageNet's
 * layout after extraction, and the CIFAR-10 JPEG copy). Class ids follow the sorted class
 * folder names unless `classNames` fixes them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { ImageSet } from "./types";
import { cached, CacheOptions } from "./cache";
import { mixSeed, normalize, resizeBilinear, seededRandom, type Rng } from "./augment";
import { numBatches, shuffledIndices, type BatchOptions } from "./batches";

/** A decoded RGB image, uint8 HWC. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes JPEG (jpeg-js) or PNG (pngjs) bytes to RGB, by magic number (PNG 89 50 4E 47,
 * JPEG FF D8). Grey and alpha channels are converted (grey replicated, alpha dropped).
 * Throws naming `what` for other or damaged data.
 */
export function decodeImage(bytes: Uint8Array, what = "image"): RgbImage {
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    } else if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
    } else {
      throw new Error("not a JPEG (FF D8) or PNG (89 50 4E 47) file");
    }
  } catch (e) {
    throw new Error(`${what}: cannot decode image (${(e as Error).message})`, { cause: e });
  }
  if (rgba.length !== width * height * 4)
    throw new Error(`${what}: decoded ${rgba.length} bytes for ${width}x${height} RGBA (truncated image)`);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[3 * p] = rgba[4 * p];
    data[3 * p + 1] = rgba[4 * p + 1];
    data[3 * p + 2] = rgba[4 * p + 2];
  }
  return { width, height, data };
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;

export interface ImageFolderOptions extends CacheOptions {
  /** Class-balanced deterministic subset: the first ⌈limit/K⌉ or ⌊limit/K⌋ files (by name) of each class. */
  limit?: number;
  /** Fixed class list (ids = positions); default: sorted folder names of the split. */
  classNames?: string[];
  /** Resize every image to size x size (bilinear) when loading; needed when sizes differ (ImageNet). */
  imageSize?: number;
  /** Require this [height, width] (error naming the file otherwise). */
  expectSize?: [number, number];
  /** Called after each decoded image (progress display). */
  onProgress?: (done: number, total: number) => void;
}

/** Lists `<root>/<split>/<class>/*` image files per class, names sorted; throws if the split folder is missing. */
export function listImageFolder(
  root: string,
  split: string,
  classNames?: string[],
): { classNames: string[]; files: string[][] } {
  const dir = path.join(root, split);
  if (!fs.existsSync(dir))
    throw new Error(`image folder ${dir}: missing (expected ${root}/${split}/<class>/*.jpg|png)`);
  const found = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const classes = classNames ?? found;
  for (const c of classes) {
    if (!found.includes(c))
      throw new Error(`image folder ${dir}: class folder "${c}" missing (found: ${found.join(", ") || "none"})`);
  }
  const files = classes.map((c) =>
    fs
      .readdirSync(path.join(dir, c))
      .filter((f) => IMAGE_EXT.test(f))
      .sort()
      .map((f) => path.join(dir, c, f)),
  );
  return { classNames: classes, files };
}

/**
 * Loads `<root>/<split>/<class>/*.jpg|png` into a uint8 NHWC ImageSet (class-major order),
 * decoding only the `limit` subset when given; cached.
 */
export async function loadImageFolder(root: string, split: string, opts: ImageFolderOptions = {}): Promise<ImageSet> {
  return readImageFolder(root, split, opts);
}

export async function readImageFolder(root: string, split: string, opts: ImageFolderOptions = {}): Promise<ImageSet> {
  const { classNames, chosen } = chooseFiles(root, split, opts);
  const key = {
    kind: "image-folder",
    source: path.join(root, split),
    split,
    limit: opts.limit ?? null,
    imageSize: opts.imageSize ?? null,
    classNames,
    n: chosen.length,
  };
  return cached(key, opts, () => {
    let h = 0;
    let w = 0;
    let images = new Uint8Array(0);
    const labels = new Int32Array(chosen.length);
    chosen.forEach(({ file, label }, i) => {
      const img = decodeSized(fs.readFileSync(file), file, opts.imageSize);
      if (i === 0) {
        h = img.height;
        w = img.width;
        images = new Uint8Array(chosen.length * h * w * 3);
      }
      if (opts.expectSize && (img.height !== opts.expectSize[0] || img.width !== opts.expectSize[1])) {
        throw new Error(
          `${file}: image is ${img.width}x${img.height}, expected ${opts.expectSize[1]}x${opts.expectSize[0]}`,
        );
      }
      assertSize(img, h, w, file);
      images.set(img.data, i * h * w * 3);
      labels[i] = label;
      opts.onProgress?.(i + 1, chosen.length);
    });
    return { images, labels, count: chosen.length, height: h, width: w, channels: 3, classNames };
  });
}

/** The files a load reads, class-major, with their labels: the whole split, or the balanced `limit` subset. */
function chooseFiles(
  root: string,
  split: string,
  opts: Pick<ImageFolderOptions, "limit" | "imageSize" | "classNames">,
): { classNames: string[]; chosen: { file: string; label: number }[] } {
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1))
    throw new Error(`limit must be a positive integer, got ${String(opts.limit)}`);
  if (opts.imageSize !== undefined && (!Number.isInteger(opts.imageSize) || opts.imageSize < 1))
    throw new Error(`imageSize must be a positive integer, got ${String(opts.imageSize)}`);
  const { classNames, files } = listImageFolder(root, split, opts.classNames);
  const k = classNames.length;
  const chosen: { file: string; label: number }[] = [];
  files.forEach((list, c) => {
    const quota = opts.limit === undefined ? list.length : Math.floor(opts.limit / k) + (c < opts.limit % k ? 1 : 0);
    for (const f of list.slice(0, quota)) chosen.push({ file: f, label: c });
  });
  if (chosen.length === 0) throw new Error(`image folder ${path.join(root, split)}: no .jpg/.jpeg/.png files found`);
  return { classNames, chosen };
}

/** Decodes a file's bytes, resized to size x size (bilinear) when `size` is given and differs. */
function decodeSized(bytes: Uint8Array, file: string, size: number | undefined): RgbImage {
  const img = decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  if (size === undefined || (img.width === size && img.height === size)) return img;
  return { width: size, height: size, data: resizeBilinear(img.data, img.height, img.width, 3, size, size) };
}

function assertSize(img: RgbImage, h: number, w: number, file: string): void {
  if (img.height !== h || img.width !== w) {
    throw new Error(
      `${file}: image is ${img.width}x${img.height} but earlier images are ${w}x${h}; pass imageSize to resize on load`,
    );
  }
}

/** Options of {@link openImageFolder}. */
export interface ImageStreamOptions extends Pick<ImageFolderOptions, "limit" | "classNames" | "imageSize"> {
  /**
   * Most bytes the stream holds at once: file bytes read ahead plus the decoded (and resized)
   * pixels of the batch being assembled. Default 256 MiB.
   */
  maxCachedBytes?: number;
  /** Batches whose files are read ahead, asynchronously, while the current one is used. Default 2. */
  prefetch?: number;
}

/** One streamed batch: normalized float pixels `[count, height, width, channels]` and labels. */
export interface StreamBatch {
  x: Float32Array;
  labels: Int32Array;
  /** Positions of the batch's images in the stream (class-major file order). */
  indices: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** What a stream has held: its peak and current bytes (see `maxCachedBytes`), files read, batches read ahead at most. */
export interface StreamStats {
  heldBytes: number;
  peakBytes: number;
  filesRead: number;
  maxBatchesAhead: number;
}

const DEFAULT_STREAM_BYTES = 256 * 2 ** 20;

/**
 * An image folder read from disk batch by batch instead of held in memory (ImageNet's training
 * split decodes to about 250 GB at 256x256). Each epoch's batches are exactly those of
 * `imageBatches` over the loaded set (same seeded order, augmentation and normalisation), so a
 * run's numbers do not depend on which of the two reads its data. Files of the next `prefetch`
 * batches are read asynchronously while the current batch is used, as far as `maxCachedBytes`
 * allows; decoding, resizing and augmentation run on the calling thread when a batch is taken.
 */
export class ImageFolderStream {
  readonly stats: StreamStats = { heldBytes: 0, peakBytes: 0, filesRead: 0, maxBatchesAhead: 0 };

  constructor(
    readonly files: string[],
    readonly labels: Int32Array,
    readonly classNames: string[],
    readonly height: number,
    readonly width: number,
    private readonly opts: { imageSize?: number; maxCachedBytes: number; prefetch: number },
  ) {}

  readonly channels = 3;

  /** The bound on the bytes this stream holds (see {@link ImageStreamOptions.maxCachedBytes}). */
  get maxCachedBytes(): number {
    return this.opts.maxCachedBytes;
  }

  get count(): number {
    return this.files.length;
  }

  /**
   * The stream over the images at `positions` (in that order), e.g. the two parts of a
   * hold-out split; nothing is read. It has its own `stats` and the same memory bound.
   */
  subset(positions: ArrayLike<number>): ImageFolderStream {
    for (const i of Array.from(positions)) {
      if (!Number.isInteger(i) || i < 0 || i >= this.count)
        throw new Error(`subset: position ${i} is outside [0, ${this.count - 1}]`);
    }
    return new ImageFolderStream(
      Array.from(positions, (i) => this.files[i]),
      Int32Array.from(positions, (i) => this.labels[i]),
      this.classNames,
      this.height,
      this.width,
      this.opts,
    );
  }

  /** The batches of one epoch (options as `imageBatches`, without tensors). */
  async *batches(opts: Omit<BatchOptions, "dropLast"> & { dropLast?: boolean }): AsyncGenerator<StreamBatch> {
    const { batchSize } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${String(batchSize)}`);
    const decodedBatch = batchSize * this.height * this.width * this.channels;
    if (decodedBatch > this.opts.maxCachedBytes) {
      throw new Error(
        `maxCachedBytes ${this.opts.maxCachedBytes} is too small for one batch of ${batchSize} images of ${this.width}x${this.height}x3 (${decodedBatch} bytes decoded); allowed: at least ${decodedBatch}, or a smaller batch`,
      );
    }
    const seed = opts.seed ?? 0;
    const epoch = opts.epoch ?? 0;
    const order = opts.shuffle
      ? shuffledIndices(this.count, seed, epoch)
      : Int32Array.from({ length: this.count }, (_, i) => i);
    const rng = seededRandom(mixSeed(seed, epoch, 2));
    const n = numBatches(this.count, batchSize, opts.dropLast);
    const batchOf = (b: number) => order.subarray(b * batchSize, Math.min(this.count, (b + 1) * batchSize));
    const reads = new Map<number, { bytes: number; files: Promise<Buffer[]> }>();
    try {
      for (let b = 0; b < n; b++) {
        this.readAhead(b, n, batchOf, reads, decodedBatch);
        const read = reads.get(b)!;
        const buffers = await read.files;
        reads.delete(b);
        yield this.assemble(batchOf(b), buffers, read.bytes, rng, opts);
      }
    } finally {
      // An epoch left early drops what it read ahead.
      for (const read of reads.values()) this.stats.heldBytes -= read.bytes;
    }
  }

  /** Starts reading batch `b` (always) and the next `prefetch` batches (while they fit in the budget beside one decoded batch). */
  private readAhead(
    b: number,
    n: number,
    batchOf: (b: number) => Int32Array,
    reads: Map<number, { bytes: number; files: Promise<Buffer[]> }>,
    decodedBatch: number,
  ): void {
    for (let a = b; a < Math.min(n, b + 1 + this.opts.prefetch); a++) {
      if (reads.has(a)) continue;
      const files = [...batchOf(a)].map((i) => this.files[i]);
      const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
      // The current batch is always read; a batch ahead only when it leaves room to decode one batch.
      if (a > b && this.stats.heldBytes + bytes + decodedBatch > this.opts.maxCachedBytes) break;
      if (a === b && this.stats.heldBytes + bytes + decodedBatch > this.opts.maxCachedBytes) {
        throw new Error(
          `maxCachedBytes ${this.opts.maxCachedBytes} is too small: batch ${b} has ${bytes} bytes of files and ${decodedBatch} decoded; allowed: at least ${bytes + decodedBatch}`,
        );
      }
      this.hold(bytes);
      reads.set(a, { bytes, files: Promise.all(files.map((f) => fs.promises.readFile(f))) });
      this.stats.filesRead += files.length;
      this.stats.maxBatchesAhead = Math.max(this.stats.maxBatchesAhead, a - b);
    }
  }

  private hold(bytes: number): void {
    this.stats.heldBytes += bytes;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.heldBytes);
  }

  /** Decodes, resizes, augments and normalises one batch, as `imageBatches` does for a loaded set. */
  private assemble(
    indices: Int32Array,
    buffers: Buffer[],
    fileBytes: number,
    rng: Rng,
    opts: BatchOptions,
  ): StreamBatch {
    const { height: h, width: w, channels: c } = this;
    const decoded = indices.length * h * w * c;
    this.hold(decoded);
    const pixels = new Uint8Array(decoded);
    buffers.forEach((buf, i) => {
      const img = decodeSized(buf, this.files[indices[i]], this.opts.imageSize);
      assertSize(img, h, w, this.files[indices[i]]);
      pixels.set(img.data, i * h * w * c);
    });
    this.stats.heldBytes -= fileBytes; // the file bytes are decoded; only the pixels are held now
    const set: ImageSet = {
      images: pixels,
      labels: Int32Array.from(indices, (i) => this.labels[i]),
      count: indices.length,
      height: h,
      width: w,
      channels: c,
      classNames: this.classNames,
    };
    const { x, outH, outW } = transformBatch(set, rng, opts);
    this.stats.heldBytes -= decoded;
    return {
      x,
      labels: set.labels,
      indices: Int32Array.from(indices),
      count: indices.length,
      height: outH,
      width: outW,
      channels: c,
    };
  }
}

/** Augments (in order, drawing from `rng`) and normalises every image of `set`, as `imageBatches` does per batch. */
function transformBatch(set: ImageSet, rng: Rng, opts: BatchOptions): { x: Float32Array; outH: number; outW: number } {
  const { height: h, width: w, channels: c } = set;
  const per = h * w * c;
  let outH = h;
  let outW = w;
  const pieces: Float32Array[] = [];
  for (let i = 0; i < set.count; i++) {
    const data = set.images.subarray(i * per, (i + 1) * per);
    if (!opts.transform) {
      pieces.push(Float32Array.from(data));
      continue;
    }
    const t = opts.transform({ data, height: h, width: w, channels: c }, rng);
    [outH, outW] = [t.height, t.width];
    pieces.push(t.data);
  }
  const flat = new Float32Array(set.count * outH * outW * c);
  pieces.forEach((p, i) => flat.set(p, i * outH * outW * c));
  return { x: normalize(flat, c, opts.mean, opts.std), outH, outW };
}

/**
 * Opens `<root>/<split>/<class>/*.jpg|png` for streaming ({@link ImageFolderStream}): lists the
 * files (the same balanced `limit` subset and class ids as {@link loadImageFolder}) and learns
 * the image size (`imageSize`, else the first image's); nothing else is read.
 */
export function openImageFolder(root: string, split: string, opts: ImageStreamOptions = {}): ImageFolderStream {
  const maxCachedBytes = opts.maxCachedBytes ?? DEFAULT_STREAM_BYTES;
  const prefetch = opts.prefetch ?? 2;
  if (!(Number.isInteger(maxCachedBytes) && maxCachedBytes >= 1))
    throw new Error(`maxCachedBytes must be a positive integer, got ${String(opts.maxCachedBytes)}`);
  if (!(Number.isInteger(prefetch) && prefetch >= 0))
    throw new Error(`prefetch must be an integer >= 0, got ${String(opts.prefetch)}`);
  const { classNames, chosen } = chooseFiles(root, split, opts);
  const first =
    opts.imageSize === undefined ? decodeSized(fs.readFileSync(chosen[0].file), chosen[0].file, undefined) : undefined;
  const [h, w] = first ? [first.height, first.width] : [opts.imageSize!, opts.imageSize!];
  const labels = Int32Array.from(chosen, (c) => c.label);
  return new ImageFolderStream(
    chosen.map((c) => c.file),
    labels,
    classNames,
    h,
    w,
    { imageSize: opts.imageSize, maxCachedBytes, prefetch },
  );
}
