/**
 * A training run's numbers do not depend on the wasm backend's thread count: the reference sweep
 * runs several single-threaded workers side by side (1.4-1.6x the throughput of one worker on two
 * threads on a two-core machine) and relies on their runs being the numbers a two-thread worker
 * would have made. XNNPACK splits a convolution or matrix product by output tiles, each reduced
 * whole by one thread, and the project's own kernels are single-threaded; this checks the
 * consequence end to end on the networks the sweep trains (convolutions with batch norm, an LSTM).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend";
import { useWasmThreads } from "../backend/wasm_threads";
import { createOptimizer } from "../optim";
import { randInt, seededRandom } from "../util/random";
import { buildModel, LSTM_PRESETS, softmaxCrossEntropyFromLogits } from ".";

function ints(n: number, max: number, seed: number): Int32Array {
  const rng = seededRandom(seed);
  return Int32Array.from({ length: n }, () => randInt(rng, max));
}

/** Every weight after three Padam steps on fixed inputs, built and trained under `threads` threads. */
async function trainedWeights(threads: number, build: () => { model: tf.LayersModel; x: tf.Tensor; y: tf.Tensor }) {
  const info = await initBackend({ backend: "wasm", threads, quiet: true });
  assert.equal(info.threads, threads);
  const { model, x, y } = build();
  const optimizer = createOptimizer("padam", { learningRate: 0.1, partial: 0.125 });
  for (let i = 0; i < 3; i++) {
    const loss = () => softmaxCrossEntropyFromLogits(y, model.apply(x, { training: true }) as tf.Tensor);
    optimizer.minimize(loss, true)?.dispose();
  }
  const weights = model.getWeights().map((w) => w.dataSync().slice());
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return weights;
}

const networks: [string, () => { model: tf.LayersModel; x: tf.Tensor; y: tf.Tensor }][] = [
  [
    "ResNet-20 (convolutions, batch norm, pooling)",
    () => ({
      model: buildModel("resnet20", { seed: 0 }),
      x: tf.randomNormal([8, 32, 32, 3], 0, 1, "float32", 1),
      y: tf.tensor1d(ints(8, 10, 2), "int32"),
    }),
  ],
  [
    "LSTM language model",
    () => ({
      model: buildModel("lstm-lm", {
        ...LSTM_PRESETS["ptb-lstm-small"],
        vocabSize: 500,
        seqLen: 12,
        batchSize: undefined,
        seed: 0,
      }),
      x: tf.tensor2d(ints(4 * 12, 500, 3), [4, 12], "int32"),
      y: tf.tensor2d(ints(4 * 12, 500, 4), [4, 12], "int32"),
    }),
  ],
];

describe("wasm thread count", () => {
  for (const [name, build] of networks) {
    test(`${name}: one and two threads train to bit-identical weights`, async () => {
      try {
        const one = await trainedWeights(1, build);
        const two = await trainedWeights(2, build);
        assert.equal(one.length, two.length);
        one.forEach((w, i) => assert.deepEqual(w, two[i], `weight ${i} differs`));
      } finally {
        useWasmThreads(1); // leave the single-threaded build registered for other files
      }
    });
  }
});
