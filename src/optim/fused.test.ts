/**
 * The execution paths of the adaptive family (`fused` constructor option): op by op, the fused
 * JS loop and the compiled SIMD pass, on `cpu` and `wasm`, against the closed form of Padam's
 * first two steps for every denominator form (p = 0, 1/16, 1/8, 1/4, 0.3, 1/2; the consistent
 * bias factor; amsgrad off); hand-worked first steps; which path runs by default as the
 * backend changes; and the option's validation. The golden trajectories of the reference implementations (Padam, Adam,
 * AMSGrad and AdamW, with L2 and decoupled decay) run through every path in golden.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { compiledExponentSupported } from "../backend/compiled";
import { FUSED_ADAPTIVE_KERNEL } from "./fused";
import { createOptimizer, type OptimizerOptionsMap } from "./registry";
import type { FusedOption, RuleOptimizer } from "./rule_optimizer";
import { expectClose } from "../testing/expect_close";
import { uniform } from "../util/random";

type PadamCase = OptimizerOptionsMap["padam"] & { partial: number };

const ROWS: PadamCase[] = [
  ...[0, 1 / 16, 1 / 8, 1 / 4, 0.3, 1 / 2].map((partial) => ({ partial })),
  { partial: 0.125, amsgrad: false, biasCorrection: "consistent" },
];

const [LR, BETA1, BETA2, EPS] = [0.1, 0.9, 0.999, 1e-8]; // Padam's defaults

/**
 * x0 − x after two steps of Padam (defaults above, no decay) from gradients g, then 0, worked
 * out by hand from the update in padam.ts: with F_t = lr·sqrt(1 − β2^t)/(1 − β1^t) ("official")
 * or lr·(1 − β2^t)^p/(1 − β1^t) ("consistent"),
 *
 *     step 1: m = (1 − β1)·g,    v = (1 − β2)·g²,    v̂ = v
 *             s1 = F_1·m / (sqrt(v̂) + ε)^(2p)
 *     step 2: m = β1(1 − β1)·g,  v = β2(1 − β2)·g²,  v̂ = (1 − β2)·g² with amsgrad, else v
 *             s2 = F_2·m / (sqrt(v̂) + ε)^(2p)
 *
 * and the result is [s1, s1 + s2].
 */
function twoSteps(g: number, c: PadamCase): [number, number] {
  const p = c.partial;
  const factor = (t: number) =>
    (LR * (c.biasCorrection === "consistent" ? Math.pow(1 - BETA2 ** t, p) : Math.sqrt(1 - BETA2 ** t))) /
    (1 - BETA1 ** t);
  const v1 = (1 - BETA2) * g * g;
  const vHat2 = c.amsgrad === false ? BETA2 * v1 : v1;
  const s1 = (factor(1) * (1 - BETA1) * g) / Math.pow(Math.sqrt(v1) + EPS, 2 * p);
  const s2 = (factor(2) * BETA1 * (1 - BETA1) * g) / Math.pow(Math.sqrt(vHat2) + EPS, 2 * p);
  return [s1, s1 + s2];
}

/** 91 gradients (not a multiple of 4: the SIMD tail), some exact zeros, scales 1e-6 … 1e2. */
const N = 91;
const r = uniform(9, -1, 1);
const GRAD = Array.from({ length: N }, (_, i) => (i % 11 === 0 ? 0 : r() * 10 ** ((i % 9) - 6)));

/** x after each of the two steps (gradients GRAD, then 0) from x = 0, through the path `fused`. */
function twoStepsOf(options: PadamCase, fused: FusedOption): [Float32Array, Float32Array] {
  const opt = createOptimizer("padam", { ...options, fused });
  const x = tf.variable(tf.zeros([N]));
  try {
    tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d(GRAD) }));
    const first = x.dataSync().slice() as Float32Array;
    tf.tidy(() => opt.applyGradients({ [x.name]: tf.zeros([N]) }));
    return [first, x.dataSync().slice() as Float32Array];
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

test("the closed form of two Padam steps gives the numbers worked by hand (g = 0.5)", () => {
  // p = 1/8: m = 0.05, sqrt(v) = sqrt(0.001·0.25) = 0.0158114, F_1 = 0.1·sqrt(0.001)/0.1 = 0.0316228,
  // s1 = 0.0316228·0.05/0.0158114^(1/4) = 0.0044589; F_2 = 0.1·sqrt(0.001999)/0.19 = 0.0235317,
  // m = 0.045, v̂ = v of step 1: s2 = 0.0235317·0.045/0.354611 = 0.0029862.
  expectClose(twoSteps(0.5, { partial: 0.125 }), [0.0044589, 0.0074451], 2e-5, 0, "p = 1/8");
  // p = 0: no denominator, s1 = 0.0316228·0.05 = 0.00158114, s2 = 0.0235317·0.045 = 0.00105893.
  expectClose(twoSteps(0.5, { partial: 0 }), [0.00158114, 0.00264006], 2e-5, 0, "p = 0");
  // p = 1/8, consistent, amsgrad off: F_1 = 0.1·0.001^(1/8)/0.1 = 0.421697, s1 = 0.421697·0.05/0.354611
  // = 0.0594603; F_2 = 0.1·0.001999^(1/8)/0.19 = 0.242022, v̂ = 0.999·0.00025, sqrt = 0.0158035,
  // ^(1/4) = 0.354567: s2 = 0.242022·0.045/0.354567 = 0.0307166.
  expectClose(
    twoSteps(0.5, { partial: 0.125, amsgrad: false, biasCorrection: "consistent" }),
    [0.0594603, 0.0901769],
    2e-5,
    0,
    "p = 1/8 consistent",
  );
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`adaptive step paths on ${backend}`, () => {
    for (const row of ROWS) {
      for (const [label, fused] of PATHS) {
        if (fused === "compiled" && !compiledExponentSupported(2 * row.partial)) continue; // takes square roots only
        test(`padam ${JSON.stringify(row)} ${label}: two steps as worked by hand`, async () => {
          await initBackend({ backend, quiet: true });
          const [first, second] = twoStepsOf(row, fused);
          const want = GRAD.map((g) => twoSteps(g, row));
          // x = −(s1 + …) from x = 0, so the tolerance is relative to the step: float32 state and arithmetic.
          expectClose(
            first,
            want.map(([s1]) => -s1),
            1e-5,
            0,
            `${label} step 1`,
          );
          expectClose(
            second,
            want.map(([, s12]) => -s12),
            1e-5,
            0,
            `${label} step 2`,
          );
        });
      }
    }

    test("hand-worked first steps (x = 1, g = 0.5, lr = 0.1) on every path", async () => {
      await initBackend({ backend, quiet: true });
      for (const [label, fused] of PATHS) {
        const first = (name: "amsgrad" | "padam", options: OptimizerOptionsMap["padam"]) => {
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
    // As JSON configs meet it: options that no type vouches for.
    const createFromJson = createOptimizer as (name: string, options: Record<string, unknown>) => RuleOptimizer;
    assert.throws(
      () => createFromJson("adam", { fused: "yes" }),
      /option "fused" = "yes" is not allowed; allowed: true, false, "compiled", "js"/,
    );
    assert.throws(() => createFromJson("padam", { fused: 1 }), /option "fused" = 1 is not allowed/);
    assert.equal(createOptimizer("amsgrad", { fused: "compiled" }).fused, "compiled");
  });

  test("by default, the path follows the backend of each step (p = 0.3: JS loop on cpu, op by op on wasm)", async () => {
    const opt = createOptimizer("padam", { partial: 0.3 });
    const x = tf.variable(tf.zeros([8]));
    const kernelsOfStep = async (backend: "cpu" | "wasm") => {
      await initBackend({ backend, quiet: true });
      const info = await tf.profile(() => tf.tidy(() => opt.applyGradients({ [x.name]: tf.ones([8]) })));
      return info.kernelNames;
    };
    try {
      assert.ok((await kernelsOfStep("cpu")).includes(FUSED_ADAPTIVE_KERNEL), "cpu: the JS loop");
      const wasm = await kernelsOfStep("wasm");
      assert.ok(wasm.includes("Pow") && !wasm.includes(FUSED_ADAPTIVE_KERNEL), `wasm: op by op, ran ${wasm}`);
      assert.ok((await kernelsOfStep("cpu")).includes(FUSED_ADAPTIVE_KERNEL), "cpu again: the JS loop");
    } finally {
      x.dispose();
      opt.dispose();
    }
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
