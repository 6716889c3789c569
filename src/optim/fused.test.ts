/**
 * The execution paths of the adaptive family (`fused` constructor option): op by op, the fused
 * JS loop and the compiled SIMD pass, on `cpu` and `wasm`, against the float64 reference replay
 * of the readable rule for every denominator form (p = 0, 1/16, 1/8, 1/4, 0.3, 1/2), with L2
 * and decoupled decay; hand-worked first steps; which path `fused` selects; and the option's
 * validation. (The golden trajectories run through every path in golden.test.ts.)
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { compiledExponentSupported } from "../backend/compiled";
import { createOptimizer } from "./registry";
import { referenceTrajectory } from "./reference";
import type { FusedOption } from "./rule_optimizer";
import { expectClose } from "../testing/expect_close";
import { uniform } from "../util/random";

const ROWS: { name: string; options: Record<string, unknown> }[] = [
  ...[0, 1 / 16, 1 / 8, 1 / 4, 0.3, 1 / 2].map((partial) => ({
    name: "padam",
    options: { partial, weightDecay: 1e-3 },
  })),
  { name: "padam", options: { partial: 0.125, amsgrad: false, biasCorrection: "consistent" } },
  { name: "adam", options: { weightDecay: 1e-2, learningRate: 0.01 } },
  { name: "amsgrad", options: { learningRate: 0.01 } },
  { name: "adamw", options: { weightDecay: 0.1, learningRate: 0.01 } },
  { name: "adamw", options: { weightDecay: 0.1, learningRate: 0.01, amsgrad: true } },
];

/** 6 steps of random gradients (some exact zeros, scales 1e-6 … 1e2) on 91 values (not a multiple of 4: SIMD tail). */
const N = 91;
const r = uniform(9, -1, 1);
const X0 = Array.from({ length: N }, () => r());
const GRADS = Array.from({ length: 6 }, () =>
  Array.from({ length: N }, (_, i) => (i % 11 === 0 ? 0 : r() * 10 ** ((i % 9) - 6))),
);

function replay(name: string, options: Record<string, unknown>, fused: FusedOption): Float32Array {
  const opt = createOptimizer(name, { ...options, fused });
  const x = tf.variable(tf.tensor1d(X0));
  try {
    for (const g of GRADS) tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d(g) }));
    return x.dataSync().slice() as Float32Array;
  } finally {
    x.dispose();
    opt.dispose();
  }
}

const PATHS: [string, FusedOption][] = [
  ["op by op", false],
  ["fused JS", "js"],
  ["compiled", "compiled"],
];

for (const backend of ["cpu", "wasm"] as const) {
  describe(`adaptive step paths on ${backend}`, () => {
    for (const row of ROWS) {
      for (const [label, fused] of PATHS) {
        const exponent = 2 * ((row.options.partial as number | undefined) ?? 0.5);
        if (fused === "compiled" && !compiledExponentSupported(exponent)) continue; // takes square roots only
        test(`${row.name} ${JSON.stringify(row.options)} ${label} follows the float64 reference`, async () => {
          await initBackend({ backend, quiet: true });
          const got = replay(row.name, row.options, fused);
          const ref = referenceTrajectory(row.name, row.options, X0, GRADS.length, (_x, t) => GRADS[t]);
          // float32 storage of the state (every path) against float64 throughout
          expectClose(got, ref[GRADS.length - 1], 1e-4, 1e-6, `${row.name} ${label}`);
        });
      }
    }

    test("hand-worked first steps (x = 1, g = 0.5, lr = 0.1) on every path", async () => {
      await initBackend({ backend, quiet: true });
      for (const [label, fused] of PATHS) {
        const first = (name: string, options: Record<string, unknown>) => {
          const opt = createOptimizer(name, { learningRate: 0.1, ...options, fused });
          const x = tf.variable(tf.tensor1d([1, 1, 1, 1, 1]));
          tf.tidy(() => opt.applyGradients({ [x.name]: tf.fill([5], 0.5) }));
          const out = x.dataSync().slice();
          x.dispose();
          opt.dispose();
          return out;
        };
        // Adam's first step is lr·g/(|g| + ε·…): x = 1 − 0.1 (to 2e-9).
        expectClose(first("amsgrad", {}), new Float32Array(5).fill(0.9), 1e-6, 0, `amsgrad ${label}`);
        // Padam p = 1/8: m = 0.05, sqrt(v) = sqrt(0.001·0.25) = 0.0158114, factor sqrt(0.001)/0.1
        // = 0.316228; x = 1 − 0.1·0.316228·0.05 / 0.0158114^(1/4) = 1 − 0.0044589 = 0.9955411.
        expectClose(first("padam", { partial: 0.125 }), new Float32Array(5).fill(0.9955411), 1e-6, 0, `padam ${label}`);
      }
    });

    test("no tensor leaks per step on any path", async () => {
      await initBackend({ backend, quiet: true });
      for (const [, fused] of PATHS) {
        const x = tf.variable(tf.zeros([100]));
        const opt = createOptimizer("padam", { fused });
        const step = () => tf.tidy(() => opt.applyGradients({ [x.name]: tf.ones([100]) }));
        step();
        const n = tf.memory().numTensors;
        for (let i = 0; i < 4; i++) step();
        assert.equal(tf.memory().numTensors, n);
        opt.dispose();
        x.dispose();
      }
    });
  });
}

describe("the fused option", () => {
  test("is validated at construction, naming the value and what is allowed", () => {
    assert.throws(
      () => createOptimizer("adam", { fused: "yes" }),
      /option "fused" = "yes" is not allowed; allowed: true, false, "compiled", "js"/,
    );
    assert.throws(() => createOptimizer("padam", { fused: 1 }), /option "fused" = 1 is not allowed/);
    assert.equal(createOptimizer("amsgrad", { fused: "compiled" }).fused, "compiled");
  });

  test("is not a hyper-parameter: getConfig leaves it out", () => {
    const opt = createOptimizer("padam", { fused: false, partial: 0.125 });
    assert.equal("fused" in opt.getConfig(), false);
    assert.equal(opt.getConfig().partial, 0.125);
  });

  test('"compiled" refuses an exponent the compiled pass does not take, before any update', async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const opt = createOptimizer("padam", { partial: 0.3, fused: "compiled" });
    const x = tf.variable(tf.ones([4]));
    assert.throws(
      () => opt.applyGradients({ [x.name]: tf.ones([4]) }),
      /option "fused" = "compiled" cannot run on backend "wasm".*exponent 0.6/,
    );
    assert.deepEqual(Array.from(x.dataSync()), [1, 1, 1, 1]);
    x.dispose();
    opt.dispose();
  });
});
