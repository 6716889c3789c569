/**
 * The compiled optimizer step: `wasm/adaptive_step.c` (one SIMD pass of the adaptive-moment
 * family, float32), built to wasm by `scripts/build-wasm.sh` and registered as the tfjs kernel
 * `COMPILED_ADAPTIVE_KERNEL` on the `wasm` and `cpu` backends.
 *
 * - `wasm`: the module imports the memory of tfjs's own wasm module (plain or, for the threaded
 *   build, shared), so it reads x, g, m, v, v̂ where the tensors live and writes the new values
 *   into freshly allocated output tensors: no copy. (Copying through a separate memory was
 *   measured as well: see docs/performance.md.)
 * - `cpu`: tensors are JS `Float32Array`s, so they are copied into a memory of the module's own
 *   and the results copied out (still faster than the JS loop of `optim/fused.ts`).
 *
 * The element-wise formula is in the C file and in `AdaptiveCoefficients` (optim/moments.ts);
 * the denominator exponent must be 0, 1, 1/2, 1/4 or 1/8 (`compiledExponentSupported`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { AdaptiveCoefficients } from "../optim/moments";

export const COMPILED_ADAPTIVE_KERNEL = "PadamWorkbookAdaptiveStepCompiled";

/** The exported C function (pointers are byte offsets into the imported memory). */
type AdaptiveStepFn = (
  n: number,
  x: number,
  g: number,
  m: number,
  v: number,
  vMax: number,
  xOut: number,
  mOut: number,
  vOut: number,
  vMaxOut: number,
  l2: number,
  shrink: number,
  b1: number,
  b2: number,
  a1: number,
  a2: number,
  eps: number,
  step: number,
  roots: number,
) => void;

/**
 * The parts of the global `WebAssembly` used here (the project's `lib` setting has no DOM
 * types, where TypeScript declares them).
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
type Memory = WasmMemory;

const ROOTS = new Map<number, number>([
  [0, -1],
  [1, 0],
  [0.5, 1],
  [0.25, 2],
  [0.125, 3],
]);

/** Whether the compiled pass handles this denominator exponent (it takes square roots only). */
export function compiledExponentSupported(exponent: number): boolean {
  return ROOTS.has(exponent);
}

/** Path of a committed artifact: `shared` selects the build that imports a shared memory. */
export function artifactPath(shared: boolean): string {
  return path.join(__dirname, "wasm", shared ? "adaptive_step.shared.wasm" : "adaptive_step.wasm");
}

const modules = new Map<boolean, object>();

function compiledModule(shared: boolean): object {
  let mod = modules.get(shared);
  if (mod === undefined) {
    mod = new WebAssembly.Module(fs.readFileSync(artifactPath(shared)));
    modules.set(shared, mod);
  }
  return mod;
}

/** Instantiates the module on `memory` (one instance per memory). */
const instances = new WeakMap<Memory, AdaptiveStepFn>();
function stepFunctionFor(memory: Memory): AdaptiveStepFn {
  let fn = instances.get(memory);
  if (fn === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(compiledModule(shared), { env: { memory } });
    fn = instance.exports.adaptive_step as unknown as AdaptiveStepFn;
    instances.set(memory, fn);
  }
  return fn;
}

/** Byte offsets of the four or five arrays of one step. */
interface Pointers {
  x: number;
  g: number;
  m: number;
  v: number;
  vMax: number;
  xOut: number;
  mOut: number;
  vOut: number;
  vMaxOut: number;
}

function call(fn: AdaptiveStepFn, n: number, p: Pointers, c: AdaptiveCoefficients): void {
  const roots = ROOTS.get(c.exponent);
  if (roots === undefined) {
    throw new Error(`compiled adaptive step: exponent ${c.exponent} is not supported; allowed: 0, 1, 0.5, 0.25, 0.125`);
  }
  fn(
    n,
    p.x,
    p.g,
    p.m,
    p.v,
    c.amsgrad ? p.vMax : 0,
    p.xOut,
    p.mOut,
    p.vOut,
    p.vMaxOut,
    c.l2,
    c.shrink,
    c.beta1,
    c.beta2,
    1 - c.beta1,
    1 - c.beta2,
    c.epsilon,
    c.step,
    roots,
  );
}

interface WasmBackend {
  wasm: { asm: { memory?: Memory }; wasmMemory?: Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  refCount(dataId: object): number;
}

/** The tfjs wasm module's memory: the threaded build keeps its (shared) memory on the module, the plain build exports it. */
function heapOf(b: WasmBackend): Memory {
  const memory = b.wasm.wasmMemory ?? b.wasm.asm.memory;
  if (memory === undefined) throw new Error("compiled adaptive step: the tfjs wasm module exposes no memory");
  return memory;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function wasmKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackend;
  const c = attrs as unknown as AdaptiveCoefficients;
  const { x, g, m, v, vMax } = inputs as Record<string, tf.TensorInfo>;
  const memory = heapOf(b);
  const outs = [x, m, v, ...(c.amsgrad ? [vMax] : [])].map((t) => b.makeOutput(t.shape, "float32"));
  const at = (t: tf.TensorInfo | undefined) => (t === undefined ? 0 : b.dataIdMap.get(t.dataId).memoryOffset);
  call(
    stepFunctionFor(memory),
    tf.util.sizeFromShape(x.shape),
    {
      x: at(x),
      g: at(g),
      m: at(m),
      v: at(v),
      vMax: at(vMax),
      xOut: at(outs[0]),
      mOut: at(outs[1]),
      vOut: at(outs[2]),
      vMaxOut: at(outs[3]),
    },
    c,
  );
  return outs;
}

/**
 * The step with the moment slots updated in their own buffers on the `wasm` backend, when no
 * other tensor shares them (reference count 1: a clone or `tf.identity` shares a buffer until
 * then): no allocation and no engine node for them. The parameters x get a fresh buffer, never
 * an in-place write: the wasm backend's XNNPACK convolution and matrix-multiply operators keep a
 * packed copy of their weights keyed by the weight tensor's data id, so a weight changed in its
 * own buffer would go unseen by the next forward pass (the network would stop learning).
 * Returns false, having changed nothing, when it does not apply (other backend, shared
 * buffers); the caller then runs the kernel, which allocates every output.
 */
export function compiledStepInPlace(
  x: tf.Variable,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  vMax: tf.Tensor | undefined,
  c: AdaptiveCoefficients,
): boolean {
  if (tf.getBackend() !== "wasm") return false;
  const b = tf.backend() as unknown as WasmBackend;
  const slots = c.amsgrad ? [m, v, vMax] : [m, v];
  if (slots.some((t) => t === undefined || b.refCount(t.dataId) !== 1)) return false;
  const at = (t: { dataId: object } | undefined) => (t === undefined ? 0 : b.dataIdMap.get(t.dataId).memoryOffset);
  const xOut = b.makeOutput(x.shape, "float32");
  const [pm, pv, pMax] = [at(m), at(v), c.amsgrad ? at(vMax) : 0];
  call(
    stepFunctionFor(heapOf(b)),
    x.size,
    {
      x: at(x),
      g: at(g),
      m: pm,
      v: pv,
      vMax: pMax,
      xOut: at(xOut),
      mOut: pm,
      vOut: pv,
      vMaxOut: pMax,
    },
    c,
  );
  const fresh = tf.engine().makeTensorFromTensorInfo(xOut);
  x.assign(fresh);
  fresh.dispose();
  return true;
}

/** A memory of the module's own, grown to hold the arrays of the largest step so far. */
let ownMemory: Memory | undefined;
function scratch(bytes: number): Memory {
  const pages = Math.ceil(bytes / 65536);
  if (ownMemory === undefined) ownMemory = new WebAssembly.Memory({ initial: Math.max(pages, 1) });
  const have = ownMemory.buffer.byteLength / 65536;
  if (have < pages) ownMemory.grow(pages - have);
  return ownMemory;
}

/**
 * The compiled step on plain arrays, through a copy into the module's own memory (the `cpu`
 * backend's path). Returns the new x, m, v and, with amsgrad, v̂.
 */
export function compiledStepOnArrays(
  c: AdaptiveCoefficients,
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vMax?: Float32Array,
): Float32Array[] {
  const n = x.length;
  const inputs = [x, g, m, v, ...(c.amsgrad && vMax ? [vMax] : [])];
  const count = inputs.length + (c.amsgrad ? 4 : 3);
  // 16-byte aligned arrays (SIMD loads do not need it, but it keeps them on cache-line strides).
  const stride = Math.ceil((n * 4) / 16) * 16;
  const memory = scratch(count * stride);
  const heap = new Float32Array(memory.buffer);
  const offsets = Array.from({ length: count }, (_, i) => i * stride);
  inputs.forEach((a, i) => heap.set(a, offsets[i] / 4));
  const k = inputs.length;
  call(
    stepFunctionFor(memory),
    n,
    {
      x: offsets[0],
      g: offsets[1],
      m: offsets[2],
      v: offsets[3],
      vMax: c.amsgrad ? offsets[4] : 0,
      xOut: offsets[k],
      mOut: offsets[k + 1],
      vOut: offsets[k + 2],
      vMaxOut: c.amsgrad ? offsets[k + 3] : 0,
    },
    c,
  );
  return offsets.slice(k).map((o) => heap.slice(o / 4, o / 4 + n));
}

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

function cpuKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const c = attrs as unknown as AdaptiveCoefficients;
  const { x, g, m, v, vMax } = inputs as Record<string, tf.TensorInfo>;
  const view = (t: tf.TensorInfo | undefined) => (t === undefined ? undefined : b.data.get(t.dataId).values);
  const outs = compiledStepOnArrays(c, view(x)!, view(g)!, view(m)!, view(v)!, view(vMax));
  return outs.map((values) => b.makeTensorInfo(x.shape, "float32", values));
}

let registered = false;

/** Registers the compiled kernel on `wasm` and `cpu` (idempotent). */
export function registerCompiledKernels(): void {
  if (registered) return;
  tf.registerKernel({
    kernelName: COMPILED_ADAPTIVE_KERNEL,
    backendName: "wasm",
    kernelFunc: wasmKernel as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: COMPILED_ADAPTIVE_KERNEL,
    backendName: "cpu",
    kernelFunc: cpuKernel as tf.KernelFunc,
  });
  registered = true;
}

/** Whether the compiled kernel runs on the active backend. */
export function compiledKernelAvailable(): boolean {
  return tf.getKernel(COMPILED_ADAPTIVE_KERNEL, tf.getBackend()) !== undefined;
}
