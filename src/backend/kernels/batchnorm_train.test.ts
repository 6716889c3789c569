/**
 * The training-mode batch-norm kernels: hand-worked values, agreement with tfjs's own ops
 * (`tf.moments` + `tf.batchNorm` and their autodiff) on random shapes on `cpu` and `wasm`,
 * a float64 two-pass variance where the mean is large, and the fallback path.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerTrainingKernels } from "./register";
import { BATCH_NORM_TRAINING, batchNormTraining } from "./batchnorm_train";
import { seededRandom } from "../../util/random";

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= rtol * scale))
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (scale ${scale})`);
  }
}

/** y, mean, variance and the gradients of Σ w·y with respect to x, γ, β. */
async function forwardBackward(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  w: tf.Tensor,
  epsilon: number,
  composite: boolean,
): Promise<Float32Array[]> {
  const norm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    if (!composite) return batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, epsilon);
    const { mean, variance } = tf.moments(a, [...Array(a.rank - 1).keys()]);
    return { y: tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, epsilon), mean, variance };
  };
  const { y, mean, variance } = norm(x, gamma, beta);
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(norm(a, g, b).y, w)))([
    x,
    gamma,
    beta,
  ]);
  const out = await Promise.all([y, mean, variance, ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([y, mean, variance, ...grads]);
  return out;
}

before(async () => {
  registerTrainingKernels();
  await tf.ready();
});

for (const backend of ["cpu", "wasm"]) {
  describe(`batch norm in training mode on ${backend}`, () => {
    before(async () => {
      await tf.setBackend(backend);
      await tf.ready();
      assert.ok(tf.getKernel(BATCH_NORM_TRAINING, backend), "the forward kernel is registered");
    });

    test("hand-worked: 4 rows of 2 channels, forward and the gradient of one output element", async () => {
      // Channel 0: 1, 3, 5, 7 (μ 4, σ² 5); channel 1: 10, 20, 30, 40 (μ 25, σ² 125). ε = 0.
      const x = tf.tensor2d([1, 10, 3, 20, 5, 30, 7, 40], [4, 2]);
      const gamma = tf.tensor1d([2, 1]);
      const beta = tf.tensor1d([1, 0]);
      const w = tf.tensor2d([1, 0, 0, 0, 0, 0, 0, 0], [4, 2]); // loss = y[0, 0]
      const [y, mean, variance, dx, dgamma, dbeta] = await forwardBackward(x, gamma, beta, w, 0, false);
      const s5 = Math.sqrt(5);
      const xhat = [-3, -1, 1, 3].map((v) => v / s5);
      assertClose(mean, [4, 25], "mean", 1e-6);
      assertClose(variance, [5, 125], "variance", 1e-6);
      const yExpected = [0, 1, 2, 3].flatMap((r) => [2 * xhat[r] + 1, xhat[r]]);
      assertClose(y, yExpected, "y", 1e-6);
      // ∂y00/∂x_r0 = γ r (δ_r0 − 1/M − x̂_r x̂_0 / M) = (2/√5)·(0.3, −0.4, −0.1, 0.2); channel 1 untouched.
      assertClose(dx, [0.6 / s5, 0, -0.8 / s5, 0, -0.2 / s5, 0, 0.4 / s5, 0], "dx", 1e-6);
      assertClose(dgamma, [-3 / s5, 0], "dgamma", 1e-6);
      assertClose(dbeta, [1, 0], "dbeta", 1e-6);
      tf.dispose([x, gamma, beta, w]);
    });

    test("matches tfjs's moments + batchNorm and their gradients on 10 random shapes", async () => {
      const r = seededRandom(4242);
      const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
      for (const shape of [
        [2, 3],
        [7, 5],
        [2, 3, 4],
        [3, 5, 4, 6],
        [2, 8, 8, 16],
        [1, 4, 4, 3],
        [5, 1, 1, 9],
        [4, 6, 6, 32],
        // More rows than one tile of 16,384 floats holds: partial sums carry across tiles.
        [64, 16, 16, 3],
        [16, 16, 16, 22],
      ]) {
        const c = shape[shape.length - 1];
        const size = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(rand(size, -2, 3), shape);
        const w = tf.tensor(rand(size), shape);
        const gamma = tf.tensor1d(rand(c, 0.5, 2));
        const beta = tf.tensor1d(rand(c));
        const ours = await forwardBackward(x, gamma, beta, w, 1e-5, false);
        const ref = await forwardBackward(x, gamma, beta, w, 1e-5, true);
        ["y", "mean", "variance", "dx", "dgamma", "dbeta"].forEach((name, i) =>
          assertClose(ours[i], ref[i], `${backend} [${shape}] ${name}`, 2e-4),
        );
        tf.dispose([x, w, gamma, beta]);
      }
    });

    test("a channel with a large mean keeps its variance (float64 two-pass reference)", async () => {
      const r = seededRandom(7);
      const rows = 4096;
      const values = Float32Array.from({ length: rows }, () => 1000 + (r() - 0.5) * 0.01);
      let mu = 0;
      for (const v of values) mu += v;
      mu /= rows;
      let v2 = 0;
      for (const v of values) v2 += (v - mu) ** 2;
      v2 /= rows;
      const x = tf.tensor2d(values, [rows, 1]);
      const { y, mean, variance } = batchNormTraining(x, tf.ones([1]), tf.zeros([1]), 0);
      assertClose(await mean.data(), [mu], "mean", 1e-7);
      // Float32 inputs near 1000 are spaced 6e-5 apart: a float32 E[x²] − E[x]² would be noise.
      assert.ok(
        Math.abs((await variance.data())[0] - v2) <= 1e-6 * v2,
        `variance ${(await variance.data())[0]} vs ${v2}`,
      );
      const yv = await y.data();
      let sq = 0;
      for (const v of yv) sq += v * v;
      assert.ok(Math.abs(sq / rows - 1) < 1e-3, `normalized output has variance ${sq / rows}`);
      tf.dispose([x, y, mean, variance]);
    });

    test("a backend without the kernels composes tfjs's ops: same values", async () => {
      const r = seededRandom(99);
      const shape = [3, 4, 4, 5];
      const x = tf.tensor(
        Float32Array.from({ length: 240 }, () => r() * 4 - 1),
        shape,
      );
      const w = tf.tensor(
        Float32Array.from({ length: 240 }, () => r() - 0.5),
        shape,
      );
      const gamma = tf.tensor1d([1, 2, 0.5, 1.5, 1]);
      const beta = tf.tensor1d([0, 1, -1, 0.5, 0]);
      const kernel = await forwardBackward(x, gamma, beta, w, 1e-5, false);
      const config = tf.getKernel(BATCH_NORM_TRAINING, backend)!;
      tf.unregisterKernel(BATCH_NORM_TRAINING, backend);
      let fallback: Float32Array[];
      try {
        fallback = await forwardBackward(x, gamma, beta, w, 1e-5, false);
      } finally {
        tf.registerKernel(config);
      }
      ["y", "mean", "variance", "dx", "dgamma", "dbeta"].forEach((name, i) =>
        assertClose(fallback[i], kernel[i], `fallback ${name}`, 2e-4),
      );
      tf.dispose([x, w, gamma, beta]);
    });

    test("rejects a non-float input and a rank-1 input, naming the shape or dtype", () => {
      const g = tf.ones([3]) as tf.Tensor1D;
      const b = tf.zeros([3]) as tf.Tensor1D;
      assert.throws(() => batchNormTraining(tf.tensor1d([1, 2, 3]), g, b, 1e-5), /x has shape \[3\]; rank 2 or more/);
      assert.throws(
        () => batchNormTraining(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32"), g, b, 1e-5),
        /x has dtype int32; float32 is required/,
      );
      tf.dispose([g, b]);
    });
  });
}
