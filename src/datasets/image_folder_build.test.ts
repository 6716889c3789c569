import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeImage, loadImageFolder } from "./image_folder";
import { buildImageFolder, encodePng, ensureImageFolder, pngDataUrl } from "./image_folder_build";

/** A source folder like the CIFAR-10 JPEG copy: train/ and test/, classes of 32x32 PNGs with a class-specific colour. */
function makeSource(dir: string, classes: string[], perClass: number): void {
  for (const split of ["train", "test"]) {
    classes.forEach((c, k) => {
      fs.mkdirSync(path.join(dir, split, c), { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const data = new Uint8Array(32 * 32 * 3).fill(40 * k + i);
        fs.writeFileSync(path.join(dir, split, c, `${String(i).padStart(4, "0")}.png`), encodePng(data, 32, 32));
      }
    });
  }
}

describe("buildImageFolder", () => {
  test("writes ImageNet's layout with varied sizes that the image-folder loader reads back", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "imagenet-folder-"));
    try {
      makeSource(path.join(tmp, "src"), ["cat", "dog", "emu"], 4);
      const built = buildImageFolder({
        root: path.join(tmp, "out"),
        source: path.join(tmp, "src"),
        classes: ["cat", "emu"],
        trainPerClass: 3,
        valPerClass: 2,
        minSide: 20,
        maxSide: 50,
        seed: 7,
      });
      assert.deepEqual(built.counts, { train: 6, val: 4 });
      assert.deepEqual(fs.readdirSync(path.join(tmp, "out")).sort(), ["train", "val"]);
      assert.deepEqual(fs.readdirSync(path.join(tmp, "out", "val")).sort(), ["cat", "emu"]);
      for (const [h, w] of built.sizes)
        assert.ok(h >= 20 && h <= 50 && w >= 20 && w <= 50, `${h}x${w} within [20, 50]`);
      assert.ok(new Set(built.sizes.map((s) => s.join("x"))).size > 1, "sizes vary");
      const first = decodeImage(new Uint8Array(fs.readFileSync(path.join(tmp, "out", "train", "emu", "0000.png"))));
      assert.equal(first.data[0], 80, "pixel values survive the resize (flat colour of class 2, image 0)");
      const set = await loadImageFolder(path.join(tmp, "out"), "train", { imageSize: 24, cache: false });
      assert.equal(set.count, 6);
      assert.deepEqual([set.height, set.width], [24, 24]);
      assert.deepEqual(Array.from(set.labels), [0, 0, 0, 1, 1, 1]);
      // Same seed, same sizes.
      const again = buildImageFolder({
        root: path.join(tmp, "out2"),
        source: path.join(tmp, "src"),
        classes: ["cat", "emu"],
        trainPerClass: 3,
        valPerClass: 2,
        minSide: 20,
        maxSide: 50,
        seed: 7,
      });
      assert.deepEqual(again.sizes, built.sizes);
      // ensureImageFolder builds once, then reuses; other options are an error.
      const opts = {
        root: path.join(tmp, "ens"),
        source: path.join(tmp, "src"),
        trainPerClass: 2,
        valPerClass: 1,
        seed: 3,
      };
      const e1 = ensureImageFolder(opts);
      const e2 = ensureImageFolder(opts);
      assert.deepEqual([e1.reused, e2.reused], [false, true]);
      assert.deepEqual(e2.sizes, e1.sizes);
      assert.deepEqual(e1.classes, ["cat", "dog", "emu"].slice(0, 3));
      assert.throws(() => ensureImageFolder({ ...opts, seed: 4 }), /was built with/);
      // Nothing is overwritten.
      assert.throws(
        () =>
          buildImageFolder({
            root: path.join(tmp, "out"),
            source: path.join(tmp, "src"),
            trainPerClass: 1,
            valPerClass: 1,
          }),
        /not empty/,
      );
      assert.throws(
        () =>
          buildImageFolder({
            root: path.join(tmp, "x"),
            source: path.join(tmp, "src"),
            trainPerClass: 9,
            valPerClass: 1,
          }),
        /has 4 images; 9 requested/,
      );
      assert.throws(
        () =>
          buildImageFolder({
            root: path.join(tmp, "y"),
            source: path.join(tmp, "src"),
            trainPerClass: 0,
            valPerClass: 1,
          }),
        /trainPerClass = 0/,
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("pngDataUrl encodes a decodable PNG", () => {
    const url = pngDataUrl(new Float32Array(2 * 3 * 3).fill(300), 2, 3);
    const img = decodeImage(new Uint8Array(Buffer.from(url.split(",")[1], "base64")));
    assert.deepEqual([img.height, img.width, img.data[0]], [2, 3, 255]);
    assert.throws(() => encodePng(new Uint8Array(5), 2, 2), /expected height·width·3 = 12/);
  });
});
