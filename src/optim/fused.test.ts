/**
 * The fused kernel (registered for `cpu`) against the readable op-by-op rules, for every
 * optimizer that has a fused path and every denominator form (p = 0, 1/16, 1/8, 1/4, 0.3, 1/2);
 * and the op-by-op path's fast replacements (max via relu, powers 1/2^k via square roots) on
 * `wasm` against the float64 reference.
 */
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { createOptimizer } from "./registry";
import { referenceTrajectory } from "./reference";
import { fusedKernelAvailable } from "./fused";
import { expectClose } from "../testing/expect_close";
import { uniform } from "../util/random";

const ROWS: { name: string; options: Record<string, unknown> }[] = [
  ...[0, 1 / 16, 1 / 8, 1 / 4, 0.3, 1 / 2].map((partial) => ({ name: "padam", options: { partial, weightDecay: 1e-3 } })),
  { name: "padam", options: { partial: 0.125, amsgrad: false, biasCorrection: "consistent" } },
  { name: "adam", options: { weightDecay: 1e-2, learningRate: 0.01 } },
  { name: "amsgrad", options: { learningRate: 0.01 } },
  { name: "adamw", options: { weightDecay: 0.1, learningRate: 0.01 } },
  { name: "adamw", options: { weightDecay: 0.1, learningRate: 0.01, amsgrad: true } },
];

/** Runs 6 steps of random gradients (some exact zeros, scales 1e-6 … 1e2) on a [7, 13] variable. */
function trajectory(name: string, options: Record<string, unknown>, fused: boolean): Float32Array[] {
  process.env.PADAM_FUSED = fused ? "1" : "0";
  const r = uniform(5, -1, 1);
  const x = tf.variable(tf.tensor2d(Array.from({ length: 91 }, () => r()), [7, 13]));
  const opt = createOptimizer(name, options);
  const out: Float32Array[] = [];
  try {
    for (let t = 0; t < 6; t++) {
      const g = Array.from({ length: 91 }, (_, i) => (i % 11 === 0 ? 0 : r() * 10 ** ((i % 9) - 6)));
      tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor2d(g, [7, 13]) }));
      out.push(x.dataSync().slice() as Float32Array);
    }
    for (const slot of Object.values(opt.variableSlots(x.name)!)) out.push(slot.dataSync().slice() as Float32Array);
  } finally {
    x.dispose();
    opt.dispose();
    delete process.env.PADAM_FUSED;
  }
  return out;
}

for (const backend of ["cpu"] as const) {
  describe(`fused adaptive step on ${backend}`, () => {
    test("the kernel is registered for the backend", async () => {
      await initBackend({ backend, quiet: true });
      assert.equal(tf.getBackend(), backend);
      assert.ok(fusedKernelAvailable());
    });
    for (const row of ROWS) {
      test(`${row.name} ${JSON.stringify(row.options)}: fused equals op-by-op (parameters and state)`, async () => {
        await initBackend({ backend, quiet: true });
        const a = trajectory(row.name, row.options, true);
        const b = trajectory(row.name, row.options, false);
        assert.equal(a.length, b.length);
        // float32 rounding of intermediate tensors (op by op) vs float64 intermediates (fused):
        // relative 1e-4 plus an absolute floor of 1e-5 of the array's scale for values near 0
        a.forEach((arr, i) => expectClose(arr, b[i], 1e-4, 1e-5 * Math.max(...Array.from(b[i], Math.abs)), `${row.name} array ${i}`));
      });
    }
    test("no tensor leaks per fused step", async () => {
      await initBackend({ backend, quiet: true });
      const x = tf.variable(tf.zeros([100]));
      const opt = createOptimizer("padam", {});
      const step = () => tf.tidy(() => opt.applyGradients({ [x.name]: tf.ones([100]) }));
      step();
      const n = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) step();
      assert.equal(tf.memory().numTensors, n);
      opt.dispose();
      x.dispose();
    });
  });
}

describe("op-by-op path on wasm", () => {
  test("no fused kernel there: the SIMD kernels are faster than a JS loop", async () => {
    await initBackend({ backend: "wasm", quiet: true });
    assert.equal(fusedKernelAvailable(), false);
  });
  for (const row of ROWS) {
    test(`${row.name} ${JSON.stringify(row.options)} follows the float64 reference`, async () => {
      await initBackend({ backend: "wasm", quiet: true });
      const grads: number[][] = [];
      const r = uniform(9, -1, 1);
      for (let t = 0; t < 6; t++) grads.push(Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? 0 : r() * 10 ** ((i % 5) - 3))));
      const x0 = Array.from({ length: 40 }, () => r());
      const opt = createOptimizer(row.name, row.options);
      const x = tf.variable(tf.tensor1d(x0));
      for (const g of grads) tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d(g) }));
      const ref = referenceTrajectory(row.name, row.options, x0, grads.length, (_x, t) => grads[t]);
      expectClose(x.dataSync(), ref[grads.length - 1], 1e-4, 1e-6);
      x.dispose();
      opt.dispose();
    });
  }
});

after(() => delete process.env.PADAM_FUSED);
