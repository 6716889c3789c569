/**
 * Registers the kernels and gradients that training the project's models needs on the
 * pure-JS/wasm backends.
 *
 * - `wasm` lacks `Conv2DBackpropFilter` (any conv net) and `UnsortedSegmentSum` (gradient of
 *   `gather`, i.e. of the LSTM language models' embedding); both are added.
 * - `cpu` has a `Conv2DBackpropFilter` that loops over every filter tap with a strided inner
 *   loop (about 10x slower than the whole rest of a training step); it is replaced by the
 *   forward-convolution formulation. The original stays available via `stockKernel` so tests
 *   can compare against it.
 * - `wasm`'s `Conv2DBackpropInput` is a scalar loop (80% of a ResNet-18 step); both backends
 *   get the one-forward-convolution version (`conv2d_backprop_input.ts`).
 * - `wasm`'s `BatchMatMul` uses XNNPACK only without transposes; every dense/LSTM gradient
 *   product is transposed, so operands are transposed first (`batch_matmul.ts`).
 * - `wasm`'s `MaxPoolGrad` is replaced by a single JS pass (`max_pool_grad.ts`).
 * - `wasm`'s `Slice` (a copy of the whole input, and per-element indexing from rank 5) and
 *   `Identity` (a copy) are replaced by an in-place strided copy and a shared buffer (`slice.ts`).
 * - `wasm`'s `Sum` and `Mean` over leading axes (per-channel statistics) read rows in place
 *   instead of transposing the input first (`reduce_outer.ts`).
 * - Batch normalization in training mode gets one kernel each way on both backends
 *   (`batchnorm_train.ts`; `PadamBatchNormTraining` and its gradient), used by the models'
 *   `TorchBatchNorm` layer in place of about 20 element-wise and reduction kernels.
 * - The `Conv2D` gradient is replaced by one that also handles dilations (`conv2d_grad.ts`), and
 *   the `FusedBatchNorm` gradient by one that broadcasts instead of tiling (`batchnorm_grad.ts`).
 *
 * Idempotent: a second call changes nothing.
 */
import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilterVia } from "./conv2d_backprop_filter";
import { conv2dBackpropInputVia } from "./conv2d_backprop_input";
import { conv2dGradConfig, DILATION_AWARE_BACKENDS } from "./conv2d_grad";
import { fusedBatchNormGradConfig } from "./batchnorm_grad";
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  batchNormTrainingGradConfig,
  batchNormTrainingGradKernel,
  batchNormTrainingKernel,
} from "./batchnorm_train";
import { unsortedSegmentSumWasm } from "./unsorted_segment_sum";
import { batchMatMulVia } from "./batch_matmul";
import { maxPoolGradWasm } from "./max_pool_grad";
import { identityWasm, sliceWasm } from "./slice";
import { reduceOuterConfigs } from "./reduce_outer";

const stock = new Map<string, tf.KernelConfig>();
const stockGradients = new Map<string, tf.GradConfig>();
let registered = false;

/** The kernel tfjs shipped for (kernelName, backendName) before `registerTrainingKernels` replaced it. */
export function stockKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return stock.get(`${backendName}/${kernelName}`) ?? (registered ? undefined : tf.getKernel(kernelName, backendName));
}

/** The gradient tfjs shipped for `kernelName` before `registerTrainingKernels` replaced it. */
export function stockGradient(kernelName: string): tf.GradConfig | undefined {
  return stockGradients.get(kernelName) ?? (registered ? undefined : tf.getGradient(kernelName));
}

function putGradient(config: tf.GradConfig): void {
  const existing = tf.getGradient(config.kernelName);
  if (existing !== undefined && !stockGradients.has(config.kernelName)) stockGradients.set(config.kernelName, existing);
  tf.registerGradient(config);
}

function put(config: tf.KernelConfig): void {
  const key = `${config.backendName}/${config.kernelName}`;
  const existing = tf.getKernel(config.kernelName, config.backendName);
  if (existing !== undefined) {
    stock.set(key, existing);
    // Unregister first: re-registering would print tfjs's "already registered" warning.
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** What `registerTrainingKernels` adds or replaces, per backend (for reports and tests). */
export const TRAINING_KERNELS: Record<string, readonly string[]> = {
  cpu: ["Conv2DBackpropFilter", "Conv2DBackpropInput", BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD],
  wasm: [
    "Conv2DBackpropFilter",
    "Conv2DBackpropInput",
    "UnsortedSegmentSum",
    "BatchMatMul",
    "MaxPoolGrad",
    "Slice",
    "Identity",
    "Sum",
    "Mean",
    BATCH_NORM_TRAINING,
    BATCH_NORM_TRAINING_GRAD,
  ],
};

export function registerTrainingKernels(): void {
  if (registered) return;
  for (const backendName of ["cpu", "wasm"]) {
    put({
      kernelName: "Conv2DBackpropFilter",
      backendName,
      kernelFunc: conv2dBackpropFilterVia(backendName) as unknown as tf.KernelFunc,
    });
    put({
      kernelName: "Conv2DBackpropInput",
      backendName,
      kernelFunc: conv2dBackpropInputVia(backendName) as unknown as tf.KernelFunc,
    });
    DILATION_AWARE_BACKENDS.add(backendName);
    put({ kernelName: BATCH_NORM_TRAINING, backendName, kernelFunc: batchNormTrainingKernel(backendName) });
    put({ kernelName: BATCH_NORM_TRAINING_GRAD, backendName, kernelFunc: batchNormTrainingGradKernel(backendName) });
  }
  put({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
  });
  put({ kernelName: "MaxPoolGrad", backendName: "wasm", kernelFunc: maxPoolGradWasm as unknown as tf.KernelFunc });
  put({ kernelName: "Identity", backendName: "wasm", kernelFunc: identityWasm as unknown as tf.KernelFunc });
  const stockSlice = tf.getKernel("Slice", "wasm");
  if (stockSlice !== undefined)
    put({ kernelName: "Slice", backendName: "wasm", kernelFunc: sliceWasm(stockSlice) as unknown as tf.KernelFunc });
  // Keep the stock setupFunc: it binds the wasm function the stock kernelFunc calls.
  for (const config of reduceOuterConfigs()) put(config);
  const stockMatMul = tf.getKernel("BatchMatMul", "wasm");
  if (stockMatMul !== undefined) {
    // Keep the stock setupFunc: it binds the wasm function the stock kernelFunc calls.
    put({ ...stockMatMul, kernelFunc: batchMatMulVia("wasm", stockMatMul) as unknown as tf.KernelFunc });
  }
  putGradient(conv2dGradConfig);
  putGradient(fusedBatchNormGradConfig);
  putGradient(batchNormTrainingGradConfig);
  registered = true;
}
