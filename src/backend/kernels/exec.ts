/**
 * Running registered kernels of one backend directly on `TensorInfo`s, below the engine.
 *
 * Kernels added by this folder are composed from kernels the backend already has
 * (Transpose, Conv2D, Slice, ...). Calling those through `tf.*` ops from inside a kernel would
 * re-enter the engine (tape, scopes, tensor tracking); calling their `kernelFunc` directly keeps
 * the composite kernel a single engine node, and intermediates are freed with the backend's own
 * `disposeData`.
 */
import * as tf from "@tensorflow/tfjs";

export type TensorInfo = tf.TensorInfo;
export type Attrs = tf.NamedAttrMap;

/** The backend methods the composite kernels use (present on both `cpu` and `wasm`). */
export interface DataBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  /** cpu (wasm has none) */
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): TensorInfo;
  /** wasm's signature */
  makeOutput?(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): TensorInfo;
}

export class KernelRunner {
  private readonly temps: TensorInfo[] = [];

  constructor(
    readonly backendName: string,
    readonly backend: DataBackend,
  ) {}

  /** Runs kernel `name` of this backend; the output is remembered as a temporary unless kept. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: Attrs, keep = false): TensorInfo {
    const config = tf.getKernel(name, this.backendName);
    if (config === undefined) {
      throw new Error(`kernel '${name}' is not registered for backend '${this.backendName}'`);
    }
    const out = config.kernelFunc({ inputs, backend: this.backend as object, attrs }) as TensorInfo;
    if (!keep) this.temps.push(out);
    return out;
  }

  /** A new temporary holding `values` (a JS-side computation's result). */
  fromValues(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array, keep = false): TensorInfo {
    const b = this.backend;
    let out: TensorInfo;
    // cpu also has a `makeOutput`, with another signature (values, shape, dtype) returning a Tensor.
    if (b.makeTensorInfo !== undefined) out = b.makeTensorInfo(shape, dtype, values);
    else if (b.makeOutput !== undefined) out = b.makeOutput(shape, dtype, undefined, values);
    else throw new Error(`backend '${this.backendName}' cannot create tensors from values`);
    if (!keep) this.temps.push(out);
    return out;
  }

  /** Marks `info` as the result: it is not freed by `disposeTemps`. */
  keep(info: TensorInfo): TensorInfo {
    const i = this.temps.indexOf(info);
    if (i >= 0) this.temps.splice(i, 1);
    return info;
  }

  /** Frees every temporary created by `run` (reshapes share data through reference counts). */
  disposeTemps(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}
