import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, defaultThreads, formatBackendInfo, initBackend } from "./init";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { useWasmThreads } from "./wasm_threads";

describe("initBackend", () => {
  test("refuses bad options before doing any work", () => {
    assert.throws(
      () => initBackend({ backend: "gpu" as "cpu" }),
      /initBackend\(\{ backend \}\) = "gpu" is not a backend/,
    );
    assert.throws(() => initBackend({ threads: 0 }), /threads \}\) = 0 must be an integer from 1 to 8/);
    const saved = process.env.PADAM_BACKEND;
    process.env.PADAM_BACKEND = "webgpu";
    try {
      assert.throws(() => initBackend({}), /PADAM_BACKEND = "webgpu"/);
    } finally {
      if (saved === undefined) delete process.env.PADAM_BACKEND;
      else process.env.PADAM_BACKEND = saved;
    }
  });

  test("selects the requested backend, registers kernels, reports once and is idempotent", async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      const p1 = initBackend({ backend: "cpu" });
      const p2 = initBackend({ backend: "cpu" });
      assert.equal(p1, p2, "same request, same promise");
      const info = await p1;
      assert.equal(info.name, "cpu");
      assert.equal(tf.getBackend(), "cpu");
      assert.equal(info.source, "argument");
      assert.deepEqual(info.addedKernels, [
        "Conv2DBackpropFilter",
        "Conv2DBackpropInput",
        "PadamBatchNormTraining",
        "PadamBatchNormTrainingGrad",
      ]); // cpu
      assert.equal(backendInfo(), info);
      assert.equal(lines.length, 1, `one report line, got ${JSON.stringify(lines)}`);
      assert.equal(lines[0], formatBackendInfo(info));
      const w = await initBackend({ backend: "wasm", quiet: true });
      assert.equal(w.name, "wasm");
      assert.equal(w.threads, defaultThreads(), "one thread per core unless PADAM_THREADS says otherwise");
      assert.equal(w.simd, true);
      assert.equal(tf.getKernel("UnsortedSegmentSum", "wasm") !== undefined, true);
      assert.equal(lines.length, 1, "quiet prints nothing");
    } finally {
      console.log = log;
    }
  });

  test("threads > 1 starts the threaded SIMD build, which computes what cpu computes", async () => {
    const info = await initBackend({ backend: "wasm", threads: 2, quiet: true });
    assert.equal(info.threads, 2);
    assert.equal(getThreadsCount(), 2);
    const xv = Float32Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i));
    const wv = Float32Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => Math.cos(i));
    const run = () =>
      tf.tidy(() => tf.conv2d(tf.tensor4d(xv, [2, 9, 9, 3]), tf.tensor4d(wv, [3, 3, 3, 8]), 2, "same").dataSync());
    const threaded = run();
    await tf.setBackend("cpu");
    const ref = run();
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(threaded[i] - ref[i]) < 1e-4, `element ${i}`);
    useWasmThreads(1); // leave the single-threaded build registered for other files
  });
});
