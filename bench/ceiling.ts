/**
 * `npm run bench -- --ceiling [--compare]`: how far the convolution-bound workloads could get on
 * 128-bit wasm SIMD at best, measured.
 *
 * For the dominant convolution shapes of the benchmark's conv nets it times, on one thread:
 *
 * - the three products of a training step through the kernels training uses on this backend
 *   (forward `Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`; on `wasm` all run in
 *   XNNPACK, the filter gradient as a forward convolution, see src/backend/kernels);
 * - the same products in PyTorch (`torch_reference.py --conv-shapes`, oneDNN), with --compare;
 * - the arithmetic ceiling of wasm SIMD: a register-blocked matrix-product micro-kernel on
 *   L1-resident panels (`ceiling/gemm_simd128.c`, built with clang at run time), which no
 *   convolution written for this instruction set can exceed; its fastest call counts.
 *
 * Per network, the same ceiling bounds the whole training step: its convolutions alone take
 * {@link trainingConvFlops} operations per sample, so no implementation on this instruction set
 * trains more than ceiling / that many samples per second, whatever it does with the rest.
 *
 * Each product does the same arithmetic, F = 2·N·Ho·Wo·Cout·k²·Cin operations (a multiply-add
 * counts two), so every rate is F / time in GFLOP/s and the rates compare directly. The summary
 * gives, per product, the backend's rate as a share of the ceiling and ceiling / PyTorch: the
 * ratio to PyTorch that a convolution running at the ceiling would reach.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { buildModel } from "../src/models";
import { layerMacs, modelCost } from "../src/models/cost";
import { ResultRow, roundValue, timed } from "./harness";

/** One stride-1 convolution of a benchmark network, at the workload's batch. */
export interface ConvShape {
  /** Row name: `<workload>-<layer>`. */
  name: string;
  batch: number;
  height: number;
  width: number;
  inC: number;
  outC: number;
  kernel: number;
  /** Zero padding on each side. */
  pad: number;
}

/**
 * The convolutions that dominate each conv workload of `workloads.ts` (its batch, its layers):
 * fmnist-cnn's second layer, ResNet-20's first and last stage, ResNet-18's first and last stage.
 */
export const CEILING_SHAPES: readonly ConvShape[] = Object.freeze([
  { name: "fmnist-cnn-conv2", batch: 64, height: 13, width: 13, inC: 32, outC: 64, kernel: 3, pad: 0 },
  { name: "resnet20-stage1", batch: 128, height: 32, width: 32, inC: 16, outC: 16, kernel: 3, pad: 1 },
  { name: "resnet20-stage3", batch: 128, height: 8, width: 8, inC: 64, outC: 64, kernel: 3, pad: 1 },
  { name: "resnet18-stage1", batch: 32, height: 32, width: 32, inC: 64, outC: 64, kernel: 3, pad: 1 },
  { name: "resnet18-stage4", batch: 32, height: 4, width: 4, inC: 512, outC: 512, kernel: 3, pad: 1 },
]);

export const CONV_PRODUCTS = ["forward", "input-grad", "filter-grad"] as const;
export type ConvProduct = (typeof CONV_PRODUCTS)[number];

/** Output height and width of a stride-1 convolution: H + 2·pad − k + 1. */
export function convOutputSize(s: ConvShape): [number, number] {
  const ho = s.height + 2 * s.pad - s.kernel + 1;
  const wo = s.width + 2 * s.pad - s.kernel + 1;
  if (ho < 1 || wo < 1)
    throw new Error(`convolution ${s.name}: the ${s.kernel}x${s.kernel} kernel exceeds the padded input`);
  return [ho, wo];
}

/** Operations of each of the three products: 2·N·Ho·Wo·Cout·k²·Cin. */
export function convFlops(s: ConvShape): number {
  const [ho, wo] = convOutputSize(s);
  return 2 * s.batch * ho * wo * s.outC * s.kernel * s.kernel * s.inC;
}

/** The conv nets of `workloads.ts` whose training steps the ceiling bounds. */
export const CEILING_NETWORKS = Object.freeze([
  { workload: "fmnist-cnn", model: "fmnist-cnn" },
  { workload: "cifar-resnet20", model: "resnet20" },
  { workload: "cifar-resnet18", model: "resnet18" },
] as const);

/**
 * Convolution operations of one training sample: forward, input gradient and filter gradient of
 * every convolution (2·MACs each), less the input gradient of the first convolution when nothing
 * trainable precedes it (no one needs the gradient of the images). Dense layers, batch norm and
 * the rest are left out, so ceiling / this is an upper bound on samples per second.
 */
export function trainingConvFlops(model: tf.LayersModel): number {
  const conv = modelCost(model).byType.Conv2D ?? 0;
  let firstInputGrad = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() === "Conv2D") {
      firstInputGrad = layerMacs(layer) ?? 0;
      break;
    }
    if (layer.trainableWeights.length > 0) break;
  }
  return 2 * (3 * conv - firstInputGrad);
}

/** Per network: operations per sample and the most samples/s the ceiling allows. */
export function networkBounds(peakGflops: number): { workload: string; flopsPerSample: number; maxSamples: number }[] {
  return CEILING_NETWORKS.map(({ workload, model: name }) => {
    const model = buildModel(name, { seed: 0 });
    const flopsPerSample = trainingConvFlops(model);
    model.dispose();
    return { workload, flopsPerSample, maxSamples: roundValue((peakGflops * 1e9) / flopsPerSample) };
  });
}

/** The products as the active tfjs backend runs them in training, each ending with a read-back. */
export function tfjsConvProducts(s: ConvShape): { run: Record<ConvProduct, () => void>; dispose: () => void } {
  const [ho, wo] = convOutputSize(s);
  const x = tf.randomNormal([s.batch, s.height, s.width, s.inC], 0, 1, "float32", 1);
  const filter = tf.randomNormal([s.kernel, s.kernel, s.inC, s.outC], 0, 1, "float32", 2);
  const dy = tf.randomNormal([s.batch, ho, wo, s.outC], 0, 1, "float32", 3);
  const pad = [
    [0, 0],
    [s.pad, s.pad],
    [s.pad, s.pad],
    [0, 0],
  ];
  const attrs = { strides: [1, 1], pad, dataFormat: "NHWC", dilations: [1, 1] };
  const readBack = (t: tf.Tensor | tf.Tensor[]) => {
    const out = Array.isArray(t) ? t[0] : t;
    out.dataSync();
    out.dispose();
  };
  const kernel = (name: string, inputs: tf.NamedTensorMap, extra: object) => () =>
    readBack(tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor);
  return {
    run: {
      forward: kernel("Conv2D", { x, filter }, {}),
      "input-grad": kernel("Conv2DBackpropInput", { dy, filter }, { inputShape: x.shape }),
      "filter-grad": kernel("Conv2DBackpropFilter", { x, dy }, { filterShape: filter.shape }),
    },
    dispose: () => tf.dispose([x, filter, dy]),
  };
}

/** Rows `ceiling:<shape>:<product>` in GFLOP/s for the active tfjs backend. */
export function tfjsCeilingRows(
  shapes: readonly ConvShape[],
  seconds: number,
  engine: string,
  threads: number,
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const s of shapes) {
    const p = tfjsConvProducts(s);
    for (const op of CONV_PRODUCTS) {
      const rate = timed(p.run[op], seconds);
      rows.push({
        workload: `ceiling:${s.name}:${op}`,
        engine,
        threads,
        unit: "GFLOP/s",
        value: roundValue((rate * convFlops(s)) / 1e9),
      });
    }
    p.dispose();
  }
  return rows;
}

// --- the micro-kernel ----------------------------------------------------------------------

/** Register tiles of `gemm_simd128.c`: MR rows by 8 columns. */
export const MICRO_TILES = [4, 6] as const;

/**
 * Compiles C files of `ceiling/` to one wasm module (SIMD128, bulk memory) in a temporary folder,
 * exporting `exports`; throws with the reason when it cannot. With `importMemory` the module
 * imports `env.memory` (to run on tfjs's heap) and has no stack, so the code must not need one.
 */
export function buildCeilingWasm(
  sources: readonly string[],
  exports: readonly string[],
  options: { importMemory?: boolean } = {},
): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "padam-ceiling-"));
  try {
    const objs = sources.map((_, i) => path.join(dir, `kernel${i}.o`));
    const wasm = path.join(dir, "kernel.wasm");
    const steps: [string, string[]][] = sources.map((source, i) => [
      "clang",
      [
        "--target=wasm32",
        "-nostdlib",
        "-ffreestanding",
        "-O3",
        "-msimd128",
        // memset/memcpy become memory.fill/copy instructions instead of calls to a libc.
        "-mbulk-memory",
        "-Wall",
        "-Werror",
        "-c",
        "-o",
        objs[i],
        source,
      ],
    ]);
    steps.push([
      "wasm-ld",
      [
        "--no-entry",
        ...exports.map((e) => `--export=${e}`),
        ...(options.importMemory ? ["--import-memory", "-z", "stack-size=0"] : ["--initial-memory=1048576"]),
        "-o",
        wasm,
        ...objs,
      ],
    ]);
    for (const [cmd, args] of steps) {
      const r = spawnSync(cmd, args, { encoding: "utf8" });
      if (r.error !== undefined || r.status !== 0)
        throw new Error(
          `${cmd} failed (${r.error?.message ?? (r.stderr || "").trim().split("\n").pop()}); on Debian: apt-get install -y clang lld`,
        );
    }
    return new Uint8Array(fs.readFileSync(wasm));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiles `ceiling/gemm_simd128.c`, the micro-kernel of the ceiling. */
export function buildMicroKernel(source = path.join(__dirname, "ceiling", "gemm_simd128.c")): Uint8Array {
  return buildCeilingWasm(
    [source],
    MICRO_TILES.map((m) => `gemm_${m}x8`),
  );
}

/** Byte offset of the panels: above the 64 KiB the linker reserves for a stack the kernel does not use. */
const PANEL_BASE = 128 * 1024;

type Gemm = (reps: number, k: number, a: number, b: number, c: number) => void;

/** The parts of the global `WebAssembly` used here (the project's `lib` has no DOM types). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
type WasmMemory = { readonly buffer: ArrayBuffer };
const Wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/** The built module's tiles: `gemm(mr)(reps, K, A, B)` adds reps·A·B to C and returns C (MR×8, row-major). */
export function loadMicroKernel(bytes: Uint8Array): {
  gemm: (mr: number, reps: number, a: Float32Array, b: Float32Array, c: Float32Array) => Float32Array;
  raw: (mr: number) => { fn: Gemm; memory: WasmMemory };
} {
  const instance = new Wasm.Instance(new Wasm.Module(bytes), {});
  const memory = instance.exports.memory as WasmMemory;
  const fn = (mr: number) => {
    const f = instance.exports[`gemm_${mr}x8`];
    if (typeof f !== "function")
      throw new Error(`micro-kernel tile ${mr}x8 is not built; built: ${MICRO_TILES.join(", ")}`);
    return f as Gemm;
  };
  return {
    raw: (mr) => ({ fn: fn(mr), memory }),
    gemm: (mr, reps, a, b, c) => {
      const k = a.length / mr;
      if (!Number.isInteger(k) || b.length !== 8 * k || c.length !== 8 * mr)
        throw new Error(
          `micro-kernel ${mr}x8: panels of ${a.length}, ${b.length}, ${c.length} floats do not fit K = ${k}`,
        );
      const heap = new Float32Array(memory.buffer);
      const [pa, pb, pc] = [PANEL_BASE, PANEL_BASE + a.byteLength, PANEL_BASE + a.byteLength + b.byteLength];
      heap.set(a, pa / 4);
      heap.set(b, pb / 4);
      heap.set(c, pc / 4);
      fn(mr)(reps, k, pa, pb, pc);
      return heap.slice(pc / 4, pc / 4 + c.length);
    },
  };
}

/** Panel depth of the peak measurement: A (6×256) and B (256×8) floats take 14 KiB, well inside L1. */
const PEAK_K = 256;

/**
 * GFLOP/s of each tile: the fastest of its calls (about 3 ms each) over `seconds`, after enough
 * short calls for V8 to replace its baseline code by the optimized one (a running call is never
 * replaced). The fastest call is the least disturbed by other work on the machine, so the ceiling
 * errs high: bounds derived from it hold on a busy machine too.
 */
export function microKernelPeak(
  bytes: Uint8Array,
  seconds: number,
  now: () => number = () => performance.now() / 1000,
): { tile: string; gflops: number }[] {
  const kernel = loadMicroKernel(bytes);
  return MICRO_TILES.map((mr) => {
    const { fn, memory } = kernel.raw(mr);
    const heap = new Float32Array(memory.buffer);
    const [pa, pb, pc] = [PANEL_BASE, PANEL_BASE + 4 * mr * PEAK_K, PANEL_BASE + 4 * (mr + 8) * PEAK_K];
    for (let i = 0; i < (mr + 8) * PEAK_K + 8 * mr; i++) heap[pa / 4 + i] = ((i % 7) - 3) * 1e-3;
    for (let i = 0; i < 200; i++) fn(10, PEAK_K, pa, pb, pc);
    const reps = 4000;
    let fastest = Infinity;
    for (const end = now() + seconds; now() < end || fastest === Infinity;) {
      const start = now();
      fn(reps, PEAK_K, pa, pb, pc);
      fastest = Math.min(fastest, now() - start);
    }
    return { tile: `${mr}x8`, gflops: roundValue((reps * 2 * mr * 8 * PEAK_K) / fastest / 1e9) };
  });
}

/** Summary lines: per shape and product, the backend's share of the ceiling and ceiling / PyTorch. */
export function ceilingSummary(rows: ResultRow[], peak: number, torch: ResultRow[]): string[] {
  return rows.map((r) => {
    const t = torch.find((x) => x.workload === r.workload);
    return rateLine(
      r,
      peak,
      t === undefined ? "" : `; PyTorch ${t.value}, ceiling / PyTorch ${roundValue(peak / t.value)}`,
    );
  });
}

/** One summary line: the row's convolution and rate, its share of the ceiling, then `rest`. */
function rateLine(r: ResultRow, peak: number, rest: string): string {
  const share = `${Math.round((100 * r.value) / peak)} % of the SIMD128 ceiling`;
  return `${r.workload.replace(/^ceiling:/, "").padEnd(32)} ${String(r.value).padStart(7)} GFLOP/s = ${share}${rest}`;
}

// --- the project's own convolution kernels -------------------------------------------------

/** The C files of the project's kernels: the filter gradient, the forward pass and the input gradient. */
const PROJECT_CONV_SOURCES = ["conv_filter_grad.c", "conv_direct.c"];

/** The functions the project's convolution kernels export. */
export const PROJECT_CONV_EXPORTS = ["conv_filter_grad", "conv_forward", "conv_input_grad"];

/**
 * Compiles the project's convolution kernels (`ceiling/conv_filter_grad.c`, `ceiling/conv_direct.c`);
 * with `importMemory`, to run on tfjs's heap (`project_kernels.ts`).
 */
export function buildProjectConvKernels(
  dir = path.join(__dirname, "ceiling"),
  options: { importMemory?: boolean } = {},
): Uint8Array {
  return buildCeilingWasm(
    PROJECT_CONV_SOURCES.map((f) => path.join(dir, f)),
    PROJECT_CONV_EXPORTS,
    options,
  );
}

/** Engine name of the project kernels' rows. */
export const PROJECT_CONV_ENGINE = "project-simd128";

/** Which products the project's kernels take for a shape (channel counts), and why not. */
export function projectConvSupport(s: ConvShape, stride = 1): Record<ConvProduct, string | undefined> {
  const stride1 = stride === 1 ? undefined : `stride ${stride} (the kernel takes stride 1)`;
  return {
    forward: stride1 ?? (s.outC % 8 === 0 ? undefined : `${s.outC} output channels (a multiple of 8 is needed)`),
    "input-grad":
      stride1 ??
      (s.inC % 8 !== 0
        ? `${s.inC} input channels (a multiple of 8 is needed)`
        : s.pad > s.kernel - 1
          ? `padding ${s.pad} beyond the kernel's ${s.kernel - 1}`
          : undefined),
    "filter-grad":
      s.inC % 4 === 0 && s.outC % 8 === 0
        ? undefined
        : `${s.inC} input and ${s.outC} output channels (multiples of 4 and 8 are needed)`,
  };
}

type KernelFn = (...args: number[]) => number;
const projectInstances = new WeakMap<Uint8Array, { exports: Record<string, unknown> }>();

/** Tensors of one convolution, channels last: x [N,H,W,C], filter [k,k,C,O], dy [N,Ho,Wo,O]. */
export interface ConvTensors {
  x: Float32Array;
  filter: Float32Array;
  dy: Float32Array;
}

/**
 * The project's kernels for one shape (and stride, 1 unless given; only the filter gradient takes
 * another): the tensors are written into the module's memory once; `run[product]()` computes
 * that product there (what the benchmark times, as tfjs's kernels are timed on tensors already in
 * their memory) and `result(product)` copies it out (y, dx or dW). Bad sizes are refused here,
 * naming the shape; so is running a product the kernels do not take (`projectConvSupport`). All
 * shapes loaded from one build share its memory: use the handle of the latest call only.
 */
export function loadProjectConv(
  bytes: Uint8Array,
  s: ConvShape,
  t: ConvTensors,
  stride = 1,
): { run: Record<ConvProduct, () => void>; result: (p: ConvProduct) => Float32Array } {
  if (!Number.isInteger(stride) || stride < 1)
    throw new Error(`convolution ${s.name}: stride ${stride} must be a positive integer`);
  convOutputSize(s); // refuses a kernel larger than the padded input
  const [ho, wo] = [s.height, s.width].map((d) => Math.floor((d + 2 * s.pad - s.kernel) / stride) + 1);
  const k2 = s.kernel ** 2;
  const xSize = s.batch * s.height * s.width * s.inC;
  const sizes = {
    x: xSize,
    filter: k2 * s.inC * s.outC,
    dy: s.batch * ho * wo * s.outC,
  };
  for (const [name, n] of Object.entries(sizes))
    if (t[name as keyof ConvTensors].length !== n)
      throw new Error(
        `convolution ${s.name}: ${name} has ${t[name as keyof ConvTensors].length} floats; the shape needs ${n}`,
      );
  const scratch = Math.max(
    s.batch * (s.height + 2 * s.pad) * (s.width + 2 * s.pad) * s.inC,
    k2 * s.inC * s.outC + s.batch * (s.height + s.kernel - 1) * (s.width + s.kernel - 1) * s.outC,
  );
  const layout: [string, number][] = [
    ["x", sizes.x],
    ["filter", sizes.filter],
    ["dy", sizes.dy],
    ["filter-grad", sizes.filter],
    ["forward", sizes.dy],
    ["input-grad", xSize],
    ["scratch", scratch],
  ];
  let instance = projectInstances.get(bytes);
  if (instance === undefined) {
    // One instance per build: a fresh one would start in V8's baseline tier again.
    instance = new Wasm.Instance(new Wasm.Module(bytes), {});
    projectInstances.set(bytes, instance);
  }
  const exported = instance.exports;
  const memory = exported.memory as WasmMemory & { grow(pages: number): number };
  const fn = (name: string) => exported[name] as KernelFn;
  // Each array starts on a 16-byte boundary above the linker's stack.
  const at: Record<string, number> = {};
  let end = PANEL_BASE;
  for (const [name, n] of layout) {
    at[name] = end;
    end += Math.ceil((4 * n) / 16) * 16;
  }
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(memory.buffer);
  for (const name of ["x", "filter", "dy"] as const) heap.set(t[name], at[name] / 4);
  const support = projectConvSupport(s, stride);
  const call = (product: ConvProduct, name: string, args: number[]) => () => {
    const why = support[product];
    if (why !== undefined) throw new Error(`convolution ${s.name}: the project's ${product} does not take ${why}`);
    const rc = fn(name)(...args);
    if (rc !== 0) throw new Error(`convolution ${s.name}: the ${product} kernel refused the shape (code ${rc})`);
  };
  const { batch: n, height: h, width: w, inC: c, outC: o, kernel: k, pad } = s;
  return {
    run: {
      forward: call("forward", "conv_forward", [n, h, w, c, o, k, pad, at.x, at.filter, at.forward, at.scratch]),
      "input-grad": call("input-grad", "conv_input_grad", [
        n,
        h,
        w,
        c,
        o,
        k,
        pad,
        at.dy,
        at.filter,
        at["input-grad"],
        at.scratch,
      ]),
      "filter-grad": call("filter-grad", "conv_filter_grad", [
        n,
        h,
        w,
        c,
        o,
        k,
        stride,
        pad,
        at.x,
        at.dy,
        at["filter-grad"],
      ]),
    },
    result: (p) => {
      const size = p === "filter-grad" ? sizes.filter : p === "forward" ? sizes.dy : xSize;
      return new Float32Array(memory.buffer).slice(at[p] / 4, at[p] / 4 + size);
    },
  };
}

/** Rows `ceiling:<shape>:<product>` in GFLOP/s for the project's kernels, on the products they take. */
export function projectConvRows(bytes: Uint8Array, shapes: readonly ConvShape[], seconds: number): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const s of shapes) {
    const [ho, wo] = convOutputSize(s);
    const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => (((i * seed) % 13) - 6) / 6);
    const kernel = loadProjectConv(bytes, s, {
      x: fill(s.batch * s.height * s.width * s.inC, 7),
      filter: fill(s.kernel ** 2 * s.inC * s.outC, 5),
      dy: fill(s.batch * ho * wo * s.outC, 11),
    });
    const support = projectConvSupport(s);
    for (const op of CONV_PRODUCTS) {
      if (support[op] !== undefined) continue;
      const rate = timed(kernel.run[op], seconds);
      rows.push({
        workload: `ceiling:${s.name}:${op}`,
        engine: PROJECT_CONV_ENGINE,
        threads: 1,
        unit: "GFLOP/s",
        value: roundValue((rate * convFlops(s)) / 1e9),
      });
    }
  }
  return rows;
}

/**
 * Summary lines for the project's kernels: per shape and product, the rate, its share of the
 * ceiling, and how many times the rate of the kernel training uses today (`training`: that
 * backend's rows).
 */
export function projectConvSummary(own: ResultRow[], training: ResultRow[], peak: number): string[] {
  return own.map((r) => {
    const t = training.find((x) => x.workload === r.workload);
    return rateLine(
      r,
      peak,
      t === undefined ? "" : `; ${roundValue(r.value / t.value)}x the training kernel (${t.value})`,
    );
  });
}
