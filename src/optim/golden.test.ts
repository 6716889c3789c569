/**
 * Replays every golden trajectory of the reference implementations (float64, from
 * src/testing/fixtures/optimizers.json): through the tfjs optimizers in float32 on the `cpu` backend,
 * within each case's suggested tolerance — both op by op and, for the adaptive-moment family,
 * through the fused kernel — and through the float64 reference replay of the very same update
 * rules, to near machine precision.
 */
import { describe, test, before } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { createOptimizer, referenceTrajectory } from "./index";
import { goldenGradient, loadGoldenCases } from "../testing/golden";
import { expectClose } from "../testing/expect_close";

const cases = loadGoldenCases();

describe("golden trajectories", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  test("the file holds cases for every optimizer", () => {
    const names = new Set(cases.map((c) => c.optimizer));
    for (const n of ["padam", "sgd", "adam", "amsgrad", "adamw", "yogi", "adabound", "amsbound"]) {
      if (!names.has(n)) throw new Error(`no golden case for ${n}`);
    }
  });

  for (const c of cases) {
    test(`${c.id}: float64 reference replay matches to 1e-9`, () => {
      const got = referenceTrajectory(c.optimizer, c.options, c.x0, c.steps, (x, t) =>
        c.mode === "function" ? goldenGradient(c.function!, x) : c.grads[t],
      );
      for (let t = 0; t < c.steps; t++) expectClose(got[t], c.expected[t], 1e-9, 1e-12, `${c.id} step ${t + 1}`);
    });

    for (const path of createOptimizer(c.optimizer, c.options).rule.fused ? ["fused", "op-by-op"] : ["op-by-op"]) {
    test(`${c.id}: tfjs float32 replay (${path}) within the case tolerance`, () => {
      process.env.PADAM_FUSED = path === "fused" ? "1" : "0";
      const opt = createOptimizer(c.optimizer, c.options);
      const x = tf.variable(tf.tensor1d(c.x0, "float32"), true, `golden_${c.id}`);
      const { rtol, atol } = c.tolerance;
      try {
        for (let t = 0; t < c.steps; t++) {
          const g = tf.tensor1d(c.mode === "function" ? goldenGradient(c.function!, x.dataSync()) : c.grads[t], "float32");
          opt.applyGradients({ [x.name]: g });
          g.dispose();
          expectClose(x.dataSync(), c.expected[t], rtol, atol, `${c.id} step ${t + 1}`);
        }
      } finally {
        x.dispose();
        opt.dispose();
        delete process.env.PADAM_FUSED;
      }
    });
    }
  }
});
