import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  buildMicroKernel,
  CEILING_SHAPES,
  ceilingSummary,
  ConvShape,
  convFlops,
  convOutputSize,
  loadMicroKernel,
  microKernelPeak,
  tfjsCeilingRows,
  trainingConvFlops,
} from "./ceiling";
import { parseArgs, SYSTEM_PYTHON, torchReferencePath, torchUnavailable } from "./harness";
import { WORKLOAD_NAMES } from "./workloads";
import { initBackend } from "../src/backend";
import { buildModel } from "../src/models";

const tiny: ConvShape = { name: "tiny", batch: 2, height: 4, width: 4, inC: 3, outC: 5, kernel: 3, pad: 1 };

describe("convolution arithmetic", () => {
  test("output size and operation count, worked by hand", () => {
    // 4x4 input, 3x3 kernel, pad 1: 4x4 output; 2·2·4·4·5·9·3 = 8,640 operations.
    assert.deepEqual(convOutputSize(tiny), [4, 4]);
    assert.equal(convFlops(tiny), 8640);
    // fmnist-cnn's second layer: 13x13, no padding -> 11x11; 2·64·121·64·9·32 = 285,474,816.
    const fmnist = CEILING_SHAPES.find((s) => s.name === "fmnist-cnn-conv2")!;
    assert.deepEqual(convOutputSize(fmnist), [11, 11]);
    assert.equal(convFlops(fmnist), 285474816);
  });
  test("a training sample's convolution operations, worked by hand for fmnist-cnn", async () => {
    await initBackend({ backend: "cpu", quiet: true });
    // conv1 26·26·32·(3·3·1) = 194,688 MACs, conv2 11·11·64·(3·3·32) = 2,230,272: forward, input
    // and filter gradient of both, less conv1's input gradient (the images need none), 2 FLOPs per
    // MAC: 2·(3·2,424,960 − 194,688) = 14,160,384.
    const model = buildModel("fmnist-cnn", { seed: 0 });
    assert.equal(trainingConvFlops(model), 14160384);
    model.dispose();
  });
  test("a kernel larger than the padded input is refused by name", () => {
    assert.throws(() => convOutputSize({ ...tiny, name: "big", kernel: 7, pad: 0 }), /convolution big: the 7x7 kernel/);
  });
});

describe("parseArgs --ceiling", () => {
  test("is a mode of its own", () => {
    assert.equal(parseArgs(["--ceiling", "--compare"], WORKLOAD_NAMES, 2).ceiling, true);
    assert.throws(() => parseArgs(["--ceiling", "--memory"], WORKLOAD_NAMES, 2), /--ceiling and --memory/);
    assert.throws(() => parseArgs(["--ceiling", "--only", "fmnist-cnn"], WORKLOAD_NAMES, 2), /--only applies/);
  });
});

const tools = ["clang", "wasm-ld"].every((t) => spawnSync(t, ["--version"]).status === 0);
describe(
  "wasm SIMD micro-kernel",
  { skip: tools ? false : "needs clang and lld (apt-get install -y clang lld)" },
  () => {
    const bytes = tools ? buildMicroKernel() : new Uint8Array();
    for (const mr of [4, 6]) {
      test(`${mr}x8 tile adds reps·A·B to C (hand-worked values)`, () => {
        // K = 2: column 0 of A is (1, 2, ..., MR), column 1 all 2; row 0 of B is (0, 1, ..., 7),
        // row 1 all 1. So (A·B)[i][j] = (i+1)·j + 2, and after 3 repetitions from C = 1:
        // C[i][j] = 1 + 3·((i+1)·j + 2).
        const a = new Float32Array(2 * mr);
        for (let i = 0; i < mr; i++) [a[i], a[mr + i]] = [i + 1, 2];
        const b = Float32Array.from({ length: 16 }, (_, q) => (q < 8 ? q : 1));
        const c = loadMicroKernel(bytes).gemm(mr, 3, a, b, new Float32Array(8 * mr).fill(1));
        for (let i = 0; i < mr; i++)
          for (let j = 0; j < 8; j++) assert.equal(c[8 * i + j], 1 + 3 * ((i + 1) * j + 2), `C[${i}][${j}]`);
      });
    }
    test("panels that do not fit the tile are refused", () => {
      assert.throws(
        () => loadMicroKernel(bytes).gemm(4, 1, new Float32Array(8), new Float32Array(8), new Float32Array(32)),
        /micro-kernel 4x8: panels of 8, 8, 32 floats do not fit K = 2/,
      );
    });
    test("the peak measurement reports each tile's rate", () => {
      const peak = microKernelPeak(bytes, 0.05);
      assert.deepEqual(
        peak.map((p) => p.tile),
        ["4x8", "6x8"],
      );
      for (const p of peak) assert.ok(p.gflops > 0.1, `${p.tile}: ${p.gflops} GFLOP/s`);
    });
  },
);

describe("tfjs products", () => {
  test("run the training kernels on each backend and leave no tensor behind", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      await initBackend({ backend, threads: 1, quiet: true });
      const before = tf.memory().numTensors;
      const rows = tfjsCeilingRows([tiny], 0.01, `tfjs-${backend}`, 1);
      assert.deepEqual(
        rows.map((r) => r.workload),
        ["ceiling:tiny:forward", "ceiling:tiny:input-grad", "ceiling:tiny:filter-grad"],
      );
      for (const r of rows) assert.ok(r.value > 0 && r.unit === "GFLOP/s", JSON.stringify(r));
      assert.equal(tf.memory().numTensors, before);
    }
  });
});

describe("summary", () => {
  test("share of the ceiling and ceiling / PyTorch", () => {
    const row = (engine: string, value: number) => ({
      workload: "ceiling:x:forward",
      engine,
      threads: 1,
      unit: "GFLOP/s",
      value,
    });
    const [line] = ceilingSummary([row("tfjs-wasm", 15)], 20, [row("pytorch", 80)]);
    assert.match(line, /x:forward +15 GFLOP\/s = 75 % of the SIMD128 ceiling; PyTorch 80, ceiling \/ PyTorch 0\.25$/);
    assert.doesNotMatch(ceilingSummary([row("tfjs-wasm", 15)], 20, [])[0], /PyTorch/);
  });
});

// A benchmark reference only (Debian: apt-get install python3-torch): without it, say so and skip.
const torchMissing = torchUnavailable(torchReferencePath(path.resolve(__dirname, "..")));
test("PyTorch times the same shapes and counts the same operations", { skip: torchMissing ?? false }, () => {
  const script = torchReferencePath(path.resolve(__dirname, ".."));
  const shapes = [tiny, CEILING_SHAPES[0]];
  const probe = [
    `import sys, json; sys.path.insert(0, ${JSON.stringify(path.dirname(script))}); import torch_reference as t`,
    `shapes = json.loads(${JSON.stringify(JSON.stringify(shapes))})`,
    "print(json.dumps([t.conv_flops(s) for s in shapes]))",
    "rows = []; t.conv_ceiling(shapes[:1], 0.01, lambda w, u, v: rows.append([w, u, v])); print(json.dumps(rows))",
  ].join("\n");
  const r = spawnSync(SYSTEM_PYTHON, ["-c", probe], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const [flops, rows] = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(flops, [8640, 285474816]);
  assert.deepEqual(
    rows.map((x: unknown[]) => x.slice(0, 2)),
    [
      ["ceiling:tiny:forward", "GFLOP/s"],
      ["ceiling:tiny:input-grad", "GFLOP/s"],
      ["ceiling:tiny:filter-grad", "GFLOP/s"],
    ],
  );
});
