/**
 * The project's own convolution kernels (`ceiling/conv_filter_grad.c`, `ceiling/conv_direct.c`)
 * put in place of the ones training uses on the single-threaded `wasm` backend, for
 * `npm run bench -- --ceiling`: how fast the conv nets would train with them.
 *
 * They are not used in training yet: the kernels that training uses are determining sources of
 * the reference runs (docs/evidence.md), and these sum in another order, so every committed
 * run would become unverifiable. Here they are switched on and off per call (`setEnabled`), so
 * the same prepared workload is timed both ways in turns.
 *
 * The module imports the memory of tfjs's wasm module and works on the tensors where they are:
 * no copies. It is linked without a stack (`-z stack-size=0`): the kernels keep everything in
 * registers and locals, so it writes nothing but the outputs and the scratch buffer it is given
 * (a test checks that every other byte is left alone). Calls the kernels do not take (stride
 * other than 1 for the forward and input gradient, unequal padding, dilation, channels that are
 * not multiples of 4 or 8, a bias or activation fused into the forward pass, NCHW) go to the
 * kernel that was registered before.
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { buildProjectConvKernels, type ConvProduct, PROJECT_CONV_EXPORTS, projectConvSupport } from "./ceiling";
import { ResultRow, roundValue, timedInterleaved } from "./harness";
import { prepareWorkload, REFERENCE_SCALE, WorkloadName, WorkloadScale } from "./workloads";

type KernelFn = (...args: number[]) => number;

/** The C files and exports of the project's convolution kernels. */
/** Builds the kernels to run on an imported memory (tfjs's heap). */
export function buildImportedConvKernels(dir = path.join(__dirname, "ceiling")): Uint8Array {
  return buildProjectConvKernels(dir, { importMemory: true });
}

interface Memory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Instantiates the kernels on `memory`; returns the three functions by export name. */
export function instantiateOn(bytes: Uint8Array, memory: Memory): Record<string, KernelFn> {
  const instance = new Wasm.Instance(new Wasm.Module(bytes), { env: { memory } });
  return Object.fromEntries(PROJECT_CONV_EXPORTS.map((e) => [e, instance.exports[e] as KernelFn]));
}

interface WasmBackend {
  wasm: { asm: { memory?: Memory }; wasmMemory?: Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Square kernel, equal padding on all sides, channels last: the geometry the kernels take, or undefined. */
function geometry(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
): { k: number; pad: number; stride: number } | undefined {
  if (((attrs.dataFormat as string | undefined) ?? "NHWC") !== "NHWC") return undefined;
  const dil = attrs.dilations ?? 1;
  if (!(dil === 1 || (Array.isArray(dil) && (dil as unknown[]).every((d) => d === 1)))) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  const { top, bottom, left, right } = info.padInfo;
  if (info.filterHeight !== info.filterWidth || info.strideHeight !== info.strideWidth) return undefined;
  if (!(top === bottom && bottom === left && left === right)) return undefined;
  const k = info.filterHeight;
  // Output sizes must be the ones the kernels compute from (H + 2·pad − k)/stride + 1.
  if (info.outHeight !== Math.floor((info.inHeight + 2 * top - k) / info.strideHeight) + 1) return undefined;
  if (info.outWidth !== Math.floor((info.inWidth + 2 * left - k) / info.strideWidth) + 1) return undefined;
  return { k, pad: top, stride: info.strideHeight };
}

/** Whether the project's kernel for `product` takes this geometry (the rule is `projectConvSupport`'s). */
function takes(
  product: ConvProduct,
  g: ReturnType<typeof geometry>,
  [batch, height, width, inC]: number[],
  outC: number,
): g is NonNullable<ReturnType<typeof geometry>> {
  if (g === undefined) return false;
  const shape = { name: "", batch, height, width, inC, outC, kernel: g.k, pad: g.pad };
  return projectConvSupport(shape, g.stride)[product] === undefined;
}

/**
 * Registers the project's kernels on `wasm` in front of the current ones and returns a switch
 * (`setEnabled`) and `restore()`, which puts the previous kernels back. One thread only: with the
 * threaded build's shared memory it throws before registering anything.
 */
export function useProjectConvKernels(bytes: Uint8Array): {
  setEnabled: (on: boolean) => void;
  restore: () => void;
  /** How many calls each replaced kernel answered itself (not passed on), by kernel name. */
  calls: Record<string, number>;
} {
  if (tf.getBackend() !== "wasm") throw new Error(`project kernels: backend ${tf.getBackend()}; they run on wasm`);
  const b = tf.backend() as unknown as WasmBackend;
  const memory = b.wasm.wasmMemory ?? b.wasm.asm.memory;
  if (memory === undefined) throw new Error("project kernels: the tfjs wasm module exposes no memory");
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer)
    throw new Error(
      "project kernels: the threaded wasm build is running; they are measured on one thread (--threads 1)",
    );
  const fns = instantiateOn(bytes, memory);
  let enabled = true;
  const at = (t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;
  const scratch = <T>(floats: number, f: (ptr: number) => T): T => {
    const s = b.makeOutput([Math.max(1, floats)], "float32");
    try {
      return f(at(s));
    } finally {
      b.disposeData(s.dataId);
    }
  };
  const check = (name: string, rc: number) => {
    if (rc !== 0) throw new Error(`project kernels: ${name} refused a shape it was given (code ${rc})`);
  };

  const forward = (args: Args): tf.TensorInfo | undefined => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs ?? {};
    if (bias || preluActivationWeights || ((attrs.activation as string | undefined) ?? "linear") !== "linear")
      return undefined;
    const g = geometry(x!.shape, filter!.shape, attrs);
    const [n, h, w, c] = x!.shape;
    const o = filter!.shape[3];
    if (!takes("forward", g, [n, h, w, c], o)) return undefined;
    const ho = h + 2 * g.pad - g.k + 1,
      wo = w + 2 * g.pad - g.k + 1;
    const y = b.makeOutput([n, ho, wo, o], "float32");
    scratch(n * (h + 2 * g.pad) * (w + 2 * g.pad) * c, (s) =>
      check("conv_forward", fns.conv_forward(n, h, w, c, o, g.k, g.pad, at(x!), at(filter!), at(y), s)),
    );
    return y;
  };
  const inputGrad = (args: Args): tf.TensorInfo | undefined => {
    const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs ?? {};
    const xShape = attrs.inputShape as number[];
    const g = geometry(xShape, filter.shape, attrs);
    const [n, h, w, c] = xShape;
    const o = filter.shape[3];
    if (!takes("input-grad", g, [n, h, w, c], o)) return undefined;
    const dx = b.makeOutput(xShape, "float32");
    scratch(g.k * g.k * c * o + n * (h + g.k - 1) * (w + g.k - 1) * o, (s) =>
      check("conv_input_grad", fns.conv_input_grad(n, h, w, c, o, g.k, g.pad, at(dy), at(filter), at(dx), s)),
    );
    return dx;
  };
  const filterGrad = (args: Args): tf.TensorInfo | undefined => {
    const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs ?? {};
    const filterShape = attrs.filterShape as number[];
    const g = geometry(x.shape, filterShape, attrs);
    const [n, h, w, c] = x.shape;
    const o = filterShape[3];
    if (!takes("filter-grad", g, [n, h, w, c], o)) return undefined;
    const dw = b.makeOutput(filterShape, "float32");
    check("conv_filter_grad", fns.conv_filter_grad(n, h, w, c, o, g.k, g.stride, g.pad, at(x), at(dy), at(dw)));
    return dw;
  };

  const replaced: tf.KernelConfig[] = [];
  const calls: Record<string, number> = {};
  const wrap = (name: string, own: (args: Args) => tf.TensorInfo | undefined) => {
    const previous = tf.getKernel(name, "wasm");
    if (previous === undefined) throw new Error(`project kernels: wasm has no ${name} to stand in for`);
    replaced.push(previous);
    tf.unregisterKernel(name, "wasm");
    calls[name] = 0;
    tf.registerKernel({
      ...previous,
      kernelFunc: ((args: Args) => {
        const out = enabled ? own(args) : undefined;
        if (out === undefined) return (previous.kernelFunc as (a: Args) => tf.TensorInfo)(args);
        calls[name]++;
        return out;
      }) as tf.KernelFunc,
    });
  };
  wrap("Conv2D", forward);
  wrap("FusedConv2D", forward);
  wrap("Conv2DBackpropInput", inputGrad);
  wrap("Conv2DBackpropFilter", filterGrad);
  return {
    calls,
    setEnabled: (on) => {
      enabled = on;
    },
    restore: () => {
      for (const k of replaced) {
        tf.unregisterKernel(k.kernelName, "wasm");
        tf.registerKernel(k);
      }
      replaced.length = 0;
    },
  };
}

/** Engine names of the two sides of `projectKernelRows`. */
export const WITH_PROJECT_KERNELS = "tfjs-wasm+project-kernels";

/**
 * Training throughput of each workload with the kernels training uses and with the project's,
 * timed in turns on the same prepared workload (one thread): rows `<workload>` of engines
 * `tfjs-wasm` and {@link WITH_PROJECT_KERNELS}, and how many calls of each kernel the project's
 * answered per step.
 */
export function projectKernelRows(
  bytes: Uint8Array,
  workloads: readonly WorkloadName[],
  seconds: number,
  scale: WorkloadScale = REFERENCE_SCALE,
): { rows: ResultRow[]; answeredPerStep: Record<string, Record<string, number>> } {
  const k = useProjectConvKernels(bytes);
  const rows: ResultRow[] = [];
  const answeredPerStep: Record<string, Record<string, number>> = {};
  try {
    for (const name of workloads) {
      for (const p of prepareWorkload(name, scale)) {
        const before = { ...k.calls };
        k.setEnabled(true);
        p.step();
        answeredPerStep[p.name] = Object.fromEntries(Object.entries(k.calls).map(([n, c]) => [n, c - before[n]]));
        const [off, on] = timedInterleaved(
          [
            () => {
              k.setEnabled(false);
              p.step();
            },
            () => {
              k.setEnabled(true);
              p.step();
            },
          ],
          seconds,
        );
        for (const [engine, rate] of [
          ["tfjs-wasm", off],
          [WITH_PROJECT_KERNELS, on],
        ] as const)
          rows.push({ workload: p.name, engine, threads: 1, unit: p.unit, value: roundValue(rate * p.perStep) });
        p.dispose();
      }
    }
  } finally {
    k.restore();
  }
  return { rows, answeredPerStep };
}
