import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  buildMicroKernel,
  CEILING_SHAPES,
  buildProjectConvKernels,
  ceilingSummary,
  CONV_PRODUCTS,
  ConvShape,
  loadProjectConv,
  projectConvRows,
  projectConvSummary,
  projectConvSupport,
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

type Product = "forward" | "input-grad" | "filter-grad";

/**
 * The three products by their definitions, in float64, with the padding as bounds: y = Σ x·w,
 * dx = Σ dy·w and dW = Σ x·dy over every (input position, tap, output position) triple that
 * y[n,p,q,o] = Σ_{i,j,c} x[n, s·p+i−pad, s·q+j−pad, c] · w[i,j,c,o] links.
 */
function byDefinition(s: ConvShape, stride: number, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const [ho, wo] = [s.height, s.width].map((d) => Math.floor((d + 2 * s.pad - s.kernel) / stride) + 1);
  const out: Record<Product, Float64Array> = {
    forward: new Float64Array(s.batch * ho * wo * s.outC),
    "input-grad": new Float64Array(x.length),
    "filter-grad": new Float64Array(w.length),
  };
  for (let n = 0; n < s.batch; n++)
    for (let p = 0; p < ho; p++)
      for (let q = 0; q < wo; q++)
        for (let i = 0; i < s.kernel; i++)
          for (let j = 0; j < s.kernel; j++) {
            const [r, col] = [stride * p + i - s.pad, stride * q + j - s.pad];
            if (r < 0 || r >= s.height || col < 0 || col >= s.width) continue;
            for (let c = 0; c < s.inC; c++)
              for (let o = 0; o < s.outC; o++) {
                const xe = ((n * s.height + r) * s.width + col) * s.inC + c;
                const we = ((i * s.kernel + j) * s.inC + c) * s.outC + o;
                const ye = ((n * ho + p) * wo + q) * s.outC + o;
                out.forward[ye] += x[xe] * w[we];
                out["input-grad"][xe] += dy[ye] * w[we];
                out["filter-grad"][we] += x[xe] * dy[ye];
              }
          }
  return out;
}

describe(
  "the project's convolution kernels",
  { skip: tools ? false : "needs clang and lld (apt-get install -y clang lld)" },
  () => {
    const bytes = tools ? buildProjectConvKernels() : new Uint8Array();
    // 2x2 input, 3x3 kernel, pad 1: a 2x2 output, and every output position sees all 4 input
    // pixels through 4 of its 9 taps. Tap row i sees output rows p with 0 <= p + i - 1 < 2: one for
    // i = 0 and 2, two for i = 1 (the same for columns), cnt = (1, 2, 1).
    const hand: ConvShape = { name: "hand", batch: 1, height: 2, width: 2, inC: 8, outC: 8, kernel: 3, pad: 1 };
    test("constant inputs, worked by hand", () => {
      // x[..., c] = c + 1, w[i,j,c,o] = o, dy[..., o] = o:
      //   y[p,q,o] = Σ over 4 pixels and 8 channels of (c+1)·o = 4·36·o = 144·o;
      //   dx[h,w,c] = Σ over 4 (tap, position) pairs and 8 channels of o·o = 4·140 = 560;
      //   dW[i,j,c,o] = cnt(i)·cnt(j)·(c+1)·o.
      const k = loadProjectConv(bytes, hand, {
        x: Float32Array.from({ length: 32 }, (_, e) => (e % 8) + 1),
        filter: Float32Array.from({ length: 576 }, (_, e) => e % 8),
        dy: Float32Array.from({ length: 32 }, (_, e) => e % 8),
      });
      for (const p of CONV_PRODUCTS) k.run[p]();
      assert.deepEqual(
        Array.from(k.result("forward")),
        Array.from({ length: 32 }, (_, e) => 144 * (e % 8)),
      );
      assert.deepEqual(Array.from(k.result("input-grad")), new Array(32).fill(560));
      const dw = k.result("filter-grad");
      const cnt = [1, 2, 1];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let c = 0; c < 8; c++)
            for (let o = 0; o < 8; o++)
              assert.equal(dw[((i * 3 + j) * 8 + c) * 8 + o], cnt[i] * cnt[j] * (c + 1) * o, `dW[${i},${j},${c},${o}]`);
    });
    for (const [shape, stride] of [
      [{ name: "pad1", batch: 3, height: 7, width: 5, inC: 8, outC: 16, kernel: 3, pad: 1 }, 1],
      [{ name: "valid", batch: 2, height: 6, width: 7, inC: 16, outC: 8, kernel: 3, pad: 0 }, 1],
      [{ name: "5x5-pad2", batch: 1, height: 6, width: 9, inC: 8, outC: 8, kernel: 5, pad: 2 }, 1],
      [{ name: "stride2", batch: 2, height: 8, width: 7, inC: 4, outC: 8, kernel: 3, pad: 1 }, 2],
      [{ name: "chunked", batch: 1, height: 40, width: 40, inC: 8, outC: 8, kernel: 3, pad: 1 }, 1],
      // 9·96 = 864 terms > 512: the forward sum in blocks (3 row taps × 2 parts of 288 terms).
      [{ name: "deep-forward", batch: 2, height: 5, width: 6, inC: 96, outC: 8, kernel: 3, pad: 1 }, 1],
      // The input gradient is a forward pass over 96 channels: blocked the same way.
      [{ name: "deep-input-grad", batch: 2, height: 5, width: 6, inC: 8, outC: 96, kernel: 3, pad: 1 }, 1],
    ] as [ConvShape, number][]) {
      test(`${shape.name}: every product it takes equals the definition summed in float64`, () => {
        const [ho, wo] = [shape.height, shape.width].map(
          (d) => Math.floor((d + 2 * shape.pad - shape.kernel) / stride) + 1,
        );
        const rnd = (n: number, seed: number) => Float32Array.from({ length: n }, (_, e) => Math.sin(seed * (e + 1)));
        const t = {
          x: rnd(shape.batch * shape.height * shape.width * shape.inC, 1.3),
          filter: rnd(shape.kernel ** 2 * shape.inC * shape.outC, 0.3),
          dy: rnd(shape.batch * ho * wo * shape.outC, 0.7),
        };
        const want = byDefinition(shape, stride, t.x, t.filter, t.dy);
        const k = loadProjectConv(bytes, shape, t, stride);
        const support = projectConvSupport(shape, stride);
        const ran: string[] = [];
        for (const p of CONV_PRODUCTS) {
          if (support[p] !== undefined) {
            assert.throws(() => k.run[p](), new RegExp(`convolution ${shape.name}: the project's ${p} does not take`));
            continue;
          }
          k.run[p]();
          const got = k.result(p);
          assert.equal(got.length, want[p].length);
          for (let e = 0; e < got.length; e++)
            assert.ok(
              Math.abs(got[e] - want[p][e]) <= 1e-4 * (1 + Math.abs(want[p][e])),
              `${p}[${e}] = ${got[e]}, want ${want[p][e]}`,
            );
          // A second call gives the same numbers (it overwrites its output; the order is fixed).
          k.run[p]();
          assert.deepEqual(k.result(p), got);
          ran.push(p);
        }
        assert.deepEqual(ran, stride === 1 ? CONV_PRODUCTS : ["filter-grad"]);
      });
    }
    test("inputs of the wrong size and products it does not take are refused, naming the shape", () => {
      const odd: ConvShape = { name: "odd", batch: 1, height: 4, width: 4, inC: 3, outC: 8, kernel: 3, pad: 1 };
      const t = { x: new Float32Array(48), filter: new Float32Array(216), dy: new Float32Array(128) };
      assert.throws(
        () => loadProjectConv(bytes, odd, { ...t, x: new Float32Array(10) }),
        /convolution odd: x has 10 floats; the shape needs 48/,
      );
      assert.throws(() => loadProjectConv(bytes, odd, t, 0), /stride 0 must be a positive integer/);
      const k = loadProjectConv(bytes, odd, t);
      assert.throws(() => k.run["filter-grad"](), /3 input and 8 output channels \(multiples of 4 and 8 are needed\)/);
      assert.throws(() => k.run["input-grad"](), /3 input channels \(a multiple of 8 is needed\)/);
      k.run.forward(); // 8 output channels: taken
    });
    test("rows are measured for the products it takes only", () => {
      const rows = projectConvRows(bytes, [tiny, { ...tiny, name: "tiny4", inC: 4, outC: 8 }], 0.01);
      assert.deepEqual(
        rows.map((r) => [r.workload, r.engine, r.unit]),
        [
          ["ceiling:tiny4:forward", "project-simd128", "GFLOP/s"],
          ["ceiling:tiny4:filter-grad", "project-simd128", "GFLOP/s"],
        ],
      );
      for (const r of rows) assert.ok(r.value > 0);
    });
  },
);

test("the project kernels' summary: share of the ceiling and times the training kernel", () => {
  const row = (engine: string, value: number) => ({
    workload: "ceiling:x:filter-grad",
    engine,
    threads: 1,
    unit: "GFLOP/s",
    value,
  });
  const [line] = projectConvSummary([row("project-simd128", 24)], [row("tfjs-wasm", 6)], 30);
  assert.match(line, /x:filter-grad +24 GFLOP\/s = 80 % of the SIMD128 ceiling; 4x the training kernel \(6\)$/);
});

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
