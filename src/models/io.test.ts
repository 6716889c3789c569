import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { fileLoadHandler, fileSaveHandler } from "./io";
import { createOptimizer, type RuleOptimizer } from "../optim/index";
import { expectClose } from "../testing/expect_close";

describe("saving to and loading from a folder", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  test("a model saved with Padam's state continues the same trajectory after loading", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "padam-io-")), "model");
    const X = tf.tensor2d([
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
      [0.5, 0.2],
      [0.3, 0.9],
    ]);
    const y = tf.tensor2d([[1], [1], [0], [0], [0.7], [0.4]]);
    const a = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 4,
          activation: "tanh",
          inputShape: [2],
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const opt = createOptimizer("padam", { learningRate: 0.05, partial: 0.125 });
    a.compile({ optimizer: opt, loss: "meanSquaredError" });
    const fit = { epochs: 4, batchSize: 3, shuffle: false, verbose: 0 as const };
    await a.fit(X, y, fit);
    await a.save(fileSaveHandler(dir), { includeOptimizer: true });
    assert.deepEqual(readdirSync(dir).sort(), ["model.json", "weights.bin"]);
    await a.fit(X, y, fit);
    const expected = a.getWeights().map((w) => Array.from(w.dataSync()));
    a.dispose();
    opt.dispose();

    const b = await tf.loadLayersModel(fileLoadHandler(dir));
    assert.equal((b.optimizer as RuleOptimizer).optimizerName, "padam");
    assert.equal(b.optimizer.iterations, 8);
    await b.fit(X, y, fit);
    b.getWeights().forEach((w, i) => expectClose(w.dataSync(), expected[i], 0, 0, `weight ${i}`));
    await assert.rejects(b.save(fileSaveHandler(dir)), /model\.json exists; pass \{ overwrite: true \} to replace it/);
    await b.save(fileSaveHandler(dir, { overwrite: true }), { includeOptimizer: true });
    b.dispose();
    tf.dispose([X, y]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("missing or broken files are named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "padam-io-"));
    await assert.rejects(tf.loadLayersModel(fileLoadHandler(dir)), /no model\.json in /);
    writeFileSync(join(dir, "model.json"), "{ not json");
    await assert.rejects(tf.loadLayersModel(fileLoadHandler(dir)), /model\.json is not valid JSON/);
    writeFileSync(
      join(dir, "model.json"),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["./weights.bin"], weights: [] }] }),
    );
    await assert.rejects(
      tf.loadLayersModel(fileLoadHandler(dir)),
      /weight file .*weights\.bin named in .*model\.json is missing/,
    );
  });
});
