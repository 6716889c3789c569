/**
 * A fused kernel for the adaptive-moment family (Padam, Adam, AMSGrad, AdamW) on the `cpu`
 * backend: one pass over x, g, m, v (and v̂) instead of ~16 element-wise kernels, each of which
 * allocates and loops over a full-size tensor. The readable rules in `padam.ts`/`adam.ts` stay
 * the definition; this is their fast path and the tests check the two agree.
 *
 * Measured on ResNet-18's 11.2M parameters (`npm run bench -- --backend cpu --only
 * optimizer-step`): AMSGrad 0.18 → 3.6 steps/s, Padam (p = 1/8) 0.22 → 1.6 steps/s. On `wasm`
 * the same JS loop on heap views is *slower* than the op-by-op path (whose kernels are SIMD
 * C++: AMSGrad 5.6 vs 8.5 steps/s), so it is registered for `cpu` only.
 *
 * Per element, with coefficients prepared on the host by the rule (`fusedParams`):
 *
 *     g' = g + l2·x                      coupled L2 decay (Padam, Adam, AMSGrad)
 *     x' = x·shrink                      decoupled decay (AdamW: 1 − lr·λ)
 *     m  = β1·m + (1 − β1)·g' ;  v = β2·v + (1 − β2)·g'²
 *     v̂  = max(v̂, v) if amsgrad, else v
 *     x  = x' − step · m / (c·sqrt(v̂) + ε)^e
 *
 * Adam family: c = 1/sqrt(bc2), e = 1, step = lr/bc1. Padam: c = 1, e = 2p, step = lr·sqrt(bc2)/bc1.
 * Arithmetic is done in float64 and stored as float32.
 */
import * as tf from "@tensorflow/tfjs";

export const FUSED_ADAPTIVE_KERNEL = "PadamWorkbookAdaptiveStep";

/** Host-side coefficients of one fused step (see the module comment). */
export interface FusedAdaptiveParams {
  l2: number;
  shrink: number;
  beta1: number;
  beta2: number;
  amsgrad: boolean;
  c: number;
  epsilon: number;
  /** Exponent e of the denominator; 0 means no denominator. */
  exponent: number;
  step: number;
}

/** The element-wise loop, on plain arrays (outputs may not alias inputs). */
export function fusedAdaptiveStep(
  p: FusedAdaptiveParams,
  x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vMax: Float32Array | undefined,
  xOut: Float32Array, mOut: Float32Array, vOut: Float32Array, vMaxOut: Float32Array | undefined,
): void {
  const { l2, shrink, beta1, beta2, c, epsilon, exponent, step } = p;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const n = x.length;
  // One loop per denominator form keeps the per-element work branch-free.
  const pow: (d: number) => number =
    exponent === 1 ? (d) => d
    : exponent === 0.5 ? (d) => Math.sqrt(d)
    : exponent === 0.25 ? (d) => Math.sqrt(Math.sqrt(d))
    : exponent === 0.125 ? (d) => Math.sqrt(Math.sqrt(Math.sqrt(d)))
    : (d) => Math.pow(d, exponent);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const gi = g[i] + l2 * xi;
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    let vh = vi;
    if (vMax !== undefined) {
      // v̂ is kept in float32 like every slot, so compare against the stored float32 value.
      const stored = Math.fround(vi);
      vh = vMax[i] > stored ? vMax[i] : stored;
      vMaxOut![i] = vh;
    }
    const upd = exponent === 0 ? mi : mi / pow(c * Math.sqrt(vh) + epsilon);
    xOut[i] = xi * shrink - step * upd;
  }
}

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

function cpuKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const p = attrs as unknown as FusedAdaptiveParams;
  const { x, g, m, v } = inputs as Record<string, tf.TensorInfo>;
  const vMax = inputs.vMax as tf.TensorInfo | undefined;
  const view = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  const n = tf.util.sizeFromShape(x.shape);
  const fresh = () => new Float32Array(n);
  const [xOut, mOut, vOut, vMaxOut] = [fresh(), fresh(), fresh(), vMax ? fresh() : undefined];
  fusedAdaptiveStep(p, view(x), view(g), view(m), view(v), vMax ? view(vMax) : undefined, xOut, mOut, vOut, vMaxOut);
  const outs = [xOut, mOut, vOut, ...(vMaxOut ? [vMaxOut] : [])];
  return outs.map((values) => b.makeTensorInfo(x.shape, "float32", values));
}

tf.registerKernel({ kernelName: FUSED_ADAPTIVE_KERNEL, backendName: "cpu", kernelFunc: cpuKernel as tf.KernelFunc });

/** Whether the fused kernel runs on the active backend. */
export function fusedKernelAvailable(): boolean {
  return tf.getKernel(FUSED_ADAPTIVE_KERNEL, tf.getBackend()) !== undefined;
}

/** `PADAM_FUSED=0` turns the fused path off (for comparisons); it is on by default. */
export function fusedEnabled(): boolean {
  return process.env.PADAM_FUSED !== "0";
}
