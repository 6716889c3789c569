/**
 * Image-folder runs stream their data: the batches a run trains and evaluates on are the
 * in-memory pipeline's (`readImageFolder` + `holdOut` + `imageBatches`) exactly, while no split
 * is ever held whole (the bytes held stay under the bound, which is below one split's decoded
 * size); a streamed run resumes to the numbers of an uninterrupted one.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import {
  holdOut,
  imageBatches,
  IMAGENET_MEAN,
  IMAGENET_STD,
  randomResizedCrop,
  readImageFolder,
  resizeCenterCrop,
  type ImageSet,
} from "../datasets/index";
import { initBackend } from "../backend/index";
import { loadTaskData } from "./data";
import { runExperiment } from "./runner";
import type { ExperimentConfig } from "./config";
import type { Batches } from "./task";

const CLASSES = ["ant", "bee", "cow"];

/** PNGs of varied sizes (30-44 px a side, as ImageNet's vary), a pattern per class, image and position. */
function makeFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "padam-stream-run-"));
  for (const [split, perClass] of [
    ["train", 12],
    ["val", 4],
  ] as const) {
    CLASSES.forEach((name, c) => {
      fs.mkdirSync(path.join(root, split, name), { recursive: true });
      for (let n = 0; n < perClass; n++) {
        const [w, h] = [30 + ((n * 5 + c * 3) % 15), 30 + ((n * 7 + c) % 15)];
        const png = new PNG({ width: w, height: h });
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const o = 4 * (y * w + x);
            for (let k = 0; k < 3; k++) png.data[o + k] = (c * 80 + n * 11 + y * 5 + x * 3 + k * 40) % 256;
            png.data[o + 3] = 255;
          }
        }
        fs.writeFileSync(path.join(root, split, name, `${String(n).padStart(2, "0")}.png`), PNG.sync.write(png));
      }
    });
  }
  return root;
}

const root = makeFolder();
after(() => fs.rmSync(root, { recursive: true, force: true }));

const config: ExperimentConfig = {
  model: "resnet20",
  dataset: "image-folder",
  dataRoot: root,
  imageSize: 32,
  validLimit: 6,
  augment: true,
  optimizer: "padam",
  optimizerOptions: { learningRate: 0.05, partial: 0.125 },
  epochs: 2,
  batchSize: 5,
  testBatchSize: 4,
  trainMetrics: "epoch-average",
  seed: 3,
};
/** The images are stored at 256/224 of the input side (37 px) and cropped to 32 per batch. */
const STORED = 37;
const DECODED_TRAIN = 30 * STORED * STORED * 3; // 123,210 bytes once the hold-out is taken
/** Room for one decoded batch of 5 (20,535 bytes) and a few batches' files read ahead: a third of the training split. */
const BUDGET = 40_000;

async function collect(batches: Batches): Promise<{ x: Float32Array; y: Int32Array; shape: number[] }[]> {
  const out: { x: Float32Array; y: Int32Array; shape: number[] }[] = [];
  for await (const b of batches) {
    out.push({ x: b.x.dataSync() as Float32Array, y: b.y.dataSync() as Int32Array, shape: b.x.shape });
    tf.dispose([b.x, b.y]);
  }
  return out;
}

function inMemory(set: ImageSet, opts: Parameters<typeof imageBatches>[1]) {
  return [...imageBatches(set, { mean: IMAGENET_MEAN, std: IMAGENET_STD, ...opts })].map((b) => {
    const r = { x: b.x.dataSync() as Float32Array, y: b.y.dataSync() as Int32Array, shape: b.x.shape };
    tf.dispose([b.x, b.y]);
    return r;
  });
}

describe("image-folder runs stream their data", () => {
  before(() => initBackend({ quiet: true }));
  test("every batch equals the in-memory pipeline's, and the bytes held stay under the bound", async () => {
    assert.ok(BUDGET < DECODED_TRAIN / 3, "the bound is well below one decoded training split");
    const data = await loadTaskData(config, { streamBytes: BUDGET });
    assert.equal(data.streamed?.peakBytes(), 0, "opening reads no image");
    const all = await readImageFolder(root, "train", { imageSize: STORED, cache: false });
    const { train, held } = holdOut(all, 6);
    const test = await readImageFolder(root, "val", { imageSize: STORED, classNames: CLASSES, cache: false });
    const crop = randomResizedCrop(32);
    const center = resizeCenterCrop(STORED, 32);
    for (const epoch of [0, 1]) {
      const want = inMemory(train, { batchSize: 5, shuffle: true, seed: 3, epoch, transform: crop });
      assert.deepEqual(await collect(data.trainBatches(epoch, 5, 3, 0)), want, `training batches of epoch ${epoch}`);
    }
    assert.equal(data.trainBatchCount(5), 6);
    assert.deepEqual(
      await collect(data.evalBatches("valid", 4)),
      inMemory(held, { batchSize: 4, transform: center }),
      "validation batches (held out of the training images)",
    );
    assert.deepEqual(
      await collect(data.evalBatches("test", 4)),
      inMemory(test, { batchSize: 4, transform: center }),
      "evaluation batches of the val split",
    );
    const peak = data.streamed!.peakBytes();
    assert.ok(peak > 5 * STORED * STORED * 3, `held at least one decoded batch (${peak} bytes)`);
    assert.ok(peak <= BUDGET, `held ${peak} bytes, bound ${BUDGET}`);
  });

  test("a streamed run stopped after one epoch resumes to the numbers of an uninterrupted run", async () => {
    const [a, b] = [
      fs.mkdtempSync(path.join(os.tmpdir(), "padam-sr-a-")),
      fs.mkdtempSync(path.join(os.tmpdir(), "padam-sr-b-")),
    ];
    try {
      const whole = await runExperiment(config, { runsDir: a, progress: "none", streamBytes: BUDGET });
      assert.equal(whole.status, "finished");
      const first = await runExperiment(config, {
        runsDir: b,
        progress: "none",
        streamBytes: BUDGET,
        stopAfterEpochs: 1,
      });
      assert.equal(first.status, "running");
      const resumed = await runExperiment(config, { runsDir: b, progress: "none", resume: true, streamBytes: 2 ** 20 });
      assert.equal(resumed.status, "finished");
      const numbers = (ms: typeof whole.metrics) => ms.map(({ wallMs: _w, check: _c, ...rest }) => rest);
      assert.deepEqual(numbers(resumed.metrics), numbers(whole.metrics));
      assert.deepEqual(
        whole.metrics.filter((m) => m.epoch === 1).map((m) => m.split),
        ["train", "valid", "test"],
      );
      for (const m of whole.metrics) assert.ok(Number.isFinite(m.loss), `${m.split} loss ${m.loss} is finite`);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });
});
