/**
 * Replays every golden trajectory of the reference implementations (float64, format in
 * src/testing/golden.ts): through the float64 reference replay of the very same update rules, to
 * near machine precision; and through the tfjs optimizers in float32 on the `cpu` and `wasm`
 * backends, within each case's suggested tolerance, by every path the optimizer has — op by op
 * and, for the adaptive-moment family, the fused JS loop and the compiled SIMD pass (when it
 * takes the case's exponent).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createOptimizer, referenceTrajectory } from "./index";
import { initBackend } from "../backend/index";
import { compiledExponentSupported } from "../backend/compiled";
import type { FusedOption } from "./rule_optimizer";
import { goldenGradient, loadGoldenCases, type GoldenCase } from "../testing/golden";
import { expectClose } from "../testing/expect_close";

const cases = loadGoldenCases();

describe("golden trajectories", () => {
  test("the file holds cases for every optimizer", () => {
    const names = new Set(cases.map((c) => c.optimizer));
    for (const n of ["padam", "sgd", "adam", "amsgrad", "adamw", "yogi", "adabound", "amsbound"] as const) {
      if (!names.has(n)) throw new Error(`no golden case for ${n}`);
    }
  });

  test("a file naming an unregistered optimizer is refused before any case runs, naming the case", () => {
    const dir = mkdtempSync(join(tmpdir(), "golden-"));
    try {
      const file = join(dir, "optimizers.json");
      writeFileSync(file, JSON.stringify({ format: 1, cases: [{ ...cases[0], id: "x-1", optimizer: "rmsprop" }] }));
      assert.throws(() => loadGoldenCases(file), {
        message: `${file}: case x-1 names optimizer "rmsprop"; known optimizers: padam, sgd, adam, amsgrad, adamw, yogi, adabound, amsbound`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const c of cases) {
    test(`${c.id}: float64 reference replay matches to 1e-9`, () => {
      const got = referenceTrajectory(c.optimizer, c.options, c.x0, c.steps, (x, t) =>
        c.mode === "function" ? goldenGradient(c.function!, x) : c.grads[t],
      );
      for (let t = 0; t < c.steps; t++) expectClose(got[t], c.expected[t], 1e-9, 1e-12, `${c.id} step ${t + 1}`);
    });

    for (const backend of ["cpu", "wasm"] as const) {
      for (const [path, fused] of pathsOf(c)) {
        test(`${c.id}: tfjs float32 replay on ${backend} (${path}) within the case tolerance`, async () => {
          await initBackend({ backend, quiet: true });
          replay(c, fused);
        });
      }
    }
  }
});

/** The execution paths of a case's optimizer, as `fused` constructor options. */
function pathsOf(c: GoldenCase): [string, FusedOption][] {
  const probe = createOptimizer(c.optimizer, c.options);
  const coefficients = probe.rule.coefficients?.(probe.hyperparameters, { t: 1, lr: 1, initialLr: 1 });
  probe.dispose();
  // Rules outside the adaptive family run op by op only and take no `fused` option.
  if (coefficients === undefined) return [["op-by-op", undefined]];
  const paths: [string, FusedOption][] = [
    ["op-by-op", false],
    ["fused JS", "js"],
  ];
  if (compiledExponentSupported(coefficients.exponent)) paths.push(["compiled", "compiled"]);
  return paths;
}

/** Replays one case in float32 through the path `fused`, checking every step. */
function replay(c: GoldenCase, fused: FusedOption): void {
  const opt = createOptimizer(c.optimizer, fused === undefined ? c.options : { ...c.options, fused });
  const x = tf.variable(tf.tensor1d(c.x0, "float32"), true, `golden_${c.id}`);
  // Each case's own tolerance: every case, function mode included, passes it (no loosening).
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
  }
}
