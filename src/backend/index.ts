/**
 * TensorFlow.js backend selection and the extra kernels training needs on `wasm` and `cpu`.
 * Call `await initBackend()` once before building models; `backendInfo()` then reports what runs.
 */
export { initBackend, backendInfo, formatBackendInfo, defaultLoaders } from "./init";
export type { BackendInfo, InitBackendOptions } from "./init";
export { selectBackend, candidateOrder, parseBackendRequest, DEFAULT_ORDER, BACKEND_REQUESTS } from "./select";
export type {
  BackendRequest,
  CandidateName,
  LoadResult,
  Loader,
  Loaders,
  SelectionInput,
  SelectionResult,
} from "./select";
export { registerTrainingKernels, stockKernel, stockGradient, TRAINING_KERNELS } from "./kernels/register";
export { batchNormTraining } from "./kernels/batchnorm_train";
