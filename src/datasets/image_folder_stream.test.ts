/**
 * Streaming image folders: a folder larger than the memory the stream may hold is read batch by
 * batch within that bound, with batches read ahead, and every batch equals the in-memory
 * pipeline's (`readImageFolder` + `imageBatches`) for the same seed and augmentation.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import { imageBatches, openImageFolder, randomCropFlip, readImageFolder, IMAGENET_MEAN, IMAGENET_STD } from "./index";

const SIDE = 16;
const CLASSES = ["ant", "bee", "cow"];
const PER_CLASS = 20;

/** Pixel (y, x, channel k) of image `n` of class `c`: a pattern that differs per image, class, position and channel. */
const pixel = (c: number, n: number, y: number, x: number, k: number) =>
  (c * 71 + n * 13 + y * 7 + x * 3 + k * 50) % 256;

/** 3 classes x 20 PNG images of 16x16: 46,080 bytes decoded. */
function makeFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "padam-stream-"));
  CLASSES.forEach((name, c) => {
    fs.mkdirSync(path.join(root, "train", name), { recursive: true });
    for (let n = 0; n < PER_CLASS; n++) {
      const png = new PNG({ width: SIDE, height: SIDE });
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const o = 4 * (y * SIDE + x);
          for (let k = 0; k < 3; k++) png.data[o + k] = pixel(c, n, y, x, k);
          png.data[o + 3] = 255;
        }
      }
      fs.writeFileSync(path.join(root, "train", name, `${String(n).padStart(2, "0")}.png`), PNG.sync.write(png));
    }
  });
  return root;
}

describe("streaming image folders", () => {
  const root = makeFolder();
  const decodedTotal = CLASSES.length * PER_CLASS * SIDE * SIDE * 3;
  // Room for one decoded batch of 4 (3,072 bytes) and a few files read ahead: a sixth of the folder.
  const budget = 8192;

  test("pixels and labels as written, in file order, without augmentation", async () => {
    const stream = openImageFolder(root, "train", { maxCachedBytes: budget });
    assert.deepEqual(stream.classNames, CLASSES);
    assert.equal(stream.count, 60);
    const seen: number[] = [];
    for await (const batch of stream.batches({ batchSize: 7 })) {
      for (let i = 0; i < batch.count; i++) {
        const pos = batch.indices[i];
        const [c, n] = [Math.floor(pos / PER_CLASS), pos % PER_CLASS];
        assert.equal(batch.labels[i], c);
        const at = (y: number, x: number, k: number) => batch.x[((i * SIDE + y) * SIDE + x) * 3 + k];
        for (const [y, x, k] of [
          [0, 0, 0],
          [5, 9, 1],
          [15, 15, 2],
        ])
          assert.equal(at(y, x, k), Math.fround(pixel(c, n, y, x, k) / 255), `image ${pos} (${y}, ${x}, ${k})`);
        seen.push(pos);
      }
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 60 }, (_, i) => i),
    );
  });

  test("a folder 5.6 times the allowed bytes streams within them, reads ahead, and equals the in-memory pipeline", async () => {
    assert.ok(decodedTotal > 5 * budget, "the folder is larger than the stream may hold");
    // Read-ahead limited by the budget alone (not by the number of batches).
    const stream = openImageFolder(root, "train", { maxCachedBytes: budget, prefetch: 100 });
    const set = await readImageFolder(root, "train", { cache: false });
    const options = {
      batchSize: 4,
      shuffle: true,
      seed: 3,
      epoch: 1,
      transform: randomCropFlip({ pad: 2, flip: true }),
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    };
    const reference = [...imageBatches(set, options)];
    let b = 0;
    for await (const batch of stream.batches(options)) {
      const { x, y, indices } = reference[b++];
      assert.deepEqual(Array.from(batch.indices), Array.from(indices), `batch ${b}: order`);
      assert.deepEqual(Array.from(batch.labels), Array.from(y.dataSync()), `batch ${b}: labels`);
      assert.deepEqual(batch.x, x.dataSync(), `batch ${b}: pixels`);
      assert.deepEqual([batch.count, batch.height, batch.width, batch.channels], x.shape);
      x.dispose();
      y.dispose();
      assert.ok(stream.stats.peakBytes <= budget, `held ${stream.stats.peakBytes} bytes, allowed ${budget}`);
    }
    assert.equal(b, 15);
    assert.equal(stream.stats.filesRead, 60, "every file read once");
    assert.ok(stream.stats.maxBatchesAhead >= 1, "files of a later batch were read ahead");
    assert.ok(stream.stats.peakBytes > SIDE * SIDE * 3 * 4, "a decoded batch was held");
    assert.equal(stream.stats.heldBytes, 0, "nothing held after the epoch");
  });

  test("a budget below one decoded batch is refused before any file is read", async () => {
    const stream = openImageFolder(root, "train", { maxCachedBytes: 3000 });
    await assert.rejects(
      stream.batches({ batchSize: 4 }).next(),
      /maxCachedBytes 3000 is too small for one batch of 4 images of 16x16x3 \(3072 bytes decoded\)/,
    );
    assert.equal(stream.stats.filesRead, 0);
    assert.throws(() => openImageFolder(root, "train", { prefetch: -1 }), /prefetch must be an integer >= 0, got -1/);
  });
});
