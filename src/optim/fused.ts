/**
 * The fused JS kernel of the adaptive-moment family (Padam, Adam, AMSGrad, AdamW): one pass over
 * x, g, m, v (and v̂) in float64 arithmetic, stored as float32, instead of ~16 element-wise
 * kernels. Registered for `cpu` and `wasm`; it is the default only on `cpu` for exponents the
 * compiled SIMD pass (`backend/compiled.ts`) does not take (general Padam p), since on `wasm`
 * the op-by-op SIMD kernels beat a JS loop. The readable rules stay the definition; the tests
 * check that every path replays the golden trajectories.
 *
 * Per element, with the coefficients of the rule (`AdaptiveCoefficients`, optim/moments.ts):
 *
 *     g' = g + l2·x ;  x' = shrink·x
 *     m  = β1·m + (1 − β1)·g' ;  v = β2·v + (1 − β2)·g'²
 *     v̂  = max(v̂, v) if amsgrad, else v
 *     x  = x' − step · m / (sqrt(v̂) + epsilon)^exponent
 */
import * as tf from "@tensorflow/tfjs";
import type { AdaptiveCoefficients } from "./moments";

export const FUSED_ADAPTIVE_KERNEL = "PadamWorkbookAdaptiveStep";

/** The element-wise loop, on plain arrays (outputs may not alias inputs). */
export function fusedAdaptiveStep(
  p: AdaptiveCoefficients,
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vMax: Float32Array | undefined,
  xOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  vMaxOut: Float32Array | undefined,
): void {
  const { l2, shrink, beta1, beta2, epsilon, exponent, step } = p;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const n = x.length;
  // One closure per denominator form keeps the per-element work branch-free.
  const pow: (d: number) => number =
    exponent === 1
      ? (d) => d
      : exponent === 0.5
        ? (d) => Math.sqrt(d)
        : exponent === 0.25
          ? (d) => Math.sqrt(Math.sqrt(d))
          : exponent === 0.125
            ? (d) => Math.sqrt(Math.sqrt(Math.sqrt(d)))
            : (d) => Math.pow(d, exponent);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const gi = g[i] + l2 * xi;
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    let vh = vi;
    if (p.amsgrad) {
      // v̂ is kept in float32 like every slot, so compare against the stored float32 value.
      const stored = Math.fround(vi);
      vh = vMax![i] > stored ? vMax![i] : stored;
      vMaxOut![i] = vh;
    }
    const upd = exponent === 0 ? mi : mi / pow(Math.sqrt(vh) + epsilon);
    xOut[i] = xi * shrink - step * upd;
  }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

function cpuKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const p = attrs as unknown as AdaptiveCoefficients;
  const { x, g, m, v, vMax } = inputs as Record<string, tf.TensorInfo>;
  const view = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  const n = tf.util.sizeFromShape(x.shape);
  const fresh = () => new Float32Array(n);
  const [xOut, mOut, vOut, vMaxOut] = [fresh(), fresh(), fresh(), p.amsgrad ? fresh() : undefined];
  fusedAdaptiveStep(
    p,
    view(x),
    view(g),
    view(m),
    view(v),
    p.amsgrad ? view(vMax) : undefined,
    xOut,
    mOut,
    vOut,
    vMaxOut,
  );
  const outs = [xOut, mOut, vOut, ...(vMaxOut ? [vMaxOut] : [])];
  return outs.map((values) => b.makeTensorInfo(x.shape, "float32", values));
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function wasmKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackend;
  const p = attrs as unknown as AdaptiveCoefficients;
  const { x, g, m, v, vMax } = inputs as Record<string, tf.TensorInfo>;
  const outs = [x, m, v, ...(p.amsgrad ? [vMax] : [])].map((t) => b.makeOutput(t.shape, "float32"));
  // Views after every allocation: an allocation may grow (and so replace) the heap's buffer.
  const view = (t: tf.TensorInfo) => b.typedArrayFromHeap(t);
  fusedAdaptiveStep(
    p,
    view(x),
    view(g),
    view(m),
    view(v),
    p.amsgrad ? view(vMax) : undefined,
    view(outs[0]),
    view(outs[1]),
    view(outs[2]),
    p.amsgrad ? view(outs[3]) : undefined,
  );
  return outs;
}

tf.registerKernel({ kernelName: FUSED_ADAPTIVE_KERNEL, backendName: "cpu", kernelFunc: cpuKernel as tf.KernelFunc });
tf.registerKernel({ kernelName: FUSED_ADAPTIVE_KERNEL, backendName: "wasm", kernelFunc: wasmKernel as tf.KernelFunc });

/** Whether the fused JS kernel runs on the active backend. */
export function fusedKernelAvailable(): boolean {
  return tf.getKernel(FUSED_ADAPTIVE_KERNEL, tf.getBackend()) !== undefined;
}
