import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import * as tf from "@tensorflow/tfjs";
import {
  parseIdx,
  idxToImageSet,
  parseCifar10Binary,
  decodeImage,
  tokenize,
  parsePtb,
  batchify,
  bpttBatches,
  numBpttBatches,
  balancedSubset,
  imageBatches,
  shuffledIndices,
  padCropFlip,
  randomCropFlip,
  randomResizedCrop,
  resizeCenterCrop,
  resizeBilinear,
  normalize,
  seededRandom,
  verifyBytes,
  md5,
  loadFashionMnist,
  loadCifar10,
  loadImageFolder,
  loadPtb,
  dataRoots,
  ImageSet,
  CIFAR10_MEAN,
  CIFAR10_STD,
  type Split,
} from "./index";

/** An idx header: 0, 0, type 0x08, ndims, then big-endian uint32 dims. */
function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** One CIFAR-10 binary record: label, then R, G, B planes (1,024 bytes each). */
function cifarRecord(
  label: number,
  r: (p: number) => number,
  g: (p: number) => number,
  b: (p: number) => number,
): number[] {
  const rec = [label];
  for (const f of [r, g, b]) for (let p = 0; p < 1024; p++) rec.push(f(p));
  return rec;
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "padam-data-test-"));
}

describe("idx (Fashion-MNIST) parser", () => {
  const images = idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const labels = idx([2], [7, 0]);

  test("raw and gzip give the same array; dims and data from the header", () => {
    for (const bytes of [images, new Uint8Array(zlib.gzipSync(images))]) {
      const a = parseIdx(bytes);
      assert.deepEqual(a.dims, [2, 2, 3]);
      assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
    const set = idxToImageSet(parseIdx(images), parseIdx(labels));
    assert.equal(set.count, 2);
    assert.deepEqual([set.height, set.width, set.channels], [2, 3, 1]);
    assert.deepEqual(Array.from(set.labels), [7, 0]);
  });

  test("bad magic, element type, truncation, padding and mismatched counts are rejected", () => {
    const badMagic = images.slice();
    badMagic[0] = 1;
    assert.throws(() => parseIdx(badMagic, "f.idx"), /f\.idx: bad idx magic number/);
    const badType = images.slice();
    badType[2] = 0x0d;
    assert.throws(() => parseIdx(badType, "f.idx"), /element type 0xd, only 0x08/);
    assert.throws(
      () => parseIdx(images.subarray(0, images.length - 1), "f.idx"),
      /f\.idx: .*12 bytes of data, found 11 \(truncated or corrupt\)/,
    );
    assert.throws(() => parseIdx(new Uint8Array([...images, 0]), "f.idx"), /found 13/);
    assert.throws(() => parseIdx(new Uint8Array([0, 0]), "f.idx"), /too short/);
    const gz = new Uint8Array(zlib.gzipSync(images));
    assert.throws(() => parseIdx(gz.subarray(0, gz.length - 10), "f.gz"), /f\.gz: gzip data cannot be decompressed/);
    assert.throws(() => idxToImageSet(parseIdx(images), parseIdx(idx([3], [0, 1, 2]))), /2 images but labels hold 3/);
    assert.throws(() => idxToImageSet(parseIdx(images), parseIdx(idx([2], [0, 10]))), /label 10 outside \[0, 9\]/);
  });
});

describe("CIFAR-10 binary parser", () => {
  test("two hand-built records: planes CHW → interleaved HWC, labels", () => {
    const bytes = new Uint8Array([
      ...cifarRecord(
        3,
        (p) => p % 256,
        () => 100,
        () => 200,
      ),
      ...cifarRecord(
        9,
        () => 1,
        (p) => (p * 7) % 256,
        () => 2,
      ),
    ]);
    const set = parseCifar10Binary(bytes);
    assert.equal(set.count, 2);
    assert.deepEqual(Array.from(set.labels), [3, 9]);
    // Image 0, pixel (row 1, col 2) = p 34: R = 34, G = 100, B = 200.
    const p = 1 * 32 + 2;
    assert.deepEqual(Array.from(set.images.subarray(p * 3, p * 3 + 3)), [34, 100, 200]);
    // Image 1, last pixel p 1023: R = 1, G = 1023·7 mod 256 = 249, B = 2.
    const off = 3072 + 1023 * 3;
    assert.deepEqual(Array.from(set.images.subarray(off, off + 3)), [1, (1023 * 7) % 256, 2]);
  });

  test("truncated or bad-label data is rejected with the file named", () => {
    const rec = new Uint8Array(
      cifarRecord(
        1,
        () => 0,
        () => 0,
        () => 0,
      ),
    );
    assert.throws(
      () => parseCifar10Binary(rec.subarray(0, 3000), "data_batch_1.bin"),
      /data_batch_1\.bin: 3000 bytes is not a whole number of 3073-byte records/,
    );
    const bad = rec.slice();
    bad[0] = 12;
    assert.throws(() => parseCifar10Binary(bad, "b.bin"), /record 0 has label 12/);
  });
});

describe("image decoding and image folders", () => {
  const rgba = (w: number, h: number, f: (x: number, y: number) => [number, number, number]) => {
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
    return data;
  };

  test("PNG decodes exactly; JPEG approximately (lossy); other bytes are refused", () => {
    const px = rgba(3, 2, (x, y) => [x * 50, y * 100, 7]);
    const png = new PNG({ width: 3, height: 2 });
    png.data = Buffer.from(px);
    const dec = decodeImage(new Uint8Array(PNG.sync.write(png)));
    assert.deepEqual([dec.width, dec.height], [3, 2]);
    assert.deepEqual(Array.from(dec.data), [0, 0, 7, 50, 0, 7, 100, 0, 7, 0, 100, 7, 50, 100, 7, 100, 100, 7]);
    const flat = rgba(8, 8, () => [120, 60, 200]);
    const jpg = jpeg.encode({ data: flat, width: 8, height: 8 }, 95).data;
    const dj = decodeImage(new Uint8Array(jpg));
    for (let i = 0; i < dj.data.length; i += 3) {
      assert.ok(
        Math.abs(dj.data[i] - 120) <= 3 && Math.abs(dj.data[i + 1] - 60) <= 3 && Math.abs(dj.data[i + 2] - 200) <= 3,
      );
    }
    assert.throws(() => decodeImage(new Uint8Array([1, 2, 3]), "x.jpg"), /x\.jpg: cannot decode image \(not a JPEG/);
    assert.throws(() => decodeImage(new Uint8Array(jpg).subarray(0, 40), "t.jpg"), /t\.jpg: cannot decode image/);
  });

  test("loadImageFolder: class ids from sorted folders, balanced limit, cache hit, corrupt file named", async () => {
    const root = tmpDir();
    const cacheDir = path.join(root, "cache");
    const classes = { cat: [10, 20, 30], dog: [200, 210] };
    for (const [c, values] of Object.entries(classes)) {
      fs.mkdirSync(path.join(root, "train", c), { recursive: true });
      values.forEach((v, i) => {
        const png = new PNG({ width: 4, height: 4 });
        png.data = Buffer.from(rgba(4, 4, () => [v, v, v]));
        fs.writeFileSync(path.join(root, "train", c, `${i}.png`), PNG.sync.write(png));
      });
    }
    const all = await loadImageFolder(root, "train", { cacheDir });
    assert.deepEqual(all.classNames, ["cat", "dog"]);
    assert.deepEqual(Array.from(all.labels), [0, 0, 0, 1, 1]);
    assert.deepEqual([all.count, all.height, all.width, all.channels], [5, 4, 4, 3]);
    assert.deepEqual([all.images[0], all.images[48 * 3]], [10, 200]);
    const sub = await loadImageFolder(root, "train", { limit: 3, cacheDir });
    assert.deepEqual(Array.from(sub.labels), [0, 0, 1]); // ⌈3/2⌉ cats, ⌊3/2⌋ dogs, first by name
    assert.equal(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".bin")).length, 2);
    const again = await loadImageFolder(root, "train", { limit: 3, cacheDir });
    assert.deepEqual(Array.from(again.images), Array.from(sub.images));
    const resized = await loadImageFolder(root, "train", { imageSize: 2, cache: false });
    assert.deepEqual([resized.height, resized.width], [2, 2]);
    fs.writeFileSync(path.join(root, "train", "dog", "9.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2]));
    await assert.rejects(loadImageFolder(root, "train", { cache: false }), /dog\/9\.png: cannot decode image/);
    await assert.rejects(loadImageFolder(root, "valid", { cache: false }), /valid: missing/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe("manifest verification and data roots", () => {
  const spec = { file: "a.txt", size: 5, md5: md5(new TextEncoder().encode("hello")) };

  test("good bytes pass; wrong size or md5 gives an error naming the file and how to get it", () => {
    const good = new TextEncoder().encode("hello");
    assert.deepEqual(verifyBytes(good, spec, "/d/a.txt", "run `npm run data -- x`"), good);
    assert.throws(
      () => verifyBytes(good.subarray(0, 4), spec, "/d/a.txt", "run `npm run data -- x`"),
      /\/d\/a\.txt: size 4 bytes, expected 5\. The file is corrupt or truncated; to get a good copy: run `npm run data -- x`/,
    );
    assert.throws(
      () => verifyBytes(new TextEncoder().encode("hellO"), spec, "/d/a.txt", "h"),
      /\/d\/a\.txt: md5 [0-9a-f]{32}, expected [0-9a-f]{32}/,
    );
  });

  test("gzip files: archive md5, or content md5 for a recompressed/decompressed copy", () => {
    const content = new TextEncoder().encode("idx content");
    const gz = new Uint8Array(zlib.gzipSync(content, { level: 1 }));
    const regz = new Uint8Array(zlib.gzipSync(content, { level: 9, memLevel: 3 }));
    const gzSpec = { file: "f.gz", md5: md5(gz), contentMd5: md5(content), contentSize: content.length };
    assert.deepEqual(Array.from(verifyBytes(gz, gzSpec, "f.gz", "h")), Array.from(content));
    assert.deepEqual(Array.from(verifyBytes(regz, gzSpec, "f.gz", "h")), Array.from(content));
    assert.deepEqual(Array.from(verifyBytes(content, gzSpec, "f", "h")), Array.from(content));
    assert.throws(
      () => verifyBytes(gz.subarray(0, gz.length - 4), gzSpec, "f.gz", "h"),
      /f\.gz: (gzip data cannot be decompressed|decompressed size)/,
    );
    const other = new Uint8Array(zlib.gzipSync(new TextEncoder().encode("idx contenT")));
    assert.throws(() => verifyBytes(other, gzSpec, "f.gz", "h"), /f\.gz: md5 of the content is/);
  });

  test("PADAM_DATA and the dataDir option are searched first; missing data names files and the command", async () => {
    const root = tmpDir();
    const saved = process.env.PADAM_DATA;
    try {
      process.env.PADAM_DATA = root;
      const roots = dataRoots({ dataDir: os.tmpdir() }).map((r) => r.source);
      assert.deepEqual(roots.slice(0, 2), ["option dataDir", "PADAM_DATA"]);
      // A truncated PTB copy in PADAM_DATA is found first and refused with the file named.
      fs.mkdirSync(path.join(root, "ptb"));
      for (const f of ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"])
        fs.writeFileSync(path.join(root, "ptb", f), "a b c\n");
      await assert.rejects(
        loadPtb(),
        new RegExp(`${root}/ptb/ptb\\.train\\.txt: size 6 bytes, expected 5101618.*npm run data -- ptb`),
      );
      await assert.rejects(
        loadCifar10("train", { source: "binary", dataDir: root }),
        /CIFAR-10 official binary batches.*not found\. Looked for data_batch_1\.bin.*npm run data -- cifar10/,
      );
      // A corrupt Fashion-MNIST copy: right names, wrong bytes.
      fs.mkdirSync(path.join(root, "fashion-mnist"));
      for (const f of [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
      ]) {
        fs.writeFileSync(path.join(root, "fashion-mnist", f), idx([1], [0]));
      }
      await assert.rejects(
        loadFashionMnist("test", { cache: false }),
        /t10k-images-idx3-ubyte: size 9 bytes, expected 7840016.*npm run data -- fashion-mnist/,
      );
      await assert.rejects(loadFashionMnist("valid" as Split), /split must be "train" or "test", got valid/);
    } finally {
      if (saved === undefined) delete process.env.PADAM_DATA;
      else process.env.PADAM_DATA = saved;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("CIFAR-10 binary batches in a data root are preferred over the JPEG copy", async () => {
    const root = tmpDir();
    const dir = path.join(root, "cifar-10-batches-bin");
    fs.mkdirSync(dir);
    // Correct-size batches (10,000 records of label i mod 10, pixel value = label).
    const batch = new Uint8Array(10000 * 3073);
    for (let r = 0; r < 10000; r++) batch.fill(r % 10, r * 3073, (r + 1) * 3073);
    for (const f of [
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch.bin",
    ])
      fs.writeFileSync(path.join(dir, f), batch);
    const test = await loadCifar10("test", { dataDir: root, limit: 20, cacheDir: path.join(root, "cache") });
    assert.equal(test.source, dir);
    assert.equal(test.count, 20);
    assert.deepEqual(Array.from(test.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(test.images[3072 * 7 + 5], 7);
    fs.truncateSync(path.join(dir, "test_batch.bin"), 3073 * 5000);
    await assert.rejects(
      loadCifar10("test", { dataDir: root, cache: false }),
      /test_batch\.bin: size 15365000 bytes, expected 30730000/,
    );
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe("PTB parsing, batchify, truncated BPTT", () => {
  const corpus = parsePtb({ train: " the cat sat \n the dog \n", valid: " the cat \n", test: " a dog \n" });

  test("3-line text: words plus <eos> per line; ids by first appearance", () => {
    assert.deepEqual(tokenize(" the cat sat \n the dog \n"), ["the", "cat", "sat", "<eos>", "the", "dog", "<eos>"]);
    assert.deepEqual(corpus.vocab.words, ["the", "cat", "sat", "<eos>", "dog", "a"]);
    assert.deepEqual(Array.from(corpus.train), [0, 1, 2, 3, 0, 4, 3]);
    assert.deepEqual(Array.from(corpus.valid), [0, 1, 3]);
    assert.deepEqual(Array.from(corpus.test), [5, 4, 3]);
  });

  test("batchify into contiguous rows; BPTT windows with targets shifted by one", () => {
    const ids = Int32Array.from({ length: 23 }, (_, i) => i);
    const b = batchify(ids, 2); // 11 steps per row; token 22 dropped
    assert.equal(b.steps, 11);
    assert.deepEqual(Array.from(b.data.subarray(11, 14)), [11, 12, 13]);
    assert.equal(numBpttBatches(b, 4), 2); // 10 usable steps → 2 full windows of 4
    assert.equal(numBpttBatches(b, 4, false), 3);
    const windows = [...bpttBatches(b, 4)];
    assert.equal(windows.length, 2);
    assert.deepEqual(windows[1].x.arraySync(), [
      [4, 5, 6, 7],
      [15, 16, 17, 18],
    ]);
    assert.deepEqual(windows[1].y.arraySync(), [
      [5, 6, 7, 8],
      [16, 17, 18, 19],
    ]);
    const all = [...bpttBatches(b, 4, { dropLast: false })];
    assert.deepEqual(all[2].x.arraySync(), [
      [8, 9],
      [19, 20],
    ]);
    assert.deepEqual(all[2].y.arraySync(), [
      [9, 10],
      [20, 21],
    ]);
    assert.throws(() => batchify(ids, 20), /23 tokens give 1 steps per row at batchSize 20/);
    assert.throws(() => batchify(ids, 0), /batchSize must be a positive integer, got 0/);
  });
});

describe("augmentation and batches", () => {
  const img = { data: Uint8Array.from({ length: 4 * 4 }, (_, i) => i + 1), height: 4, width: 4, channels: 1 };

  test("padCropFlip: offset crop of the zero-padded image; flip mirrors columns", () => {
    // pad 1, top 0, left 0: the output's first row/column are padding zeros.
    const out = Array.from(padCropFlip(img, 1, 0, 0, 4, 4, false));
    assert.deepEqual(out, [0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11]);
    const centre = Array.from(padCropFlip(img, 1, 1, 1, 4, 4, true));
    assert.deepEqual(centre.slice(0, 4), [4, 3, 2, 1]);
  });

  test("randomCropFlip: same seed → same pixels; offsets cover 0..2·pad; content preserved", () => {
    const t = randomCropFlip({ pad: 4 });
    const big = {
      data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => i % 251),
      height: 32,
      width: 32,
      channels: 3,
    };
    const a = t(big, seededRandom(1));
    const b = t(big, seededRandom(1));
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    assert.deepEqual([a.height, a.width], [32, 32]);
    // With pad 0 and no flip the transform is the identity.
    const id = randomCropFlip({ pad: 0, flip: false })(big, seededRandom(3));
    assert.deepEqual(Array.from(id.data), Array.from(big.data));
  });

  test("resize, random-resized crop, centre crop: sizes and constant images stay constant", () => {
    const flat = { data: new Uint8Array(40 * 60 * 3).fill(90), height: 40, width: 60, channels: 3 };
    assert.ok(resizeBilinear(flat.data, 40, 60, 3, 7, 5).every((v) => v === 90));
    // Up-sampling 2 → 4 with half-pixel centres: [10, 30] → [10, 15, 25, 30].
    assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([10, 30]), 1, 2, 1, 1, 4)), [10, 15, 25, 30]);
    const rrc = randomResizedCrop(16)(flat, seededRandom(2));
    assert.deepEqual([rrc.height, rrc.width, rrc.data.length], [16, 16, 16 * 16 * 3]);
    assert.ok(rrc.data.every((v) => Math.abs(v - 90) < 1e-4));
    const cc = resizeCenterCrop(20, 16)(flat, seededRandom(0));
    assert.deepEqual([cc.height, cc.width], [16, 16]);
  });

  test("normalize: (x/255 − mean)/std per channel", () => {
    const out = normalize(Uint8Array.from([255, 0, 51]), 3, CIFAR10_MEAN, CIFAR10_STD);
    assert.ok(Math.abs(out[0] - (1 - 0.4914) / 0.2023) < 1e-6);
    assert.ok(Math.abs(out[1] - (0 - 0.4822) / 0.1994) < 1e-6);
    assert.ok(Math.abs(out[2] - (0.2 - 0.4465) / 0.201) < 1e-6);
    assert.throws(() => normalize(new Uint8Array(3), 3, [0.5], [0.5]), /need 3 values each/);
  });

  const set: ImageSet = {
    images: Uint8Array.from({ length: 10 * 2 * 2 }, (_, i) => Math.floor(i / 4) * 10),
    labels: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),
    count: 10,
    height: 2,
    width: 2,
    channels: 1,
    classNames: ["a", "b"],
  };

  test("shuffle: a permutation, fixed by (seed, epoch), different across epochs", () => {
    const p0 = Array.from(shuffledIndices(100, 7, 0));
    assert.deepEqual(
      [...p0].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual(Array.from(shuffledIndices(100, 7, 0)), p0);
    assert.notDeepEqual(Array.from(shuffledIndices(100, 7, 1)), p0);
    assert.notDeepEqual(Array.from(shuffledIndices(100, 8, 0)), p0);
  });

  test("imageBatches: shapes, last partial batch, labels follow images, every image once", () => {
    const batches = [...imageBatches(set, { batchSize: 4, shuffle: true, seed: 1, epoch: 2 })];
    assert.deepEqual(
      batches.map((b) => b.x.shape[0]),
      [4, 4, 2],
    );
    const seen: number[] = [];
    for (const b of batches) {
      const xs = b.x.dataSync();
      const ys = b.y.dataSync();
      b.indices.forEach((src, i) => {
        seen.push(src);
        assert.ok(Math.abs(xs[i * 4] - (src * 10) / 255) < 1e-6); // pixel value identifies the image
        assert.equal(ys[i], set.labels[src]);
      });
      tf.dispose([b.x, b.y]);
    }
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal([...imageBatches(set, { batchSize: 4, dropLast: true })].length, 2);
    assert.throws(() => imageBatches(set, { batchSize: 0 }).next(), /batchSize must be a positive integer, got 0/);
  });

  test("balancedSubset: equal classes, original order, deterministic", () => {
    const sub = balancedSubset(set, 5);
    assert.deepEqual(Array.from(sub.labels), [0, 1, 0, 1, 0]);
    assert.deepEqual(Array.from(sub.images.subarray(0, 4)), [0, 0, 0, 0]);
    assert.equal(balancedSubset(set, 50), set);
    assert.throws(() => balancedSubset(set, 0), /limit must be a positive integer, got 0/);
  });
});
