/**
 * `TorchBatchNorm` follows PyTorch's `nn.BatchNorm2d`: batch statistics in training, moving
 * averages with momentum 0.1 and the unbiased batch variance, moving statistics at inference.
 * Values are worked out by hand.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { TorchBatchNorm } from "./common";

function close(actual: ArrayLike<number>, expected: number[], what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
}

before(async () => {
  await initBackend({ backend: "wasm", threads: 1, quiet: true });
});

describe("TorchBatchNorm", () => {
  // Channel 0: 1, 3, 5, 7 (mean 4, biased variance 5, unbiased 20/3);
  // channel 1: 10, 20, 30, 40 (mean 25, biased 125, unbiased 500/3). As [2, 1, 2, 2] NHWC.
  const values = [1, 10, 3, 20, 5, 30, 7, 40];

  test("training: normalizes by the batch, moves the averages with the unbiased variance", async () => {
    const layer = new TorchBatchNorm({ name: "bn" });
    const x = tf.tensor4d(values, [2, 1, 2, 2]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const r0 = 1 / Math.sqrt(5 + 1e-5);
    const r1 = 1 / Math.sqrt(125 + 1e-5);
    close(await y.data(), [-3 * r0, -15 * r1, -1 * r0, -5 * r1, r0, 5 * r1, 3 * r0, 15 * r1], "y");
    const [gamma, beta, movingMean, movingVariance] = layer.getWeights();
    close(await gamma.data(), [1, 1], "gamma");
    close(await beta.data(), [0, 0], "beta");
    // μ̄ = 0.9·0 + 0.1·μ;  σ̄² = 0.9·1 + 0.1·σ²·4/3
    close(await movingMean.data(), [0.4, 2.5], "moving mean");
    close(await movingVariance.data(), [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (500 / 3)], "moving variance", 1e-4);
    // A second training call moves them again from there.
    layer.apply(x, { training: true });
    close(await layer.getWeights()[2].data(), [0.76, 4.75], "moving mean after two steps");
    tf.dispose([x, y]);
  });

  test("inference normalizes by the moving statistics", async () => {
    const layer = new TorchBatchNorm({ name: "bn_eval" });
    const x = tf.tensor4d(values, [2, 1, 2, 2]);
    layer.apply(x, { training: true });
    const y = layer.apply(x) as tf.Tensor;
    const v0 = 0.9 + 0.1 * (20 / 3);
    const v1 = 0.9 + 0.1 * (500 / 3);
    const expected = [0, 1, 2, 3].flatMap((i) => [
      (values[2 * i] - 0.4) / Math.sqrt(v0 + 1e-5),
      (values[2 * i + 1] - 2.5) / Math.sqrt(v1 + 1e-5),
    ]);
    close(await y.data(), expected, "y", 1e-4);
    tf.dispose([x, y]);
  });

  test("weights keep tfjs's names and order; the config survives serialization", () => {
    const input = tf.input({ shape: [4, 4, 3] });
    const output = new TorchBatchNorm({ name: "norm", momentum: 0.2, epsilon: 1e-3 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    assert.deepEqual(
      model.weights.map((w) => w.name),
      ["norm/gamma", "norm/beta", "norm/moving_mean", "norm/moving_variance"],
    );
    assert.deepEqual(
      model.trainableWeights.map((w) => w.name),
      ["norm/gamma", "norm/beta"],
    );
    const again = tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as tf.io.ModelJSON);
    return again.then((m) => {
      const layer = m.getLayer("norm") as TorchBatchNorm;
      assert.ok(layer instanceof TorchBatchNorm);
      assert.equal(layer.momentum, 0.2);
      assert.equal(layer.epsilon, 1e-3);
    });
  });

  test("bad settings and a batch with one value per channel are refused by name", () => {
    assert.throws(() => new TorchBatchNorm({ momentum: 1.5 }), /momentum/);
    assert.throws(() => new TorchBatchNorm({ epsilon: 0 }), /epsilon = 0; a positive number is required/);
    const layer = new TorchBatchNorm({ name: "single" });
    const x = tf.ones([1, 1, 1, 3]);
    assert.throws(
      () => layer.apply(x, { training: true }),
      /single: input shape \[1, 1, 1, 3\] gives 1 value per channel/,
    );
    x.dispose();
  });
});
