import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compareRows, formatRow, parseArgs, parseRows, roundValue, timed, torchReferencePath } from "./harness";
import { prepareWorkload, WORKLOAD_NAMES, WorkloadScale } from "./workloads";
import { initBackend } from "../src/backend";

describe("parseArgs", () => {
  test("defaults and every flag", () => {
    const d = parseArgs([], WORKLOAD_NAMES, 2);
    assert.deepEqual(d, { json: false, compare: false, seconds: 3, only: [], torchThreads: [1, 2], help: false });
    assert.deepEqual(parseArgs([], WORKLOAD_NAMES, 1).torchThreads, [1]);
    const a = parseArgs(
      ["--json", "--compare", "--seconds", "0.5", "--only", "fmnist-cnn,ptb-lstm2", "--backend", "cpu", "--threads", "2", "--torch-threads", "1,4"],
      WORKLOAD_NAMES, 2,
    );
    assert.deepEqual(a, { json: true, compare: true, seconds: 0.5, only: ["fmnist-cnn", "ptb-lstm2"], backend: "cpu", threads: 2, torchThreads: [1, 4], help: false });
  });
  test("bad input names the flag, the value and what is allowed", () => {
    assert.throws(() => parseArgs(["--only", "mnist"], WORKLOAD_NAMES, 2), /--only: unknown workload "mnist"; allowed: fmnist-cnn, cifar-resnet18, ptb-lstm2, optimizer-step/);
    assert.throws(() => parseArgs(["--seconds", "-1"], WORKLOAD_NAMES, 2), /--seconds = "-1" must be a positive number/);
    assert.throws(() => parseArgs(["--backend", "webgl"], WORKLOAD_NAMES, 2), /--backend = "webgl"; allowed: tensorflow, wasm, cpu/);
    assert.throws(() => parseArgs(["--torch-threads", "0"], WORKLOAD_NAMES, 2), /--torch-threads = "0"/);
    assert.throws(() => parseArgs(["--seconds"], WORKLOAD_NAMES, 2), /--seconds needs a value/);
    assert.throws(() => parseArgs(["--fast"], WORKLOAD_NAMES, 2), /unknown argument "--fast"/);
  });
});

describe("timing and rows", () => {
  test("timed: one warm-up step, then at least `seconds` and at least 3 steps", () => {
    let clock = 0;
    let calls = 0;
    const sps = timed(() => { calls++; clock += 0.5; }, 1.2, () => clock);
    // warm-up + 3 timed steps (1.5 s >= 1.2 s) -> 3 / 1.5
    assert.equal(calls, 4);
    assert.equal(sps, 2);
    clock = 0;
    calls = 0;
    assert.equal(timed(() => { calls++; clock += 10; }, 1, () => clock), 3 / 30); // slow steps: still 3
  });
  test("roundValue keeps 2 decimals, or 3 significant digits below 1", () => {
    assert.equal(roundValue(1234.5678), 1234.57);
    assert.equal(roundValue(0.012345), 0.0123);
    assert.equal(roundValue(2.975), 2.98);
  });
  test("rows print in the reference's key order and parse back, skipping other output", () => {
    const row = { workload: "fmnist-cnn", engine: "tfjs-wasm", threads: 1, unit: "samples/s", value: 12.5 };
    assert.equal(formatRow(row), '{"workload":"fmnist-cnn","engine":"tfjs-wasm","threads":1,"unit":"samples/s","value":12.5}');
    const torchOut = 'warning: something\n{"workload": "fmnist-cnn", "engine": "pytorch", "threads": 2, "unit": "samples/s", "value": 50.0}\nnot json {\n';
    assert.deepEqual(parseRows(torchOut), [{ workload: "fmnist-cnn", engine: "pytorch", threads: 2, unit: "samples/s", value: 50 }]);
  });
  test("compareRows uses the best PyTorch thread setting per workload", () => {
    const tfjs = [
      { workload: "a", engine: "tfjs-wasm", threads: 1, unit: "samples/s", value: 30 },
      { workload: "b", engine: "tfjs-wasm", threads: 1, unit: "steps/s", value: 1 },
    ];
    const torch = [
      { workload: "a", engine: "pytorch", threads: 1, unit: "samples/s", value: 40 },
      { workload: "a", engine: "pytorch", threads: 2, unit: "samples/s", value: 60 },
    ];
    const c = compareRows(tfjs, torch);
    assert.equal(c.length, 1, "workloads without a reference row are not compared");
    assert.deepEqual(c[0], { workload: "a", unit: "samples/s", tfjs: 30, tfjsEngine: "tfjs-wasm", pytorch: 60, pytorchThreads: 2, ratio: 0.5 });
  });
  test("the reference script is looked up beside the repository unless overridden", () => {
    const saved = process.env.PADAM_TORCH_REFERENCE;
    delete process.env.PADAM_TORCH_REFERENCE;
    try {
      assert.equal(torchReferencePath("/x/main"), "/x/shared/bench/torch_reference.py");
      process.env.PADAM_TORCH_REFERENCE = "/elsewhere/ref.py";
      assert.equal(torchReferencePath("/x/main"), "/elsewhere/ref.py");
    } finally {
      if (saved === undefined) delete process.env.PADAM_TORCH_REFERENCE;
      else process.env.PADAM_TORCH_REFERENCE = saved;
    }
  });
});

describe("workloads (tiny sizes)", () => {
  const tiny: WorkloadScale = { fmnistBatch: 2, resnetBatch: 2, lstmBatch: 2, lstmSteps: 3, lstmVocab: 50 };
  test("every workload steps on wasm without leaking tensors per step or after dispose", async () => {
    await initBackend({ backend: "wasm", quiet: true });
    for (const name of WORKLOAD_NAMES) {
      const before = tf.memory().numTensors;
      const prepared = prepareWorkload(name, tiny);
      assert.ok(prepared.length >= 1);
      for (const p of prepared) {
        assert.ok(p.perStep >= 1);
        p.step();
        const mid = tf.memory().numTensors;
        p.step();
        assert.equal(tf.memory().numTensors, mid, `${p.name}: a step must not leak tensors`);
      }
      for (const p of prepared) p.dispose();
      // Each optimizer keeps one scalar after dispose inside tfjs-core itself (tf.train.adam too).
      assert.ok(tf.memory().numTensors - before <= prepared.length, `${name}: ${tf.memory().numTensors - before} tensors left`);
    }
    assert.deepEqual(prepareWorkload("optimizer-step", tiny).map((p) => { p.dispose(); return p.name; }),
      ["optimizer-step", "optimizer-step:padam", "optimizer-step:tf.train.adam"]);
  });
});
