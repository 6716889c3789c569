/**
 * Checkpoint files: a round trip restores model and optimizer; a damaged or mismatched file is
 * refused with its path, what is wrong and the remedy (--force), before anything is restored.
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createOptimizer } from "../optim/registry";
import type { RuleOptimizer } from "../optim/rule_optimizer";
import { checkpointEpoch, loadCheckpoint, saveCheckpoint } from "./checkpoint";

const REMEDY = "; to start the run over, pass --force (npm run train / sweep) or { force: true } (runExperiment)";
const fmt = (n: number) => new Intl.NumberFormat("en-US").format(n);

/** A dense 20 -> 30 -> 2 model (about 2,600 parameters) and a Padam optimizer after one step. */
function trained(units = 30): { model: tf.LayersModel; optimizer: RuleOptimizer } {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units, inputShape: [20] }), tf.layers.dense({ units: 2 })],
  });
  const optimizer = createOptimizer("padam", { learningRate: 0.1 }) as RuleOptimizer;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.square(model.apply(tf.ones([4, 20])) as tf.Tensor)) as tf.Scalar,
    variables,
  );
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return { model, optimizer };
}

const values = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

/** Padam's first moment of every trainable weight, in model order. */
const slots = (model: tf.LayersModel, optimizer: RuleOptimizer) =>
  model.trainableWeights.map((w) => Array.from(optimizer.variableSlots((w.read() as tf.Variable).name)!.m.dataSync()));

describe("checkpoint files", () => {
  let path: string;
  let size: number;
  let headerLength: number;
  let savedWeights: number[][];
  let savedSlots: number[][];

  before(async () => {
    await tf.setBackend("cpu");
    path = join(mkdtempSync(join(tmpdir(), "padam-ckpt-")), "state.bin");
    const { model, optimizer } = trained();
    await saveCheckpoint(path, model, optimizer, { epoch: 3 });
    size = statSync(path).size;
    headerLength = readFileSync(path).readUInt32LE(0);
    savedWeights = values(model);
    savedSlots = slots(model, optimizer);
    model.dispose();
    optimizer.dispose();
  });

  /** A copy of the checkpoint changed by `edit`. */
  function damaged(edit: (buf: Buffer) => Buffer): string {
    const copy = join(mkdtempSync(join(tmpdir(), "padam-ckpt-")), "state.bin");
    writeFileSync(copy, edit(readFileSync(path)));
    return copy;
  }

  test("a round trip restores the weights, the optimizer state and the extra record", async () => {
    const { model, optimizer } = trained();
    assert.notDeepEqual(values(model), savedWeights, "a new model starts elsewhere");
    assert.deepEqual(await loadCheckpoint(path, model, optimizer), { epoch: 3 });
    assert.deepEqual(values(model), savedWeights);
    assert.deepEqual(slots(model, optimizer), savedSlots);
    assert.equal(optimizer.iterations, 1);
    assert.equal(checkpointEpoch(path), 3);
    model.dispose();
    optimizer.dispose();
  });

  test("damaged files are refused naming the file, the damage and --force", async () => {
    assert.ok(size > 10_000, `a file large enough for thousands separators (${size} bytes)`);
    const cases: [string, string][] = [
      [damaged((b) => b.subarray(0, 2)), "is truncated: 2 of at least 4 bytes (no header length)"],
      [
        damaged((b) => b.subarray(0, 100)),
        `is truncated: 100 of at least ${fmt(4 + headerLength)} bytes (its header alone takes ${fmt(headerLength)})`,
      ],
      [damaged((b) => b.subarray(0, size - 10)), `is truncated: ${fmt(size - 10)} of ${fmt(size)} bytes`],
      [
        damaged((b) => Buffer.concat([b.subarray(0, 4), Buffer.from("#"), b.subarray(5)])),
        `is corrupt: its ${fmt(headerLength)}-byte header is not valid JSON`,
      ],
      [
        damaged((b) => Buffer.concat([b, Buffer.alloc(8)])),
        `is corrupt: ${fmt(size + 8)} bytes where its header describes ${fmt(size)}`,
      ],
    ];
    for (const [file, what] of cases) {
      const { model, optimizer } = trained();
      const before = values(model);
      await assert.rejects(loadCheckpoint(file, model, optimizer), { message: `checkpoint ${file} ${what}${REMEDY}` });
      assert.throws(() => checkpointEpoch(file), { message: `checkpoint ${file} ${what}${REMEDY}` });
      assert.deepEqual(values(model), before, "nothing restored");
      model.dispose();
      optimizer.dispose();
    }
  });

  test("a missing file, and a checkpoint of another model, are refused before anything is restored", async () => {
    const { model, optimizer } = trained(31);
    const before = values(model);
    const missing = join(tmpdir(), "padam-no-such-checkpoint.bin");
    await assert.rejects(loadCheckpoint(missing, model, optimizer), {
      message: `checkpoint ${missing} not found${REMEDY}`,
    });
    assert.equal(checkpointEpoch(missing), -1);
    const kernel = (model.weights[0].read() as tf.Variable).name;
    await assert.rejects(loadCheckpoint(path, model, optimizer), {
      message: `checkpoint ${path} does not fit this run: model/0 (${kernel}) has shape [20,30], the model's is [20,31]${REMEDY}`,
    });
    assert.deepEqual(values(model), before);
    assert.equal(optimizer.iterations, 1, "the optimizer keeps its own step count");
    model.dispose();
    optimizer.dispose();
  });

  test("a model weight missing from the file is refused", async () => {
    const { model, optimizer } = trained();
    const other = tf.sequential({
      layers: [
        tf.layers.dense({ units: 30, inputShape: [20] }),
        tf.layers.dense({ units: 2 }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const name = (other.weights[4].read() as tf.Variable).name;
    await assert.rejects(loadCheckpoint(path, other, optimizer), {
      message: `checkpoint ${path} does not fit this run: it lacks model/4 (${name}); it holds 4 of the model's 6 weights${REMEDY}`,
    });
    model.dispose();
    other.dispose();
    optimizer.dispose();
  });
});
