/**
 * `Slice` and `Identity` for `wasm`.
 *
 * - `Slice`: the stock kernel copies the whole input out of the heap first (`readSync`) and, for
 *   rank 5 and above, indexes element by element through a `TensorBuffer`. The option-A shortcut
 *   of ResNet-20 (`ShortcutA`, src/models/common.ts) slices a rank-5 view to subsample, which made
 *   `Slice` 14 % of a ResNet-20 step (8 calls, 1.13 s of 7.85 s at batch 32, profiled). This
 *   kernel reads the input in place and copies runs of the innermost contiguous dimensions:
 *
 *       out[i_0, …, i_{r−1}] = x[b_0 + i_0, …, b_{r−1} + i_{r−1}]
 *
 *   after merging each dimension that the slice covers whole into the one before it.
 * - `Identity`: the stock kernel copies; this one shares the buffer and counts a reference, as
 *   tfjs's `cpu` backend and wasm's own `Reshape` do (586 calls per ResNet-20 step, from the
 *   gradient tape).
 */
import * as tf from "@tensorflow/tfjs";
import { Attrs, TensorInfo } from "./exec";

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: Attrs };

/**
 * The slice as (outer extents, their strides in x, offset of the first element, contiguous run
 * length): dimensions taken whole are merged into the previous one, so the innermost run is as
 * long as possible.
 */
export function slicePlan(
  shape: number[],
  begin: number[],
  size: number[],
): { extents: number[]; strides: number[]; offset: number; run: number } {
  const strides = tf.util.computeStrides(shape).concat([1]);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += begin[d] * strides[d];
  // Innermost run: trailing dimensions taken whole, plus the first partial one from the end.
  let d = shape.length - 1;
  let run = 1;
  while (d >= 0 && size[d] === shape[d]) run *= shape[d--];
  if (d >= 0) run *= size[d--];
  const extents: number[] = [];
  const outer: number[] = [];
  for (let k = 0; k <= d; k++) {
    if (size[k] === 1) continue; // a single index: already in the offset
    extents.push(size[k]);
    outer.push(strides[k]);
  }
  return { extents, strides: outer, offset, run };
}

/** Copies the planned slice of `x` into `out` (an odometer over the outer extents). */
export function copySlice(
  x: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  out: { set(a: ArrayLike<number>, at: number): void } & ArrayLike<number>,
  plan: ReturnType<typeof slicePlan>,
): void {
  const { extents, strides, offset, run } = plan;
  const rank = extents.length;
  const index = new Array<number>(rank).fill(0);
  const total = extents.reduce((a, b) => a * b, 1);
  let src = offset;
  for (let n = 0, dst = 0; n < total; n++, dst += run) {
    out.set(x.subarray(src, src + run), dst);
    // Advance the odometer and the source offset.
    for (let k = rank - 1; k >= 0; k--) {
      src += strides[k];
      if (++index[k] < extents[k]) break;
      src -= strides[k] * extents[k];
      index[k] = 0;
    }
  }
}

export function sliceWasm(stock: tf.KernelConfig): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return stock.kernelFunc(args as never) as TensorInfo;
    const { begin, size } = (args.attrs ?? {}) as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    const backend = args.backend as HeapBackend;
    const out = backend.makeOutput(s, x.dtype);
    if (tf.util.sizeFromShape(s) === 0) return out;
    // Views after the allocation: it may grow (and so replace) the heap's buffer.
    copySlice(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), slicePlan(x.shape, b, s));
    return out;
  };
}

export function identityWasm(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  (args.backend as HeapBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
