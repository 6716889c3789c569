/**
 * Seeded data augmentation in plain typed arrays (no tfjs), so the same seed gives the same
 * pixels on every backend. Images are HWC; transforms work on raw pixel values (0–255) and
 * `normalize` comes last, as in the reference pipeline (torchvision: RandomCrop(32,
 * padding=4) and RandomHorizontalFlip on the PIL image, then ToTensor, then Normalize), so
 * padded pixels are black (0) before normalisation.
 */

/** CIFAR-10 per-channel mean and std used by the official Padam scripts (docs/paper-notes.md §3.2). */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465];
export const CIFAR10_STD = [0.2023, 0.1994, 0.201];
/** ImageNet mean and std (torchvision convention). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
/** Fashion-MNIST training-set pixel mean and std (of x/255; measured on the 60k training images). */
export const FASHION_MNIST_MEAN = [0.286];
export const FASHION_MNIST_STD = [0.353];

export { mixSeed, randInt, seededRandom, type Rng } from "../util/random";
import { randInt, type Rng } from "../util/random";

/** An image and its geometry. */
export interface Image {
  data: Float32Array | Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** A per-image transform; returns float data (still in pixel units). */
export type ImageTransform = (img: Image, rng: Rng) => { data: Float32Array; height: number; width: number };

/**
 * Crop `outH x outW` at (top, left) of the image zero-padded by `pad` on every side, optionally
 * mirrored left-right. (top, left) range over [0, 2·pad] for a same-size output.
 */
export function padCropFlip(
  img: Image,
  pad: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
  flip: boolean,
): Float32Array {
  const { data, height: h, width: w, channels: c } = img;
  const out = new Float32Array(outH * outW * c);
  for (let y = 0; y < outH; y++) {
    const sy = y + top - pad;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < outW; x++) {
      const sx = (flip ? outW - 1 - x : x) + left - pad;
      if (sx < 0 || sx >= w) continue;
      for (let k = 0; k < c; k++) out[(y * outW + x) * c + k] = data[(sy * w + sx) * c + k];
    }
  }
  return out;
}

/**
 * The paper's CIFAR training augmentation: random crop of the original size from the image
 * zero-padded by `pad` (4) pixels, then a horizontal flip with probability 1/2.
 */
export function randomCropFlip(opts: { pad?: number; flip?: boolean } = {}): ImageTransform {
  const pad = opts.pad ?? 4;
  const flipOn = opts.flip ?? true;
  return (img, rng) => {
    const top = randInt(rng, 2 * pad + 1);
    const left = randInt(rng, 2 * pad + 1);
    const flip = flipOn && rng() < 0.5;
    return {
      data: padCropFlip(img, pad, top, left, img.height, img.width, flip),
      height: img.height,
      width: img.width,
    };
  };
}

/**
 * Bilinear resize with half-pixel centres (PyTorch `align_corners=False`, no antialiasing):
 * source coordinate (y + 0.5)·H/outH − 0.5, clamped to the image. Uint8 input gives rounded
 * Uint8 output, float input float output.
 */
export function resizeBilinear<T extends Float32Array | Uint8Array>(
  src: T,
  h: number,
  w: number,
  c: number,
  outH: number,
  outW: number,
): T {
  const out = (src instanceof Uint8Array ? new Uint8Array(outH * outW * c) : new Float32Array(outH * outW * c)) as T;
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      for (let k = 0; k < c; k++) {
        const v =
          (1 - dy) * ((1 - dx) * src[(y0 * w + x0) * c + k] + dx * src[(y0 * w + x1) * c + k]) +
          dy * ((1 - dx) * src[(y1 * w + x0) * c + k] + dx * src[(y1 * w + x1) * c + k]);
        out[(y * outW + x) * c + k] = src instanceof Uint8Array ? Math.round(v) : v;
      }
    }
  }
  return out;
}

/** Crops the rectangle [top, top+ch) x [left, left+cw) and resizes it to size x size. */
function cropResize(img: Image, top: number, left: number, ch: number, cw: number, size: number): Float32Array {
  const { data, width: w, channels: c } = img;
  const crop = new Float32Array(ch * cw * c);
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++)
      for (let k = 0; k < c; k++) crop[(y * cw + x) * c + k] = data[((top + y) * w + left + x) * c + k];
  return resizeBilinear(crop, ch, cw, c, size, size);
}

/**
 * ImageNet training augmentation (torchvision RandomResizedCrop + RandomHorizontalFlip): a
 * crop of area fraction in `scale` (0.08–1) and aspect ratio in `ratio` (3/4–4/3, sampled
 * log-uniformly), up to 10 tries, else the central crop with the ratio clamped; resized to
 * size x size; flipped with probability 1/2.
 */
export function randomResizedCrop(
  size = 224,
  opts: { scale?: [number, number]; ratio?: [number, number]; flip?: boolean } = {},
): ImageTransform {
  const [smin, smax] = opts.scale ?? [0.08, 1];
  const [rmin, rmax] = opts.ratio ?? [3 / 4, 4 / 3];
  return (img, rng) => {
    const { height: h, width: w } = img;
    const area = h * w;
    let box: [number, number, number, number] | undefined;
    for (let attempt = 0; attempt < 10 && !box; attempt++) {
      const target = area * (smin + (smax - smin) * rng());
      const ar = Math.exp(Math.log(rmin) + (Math.log(rmax) - Math.log(rmin)) * rng());
      const cw = Math.round(Math.sqrt(target * ar));
      const ch = Math.round(Math.sqrt(target / ar));
      if (cw > 0 && ch > 0 && cw <= w && ch <= h) box = [randInt(rng, h - ch + 1), randInt(rng, w - cw + 1), ch, cw];
    }
    if (!box) {
      const inRatio = w / h;
      let cw = w;
      let ch = h;
      if (inRatio < rmin) ch = Math.round(w / rmin);
      else if (inRatio > rmax) cw = Math.round(h * rmax);
      box = [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
    }
    let data = cropResize(img, box[0], box[1], box[2], box[3], size);
    if ((opts.flip ?? true) && rng() < 0.5)
      data = padCropFlip({ data, height: size, width: size, channels: img.channels }, 0, 0, 0, size, size, true);
    return { data, height: size, width: size };
  };
}

/**
 * ImageNet evaluation transform (torchvision Resize(256) + CenterCrop(224)): resize so the
 * shorter side is `resize`, then take the central size x size crop. Deterministic.
 */
export function resizeCenterCrop(resize = 256, size = 224): ImageTransform {
  return (img) => {
    const { height: h, width: w, channels: c } = img;
    const scale = resize / Math.min(h, w);
    const rh = Math.max(size, Math.round(h * scale));
    const rw = Math.max(size, Math.round(w * scale));
    const resized = resizeBilinear(Float32Array.from(img.data), h, w, c, rh, rw);
    return {
      data: cropResize(
        { data: resized, height: rh, width: rw, channels: c },
        Math.floor((rh - size) / 2),
        Math.floor((rw - size) / 2),
        size,
        size,
        size,
      ),
      height: size,
      width: size,
    };
  };
}

/**
 * Per-channel normalisation of pixel values: out = (v/255 − mean[k]) / std[k] (ToTensor then
 * Normalize). With no mean/std, scales to [0, 1] only.
 */
export function normalize(
  data: Float32Array | Uint8Array,
  channels: number,
  mean?: number[],
  std?: number[],
): Float32Array {
  if (mean && (mean.length !== channels || !std || std.length !== channels)) {
    throw new Error(`normalize: mean/std need ${channels} values each, got ${mean.length}/${std?.length ?? 0}`);
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const k = i % channels;
    const v = data[i] / 255;
    out[i] = mean && std ? (v - mean[k]) / std[k] : v;
  }
  return out;
}
