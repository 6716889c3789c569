/**
 * ImageNet's layout at workbook scale (notebook 05-imagenet): a small image folder
 * (`<root>/<split>/<class>/*.png`, images of varied sizes) built from the CIFAR-10 JPEG copy, and
 * PNG encoding for showing images in a report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PNG } from "pngjs";
import { decodeImage, listImageFolder } from "./image_folder";
import { resizeBilinear } from "./augment";
import { locateDataset } from "./manifest";
import { seededRandom } from "../util/random";

export interface ImageFolderBuildOptions {
  /** Where to write `<root>/train|val/<class>/*.png`; must not exist or be empty. */
  root: string;
  /** Source image folder with `train/` and `test/` (default: the CIFAR-10 JPEG copy in a data root). */
  source?: string;
  /** Classes to take (default: the first 4 class folders, sorted). */
  classes?: string[];
  trainPerClass: number;
  valPerClass: number;
  /** Side lengths are drawn uniformly from [minSide, maxSide] for height and width separately, so
   * images have different sizes and aspect ratios as in ImageNet (default 40 and 72). */
  minSide?: number;
  maxSide?: number;
  seed?: number;
}

export interface ImageFolderBuild {
  root: string;
  source: string;
  classes: string[];
  counts: { train: number; val: number };
  /** [height, width] of every written image, in writing order. */
  sizes: [number, number][];
}

/** A small deterministic generator for the image sizes. */
const rng = seededRandom;

/** RGB uint8 HWC → PNG bytes. */
export function encodePng(data: Uint8Array, height: number, width: number): Buffer {
  if (data.length !== height * width * 3)
    throw new Error(`encodePng: data has ${data.length} bytes; expected height·width·3 = ${height * width * 3}`);
  const png = new PNG({ width, height });
  for (let p = 0; p < height * width; p++) {
    png.data[4 * p] = data[3 * p];
    png.data[4 * p + 1] = data[3 * p + 1];
    png.data[4 * p + 2] = data[3 * p + 2];
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** An HTML `<img>` data URL of an RGB image (for showing pipeline stages in a notebook). */
export function pngDataUrl(data: Uint8Array | Float32Array, height: number, width: number): string {
  const bytes =
    data instanceof Uint8Array ? data : Uint8Array.from(data, (v) => Math.max(0, Math.min(255, Math.round(v))));
  return `data:image/png;base64,${encodePng(bytes, height, width).toString("base64")}`;
}

/**
 * Writes a small image folder in ImageNet's layout (`<root>/train/<class>/*.png`,
 * `<root>/val/<class>/*.png`) from the CIFAR-10 JPEG copy (train images → train, test → val),
 * each image resized (bilinear) to a random height and width so that the loader's
 * resize-on-load and the crops have work to do. Deterministic for a seed. Refuses to write into
 * a non-empty `root` (nothing is overwritten).
 */
export function buildImageFolder(opts: ImageFolderBuildOptions): ImageFolderBuild {
  const minSide = opts.minSide ?? 40;
  const maxSide = opts.maxSide ?? 72;
  for (const [k, v] of [
    ["trainPerClass", opts.trainPerClass],
    ["valPerClass", opts.valPerClass],
    ["minSide", minSide],
    ["maxSide", maxSide],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`buildImageFolder: ${k} = ${v} is invalid; allowed: an integer >= 1`);
  }
  if (maxSide < minSide)
    throw new Error(
      `buildImageFolder: maxSide = ${maxSide} is below minSide = ${minSide}; allowed: maxSide >= minSide`,
    );
  if (fs.existsSync(opts.root) && fs.readdirSync(opts.root).length > 0) {
    throw new Error(
      `buildImageFolder: root ${opts.root} exists and is not empty; allowed: a new or empty folder (nothing is overwritten)`,
    );
  }
  const source = opts.source ?? locateDataset("cifar10-jpeg");
  if (!source)
    throw new Error(
      "buildImageFolder: no source given and the CIFAR-10 JPEG copy (cifar10-jpeg/) was not found in the data roots (PADAM_DATA, data/); add the folder holding cifar10-jpeg/ to PADAM_DATA or pass source",
    );
  const trainList = listImageFolder(source, "train", opts.classes);
  const classes = opts.classes ?? trainList.classNames.slice(0, 4);
  const splits = [
    { from: "train", to: "train", per: opts.trainPerClass },
    { from: "test", to: "val", per: opts.valPerClass },
  ];
  const draw = rng(opts.seed ?? 0);
  const side = () => minSide + Math.floor(draw() * (maxSide - minSide + 1));
  const sizes: [number, number][] = [];
  const counts = { train: 0, val: 0 };
  for (const split of splits) {
    const listed = listImageFolder(source, split.from, classes);
    listed.files.forEach((files, c) => {
      if (files.length < split.per)
        throw new Error(
          `buildImageFolder: ${source}/${split.from}/${classes[c]} has ${files.length} images; ${split.per} requested`,
        );
      const dir = path.join(opts.root, split.to, classes[c]);
      fs.mkdirSync(dir, { recursive: true });
      for (const file of files.slice(0, split.per)) {
        const img = decodeImage(new Uint8Array(fs.readFileSync(file)), file);
        const [h, w] = [side(), side()];
        const out = resizeBilinear(img.data, img.height, img.width, 3, h, w);
        fs.writeFileSync(path.join(dir, path.basename(file).replace(/\.[^.]+$/, ".png")), encodePng(out, h, w));
        sizes.push([h, w]);
        counts[split.to as "train" | "val"]++;
      }
    });
  }
  return { root: opts.root, source, classes, counts, sizes };
}

/**
 * The folder `opts` describe: built by {@link buildImageFolder} on first use, reused afterwards.
 * A `build.json` beside `train/` and `val/` records the options; a folder built with other
 * options (or without the record) is an error rather than silently reused or overwritten.
 */
export function ensureImageFolder(opts: ImageFolderBuildOptions): ImageFolderBuild & { reused: boolean } {
  const record = path.join(opts.root, "build.json");
  const wanted = {
    source: opts.source ?? locateDataset("cifar10-jpeg") ?? null,
    classes: opts.classes ?? null,
    trainPerClass: opts.trainPerClass,
    valPerClass: opts.valPerClass,
    minSide: opts.minSide ?? 40,
    maxSide: opts.maxSide ?? 72,
    seed: opts.seed ?? 0,
  };
  if (fs.existsSync(record)) {
    const saved = JSON.parse(fs.readFileSync(record, "utf8")) as { options: typeof wanted; build: ImageFolderBuild };
    if (JSON.stringify(saved.options) !== JSON.stringify(wanted)) {
      throw new Error(
        `ensureImageFolder: ${opts.root} was built with ${JSON.stringify(saved.options)}, not ${JSON.stringify(wanted)}; use another root or delete that folder`,
      );
    }
    return { ...saved.build, reused: true };
  }
  const build = buildImageFolder(opts);
  fs.writeFileSync(record, JSON.stringify({ options: wanted, build }) + "\n");
  return { ...build, reused: false };
}
