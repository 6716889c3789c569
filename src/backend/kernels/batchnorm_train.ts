/**
 * Batch normalization in training mode as one kernel forward and one kernel backward.
 *
 * With x viewed as M rows of C channels (M = N·H·W for an NHWC activation):
 *
 *   μ_c = (1/M) Σ_r x_rc,   σ²_c = (1/M) Σ_r (x_rc − μ_c)²,   r_c = 1/√(σ²_c + ε),
 *   x̂_rc = (x_rc − μ_c)·r_c,   y_rc = γ_c·x̂_rc + β_c
 *
 * and, for an upstream gradient dy (the batch statistics depend on x, so their gradients fold in):
 *
 *   ∂β_c = Σ_r dy_rc,   ∂γ_c = Σ_r dy_rc·x̂_rc,
 *   ∂x_rc = γ_c·r_c·(dy_rc − ∂β_c/M − x̂_rc·∂γ_c/M)
 *
 * Composed from tfjs ops (`tf.moments` + `tf.batchNorm` and their autodiff) the same layer is
 * about 20 element-wise and reduction kernels, each a full pass over the activation: half of a
 * ResNet-20 training step on `wasm`. Here the forward pass reads x twice (statistics, then
 * normalization) and the backward pass reads dy and x twice; sums are accumulated in float64
 * about a per-channel shift (the first row), so the variance does not cancel.
 *
 * Kernels exist for `cpu` and `wasm` (`registerTrainingKernels`); on any other backend
 * `batchNormTraining` composes the tfjs ops instead. The backward kernel has no gradient of its
 * own (no second derivatives through batch norm).
 */
import * as tf from "@tensorflow/tfjs";
import { Attrs, TensorInfo } from "./exec";
import { tileRows } from "./reduce_outer";

/** Forward kernel: inputs x, scale (γ), offset (β); attr epsilon; outputs y, mean, variance (biased). */
export const BATCH_NORM_TRAINING = "PadamBatchNormTraining";
/** Backward kernel: inputs dy, x, scale, mean, variance; attr epsilon; outputs dx, dscale, doffset. */
export const BATCH_NORM_TRAINING_GRAD = "PadamBatchNormTrainingGrad";

// The passes below walk one group of 4 channels at a time down a tile of rows, with the group's
// accumulators in locals: about 3x faster in V8 than a row-major walk that updates per-channel
// arrays (measured on [32768, 16], ResNet-20's first stage at batch 32). Tiles of 64 KB per array
// keep the walks of a tile's channel groups in cache: untiled, every group re-read the whole
// activation from memory (ResNet-20 at batch 128: 8 MB per activation). Channels beyond the
// last multiple of 4 take the same walk one at a time.

/** s1_c = Σ_r (a_rc − h_c), s2_c = Σ_r (a_rc − h_c)·(b_rc − h'_c) over rows, in float64. */
function crossSums(
  a: Float32Array,
  b: Float32Array,
  rows: number,
  cols: number,
  ha: Float64Array,
  hb: Float64Array,
  s1: Float64Array,
  s2: Float64Array,
): void {
  const tile = tileRows(cols);
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const end = Math.min(rows, r0 + tile) * cols;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const [h0, h1, h2, h3] = [ha[c], ha[c + 1], ha[c + 2], ha[c + 3]];
      const [g0, g1, g2, g3] = [hb[c], hb[c + 1], hb[c + 2], hb[c + 3]];
      let a0 = s1[c],
        a1 = s1[c + 1],
        a2 = s1[c + 2],
        a3 = s1[c + 3];
      let q0 = s2[c],
        q1 = s2[c + 1],
        q2 = s2[c + 2],
        q3 = s2[c + 3];
      for (let i = r0 * cols + c; i < end; i += cols) {
        const d0 = a[i] - h0;
        const d1 = a[i + 1] - h1;
        const d2 = a[i + 2] - h2;
        const d3 = a[i + 3] - h3;
        a0 += d0;
        a1 += d1;
        a2 += d2;
        a3 += d3;
        q0 += d0 * (b[i] - g0);
        q1 += d1 * (b[i + 1] - g1);
        q2 += d2 * (b[i + 2] - g2);
        q3 += d3 * (b[i + 3] - g3);
      }
      s1[c] = a0;
      s1[c + 1] = a1;
      s1[c + 2] = a2;
      s1[c + 3] = a3;
      s2[c] = q0;
      s2[c + 1] = q1;
      s2[c + 2] = q2;
      s2[c + 3] = q3;
    }
    for (; c < cols; c++) {
      let a0 = s1[c],
        q0 = s2[c];
      for (let i = r0 * cols + c; i < end; i += cols) {
        const d0 = a[i] - ha[c];
        a0 += d0;
        q0 += d0 * (b[i] - hb[c]);
      }
      s1[c] = a0;
      s2[c] = q0;
    }
  }
}

/** out_rc = p_c·u_rc + q_c·w_rc + k_c (w may be omitted: q unused). */
function perChannelAffine(
  u: Float32Array,
  w: Float32Array | undefined,
  rows: number,
  cols: number,
  p: Float64Array,
  q: Float64Array,
  k: Float64Array,
  out: Float32Array,
): void {
  const v = w ?? u;
  const qq = w === undefined ? new Float64Array(cols) : q;
  const tile = tileRows(cols);
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const end = Math.min(rows, r0 + tile) * cols;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const [p0, p1, p2, p3] = [p[c], p[c + 1], p[c + 2], p[c + 3]];
      const [q0, q1, q2, q3] = [qq[c], qq[c + 1], qq[c + 2], qq[c + 3]];
      const [k0, k1, k2, k3] = [k[c], k[c + 1], k[c + 2], k[c + 3]];
      for (let i = r0 * cols + c; i < end; i += cols) {
        out[i] = p0 * u[i] + q0 * v[i] + k0;
        out[i + 1] = p1 * u[i + 1] + q1 * v[i + 1] + k1;
        out[i + 2] = p2 * u[i + 2] + q2 * v[i + 2] + k2;
        out[i + 3] = p3 * u[i + 3] + q3 * v[i + 3] + k3;
      }
    }
    for (; c < cols; c++) {
      for (let i = r0 * cols + c; i < end; i += cols) out[i] = p[c] * u[i] + qq[c] * v[i] + k[c];
    }
  }
}

/**
 * Statistics and normalization of `x` ([rows, cols] row-major) into `y`, `mean`, `variance`
 * (the biased batch variance, as used for normalizing).
 */
export function batchNormForward(
  x: Float32Array,
  rows: number,
  cols: number,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): void {
  // Sums of d = x − shift in float64, shift = the first row: E[d²] − E[d]² then has no
  // catastrophic cancellation when a channel's mean is large against its spread.
  const shift = Float64Array.from(x.subarray(0, cols));
  const s1 = new Float64Array(cols);
  const s2 = new Float64Array(cols);
  crossSums(x, x, rows, cols, shift, shift, s1, s2);
  const a = new Float64Array(cols); // y = a·x + k
  const k = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const m = s1[c] / rows;
    const v = Math.max(0, s2[c] / rows - m * m);
    const mu = shift[c] + m;
    mean[c] = mu;
    variance[c] = v;
    a[c] = gamma[c] / Math.sqrt(v + epsilon);
    k[c] = beta[c] - mu * a[c];
  }
  perChannelAffine(x, undefined, rows, cols, a, a, k, y);
}

/** Gradients of `batchNormForward` with respect to x, γ and β, given the upstream `dy`. */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const mu = Float64Array.from(mean);
  const sDy = new Float64Array(cols);
  const sDyXc = new Float64Array(cols); // Σ dy·(x − μ)
  crossSums(dy, x, rows, cols, new Float64Array(cols), mu, sDy, sDyXc);
  // ∂x = a·dy + bx·x + k with a = γr, bx = −a·r·∂γ/M, k = −a·∂β/M − bx·μ.
  const a = new Float64Array(cols);
  const bx = new Float64Array(cols);
  const k = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const rc = 1 / Math.sqrt(variance[c] + epsilon);
    const dg = sDyXc[c] * rc;
    dgamma[c] = dg;
    dbeta[c] = sDy[c];
    a[c] = gamma[c] * rc;
    bx[c] = (-a[c] * rc * dg) / rows;
    k[c] = (-a[c] * sDy[c]) / rows - bx[c] * mu[c];
  }
  perChannelAffine(dy, x, rows, cols, a, bx, k, dx);
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: Attrs };

interface CpuLike {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}
interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/**
 * Runs `compute` on the float32 values of `inputs` and of fresh outputs of `shapes`: on `wasm`
 * views of its heap (taken after every allocation, which may move the heap), on `cpu` arrays.
 */
function withArrays(
  backendName: string,
  backend: object,
  inputs: TensorInfo[],
  shapes: number[][],
  compute: (ins: Float32Array[], outs: Float32Array[]) => void,
): TensorInfo[] {
  if (backendName === "wasm") {
    const b = backend as WasmLike;
    const infos = shapes.map((s) => b.makeOutput(s, "float32"));
    compute(
      inputs.map((i) => b.typedArrayFromHeap(i)),
      infos.map((i) => b.typedArrayFromHeap(i)),
    );
    return infos;
  }
  const b = backend as CpuLike;
  const outs = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  compute(
    inputs.map((i) => b.readSync(i.dataId) as Float32Array),
    outs,
  );
  return outs.map((values, i) => b.makeTensorInfo(shapes[i], "float32", values));
}

function channels(x: TensorInfo, what: string): { rows: number; cols: number } {
  if (x.dtype !== "float32") throw new Error(`${what}: x has dtype ${x.dtype}; float32 is required`);
  if (x.shape.length < 2) throw new Error(`${what}: x has shape [${x.shape.join(", ")}]; rank 2 or more is required`);
  const cols = x.shape[x.shape.length - 1];
  return { rows: tf.util.sizeFromShape(x.shape) / cols, cols };
}

/** The forward kernel for `backendName` ("cpu" or "wasm"). */
export function batchNormTrainingKernel(backendName: string): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x, scale, offset } = args.inputs as Record<string, TensorInfo>;
    const { epsilon } = args.attrs as unknown as { epsilon: number };
    const { rows, cols } = channels(x, BATCH_NORM_TRAINING);
    return withArrays(backendName, args.backend, [x, scale, offset], [x.shape, [cols], [cols]], (i, o) =>
      batchNormForward(i[0], rows, cols, i[1], i[2], epsilon, o[0], o[1], o[2]),
    );
  }) as unknown as tf.KernelFunc;
}

/** The backward kernel for `backendName` ("cpu" or "wasm"). */
export function batchNormTrainingGradKernel(backendName: string): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { dy, x, scale, mean, variance } = args.inputs as Record<string, TensorInfo>;
    const { epsilon } = args.attrs as unknown as { epsilon: number };
    const { rows, cols } = channels(x, BATCH_NORM_TRAINING_GRAD);
    return withArrays(backendName, args.backend, [dy, x, scale, mean, variance], [x.shape, [cols], [cols]], (i, o) =>
      batchNormBackward(i[0], i[1], rows, cols, i[2], i[3], i[4], epsilon, o[0], o[1], o[2]),
    );
  }) as unknown as tf.KernelFunc;
}

/** Gradient of the forward kernel: one call of the backward kernel. */
export const batchNormTrainingGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ["x", "scale"],
  outputsToSave: [false, true, true],
  gradFunc: (dyIn, saved, attrs) => {
    // Only y reaches a loss: mean and variance feed the moving averages, outside the tape's path.
    const dy = (Array.isArray(dyIn) ? dyIn[0] : dyIn) as tf.Tensor;
    const [x, scale, mean, variance] = saved as tf.Tensor[];
    // Run now, not inside the closures: each closure runs in its own tidy, which would free
    // the outputs the other two return.
    const [dx, dscale, doffset] = tf
      .engine()
      .runKernel(
        BATCH_NORM_TRAINING_GRAD,
        { dy, x, scale, mean, variance },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};

/**
 * Normalizes `x` over all axes but the last with its own batch statistics (training mode):
 * y = γ·(x − μ)/√(σ² + ε) + β, differentiable in x, γ and β. Returns y with the batch mean and
 * the biased batch variance (for the caller's moving averages). One kernel each way where
 * `registerTrainingKernels` added them for the current backend; `tf.moments` + `tf.batchNorm`
 * elsewhere.
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor1D,
  offset: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()) !== undefined) {
    const [y, mean, variance] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, { epsilon }) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.batchNorm(x, mean, variance, offset, scale, epsilon);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
