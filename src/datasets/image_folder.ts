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
import { resizeBilinear } from "./augment";

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
    throw new Error(`${what}: cannot decode image (${(e as Error).message})`);
  }
  if (rgba.length !== width * height * 4) throw new Error(`${what}: decoded ${rgba.length} bytes for ${width}x${height} RGBA (truncated image)`);
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
export function listImageFolder(root: string, split: string, classNames?: string[]): { classNames: string[]; files: string[][] } {
  const dir = path.join(root, split);
  if (!fs.existsSync(dir)) throw new Error(`image folder ${dir}: missing (expected ${root}/${split}/<class>/*.jpg|png)`);
  const found = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const classes = classNames ?? found;
  for (const c of classes) {
    if (!found.includes(c)) throw new Error(`image folder ${dir}: class folder "${c}" missing (found: ${found.join(", ") || "none"})`);
  }
  const files = classes.map((c) => fs.readdirSync(path.join(dir, c)).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => path.join(dir, c, f)));
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
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new Error(`limit must be a positive integer, got ${String(opts.limit)}`);
  if (opts.imageSize !== undefined && (!Number.isInteger(opts.imageSize) || opts.imageSize < 1)) throw new Error(`imageSize must be a positive integer, got ${String(opts.imageSize)}`);
  const { classNames, files } = listImageFolder(root, split, opts.classNames);
  const k = classNames.length;
  const chosen: { file: string; label: number }[] = [];
  files.forEach((list, c) => {
    const quota = opts.limit === undefined ? list.length : Math.floor(opts.limit / k) + (c < opts.limit % k ? 1 : 0);
    for (const f of list.slice(0, quota)) chosen.push({ file: f, label: c });
  });
  if (chosen.length === 0) throw new Error(`image folder ${path.join(root, split)}: no .jpg/.jpeg/.png files found`);
  const key = { kind: "image-folder", source: path.join(root, split), split, limit: opts.limit ?? null, imageSize: opts.imageSize ?? null, classNames, n: chosen.length };
  return cached(key, opts, () => {
    let h = 0;
    let w = 0;
    let images = new Uint8Array(0);
    const labels = new Int32Array(chosen.length);
    chosen.forEach(({ file, label }, i) => {
      let img = decodeImage(new Uint8Array(fs.readFileSync(file)), file);
      if (opts.imageSize !== undefined && (img.width !== opts.imageSize || img.height !== opts.imageSize)) {
        img = { width: opts.imageSize, height: opts.imageSize, data: resizeBilinear(img.data, img.height, img.width, 3, opts.imageSize, opts.imageSize) };
      }
      if (i === 0) {
        h = img.height;
        w = img.width;
        images = new Uint8Array(chosen.length * h * w * 3);
      }
      if (opts.expectSize && (img.height !== opts.expectSize[0] || img.width !== opts.expectSize[1])) {
        throw new Error(`${file}: image is ${img.width}x${img.height}, expected ${opts.expectSize[1]}x${opts.expectSize[0]}`);
      }
      if (img.height !== h || img.width !== w) {
        throw new Error(`${file}: image is ${img.width}x${img.height} but earlier images are ${w}x${h}; pass imageSize to resize on load`);
      }
      images.set(img.data, i * h * w * 3);
      labels[i] = label;
      opts.onProgress?.(i + 1, chosen.length);
    });
    return { images, labels, count: chosen.length, height: h, width: w, channels: 3, classNames };
  });
}
