// Loads the real data sets found in the data roots (PADAM_DATA, data/; Debian's
// dataset-fashion-mnist). A data set that is absent is a skip whose reason is one line naming
// the command that fetches it (`npm run data -- <name>`); a copy that is present but damaged
// fails with the loader's message.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCifar10, loadFashionMnist, loadPtb, batchify, dataSkip } from "./index";

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "padam-real-data-"));
process.on("exit", () => fs.rmSync(cacheDir, { recursive: true, force: true }));

test(
  "CIFAR-10 (binary batches, else the JPEG copy): a balanced limit of 100 test images, 32x32x3, decoded then cached",
  { skip: dataSkip("cifar10") },
  async () => {
    const t0 = Date.now();
    const set = await loadCifar10("test", { limit: 100, cacheDir });
    const first = Date.now() - t0;
    assert.equal(set.count, 100);
    assert.deepEqual([set.height, set.width, set.channels], [32, 32, 3]);
    // label order of the data set's batches.meta.txt
    assert.deepEqual(set.classNames, [
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
    ]);
    for (let c = 0; c < 10; c++) assert.equal(set.labels.filter((l) => l === c).length, 10);
    // Real photos: pixel mean well inside (0, 255) and non-constant.
    let sum = 0;
    for (const v of set.images) sum += v;
    const mean = sum / set.images.length;
    assert.ok(mean > 60 && mean < 200, `mean pixel ${mean}`);
    const t1 = Date.now();
    const again = await loadCifar10("test", { limit: 100, cacheDir });
    assert.deepEqual(Array.from(again.images), Array.from(set.images));
    assert.ok(Date.now() - t1 <= first, "cached load is not slower than decoding");
  },
);

test("PTB: the standard split sizes, 10k vocabulary with <unk> and <eos>", { skip: dataSkip("ptb") }, async () => {
  const ptb = await loadPtb();
  assert.equal(ptb.vocab.words.length, 10000);
  assert.ok(ptb.vocab.index.has("<unk>") && ptb.vocab.index.has("<eos>"));
  // Token counts including <eos> (as in the PyTorch word-language-model example).
  assert.deepEqual([ptb.train.length, ptb.valid.length, ptb.test.length], [929589, 73760, 82430]);
  const b = batchify(ptb.train, 20);
  assert.equal(b.steps, Math.floor(929589 / 20));
});

test(
  "Fashion-MNIST from Debian's dataset-fashion-mnist (or a data root): 10k test images",
  { skip: dataSkip("fashion-mnist") },
  async () => {
    const set = await loadFashionMnist("test", { cacheDir });
    assert.equal(set.count, 10000);
    assert.deepEqual([set.height, set.width, set.channels], [28, 28, 1]);
    // label order of the data set's README (labels 0–9)
    assert.deepEqual(set.classNames, [
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
    ]);
    for (let c = 0; c < 10; c++) assert.equal(set.labels.filter((l) => l === c).length, 1000);
    const small = await loadFashionMnist("train", { limit: 50, cacheDir });
    assert.equal(small.count, 50);
  },
);
