/**
 * `UnsortedSegmentSum` for the `wasm` backend, which lacks it.
 *
 *   out[k, ...] = Σ_{i : ids[i] = k} x[i, ...],   k = 0 … numSegments − 1
 *
 * where `ids` has the shape of the leading axes of `x`; ids outside [0, numSegments) are
 * dropped, as in TensorFlow's kernel. It is the gradient of `gather` (and so of embedding
 * lookups: the LSTM language models' first layer). One pass over `x`, written in JS on the
 * wasm heap: for an embedding gradient it moves batch·steps·dim floats, negligible next to the
 * layers around it.
 */
import * as tf from "@tensorflow/tfjs";
import { Attrs, TensorInfo } from "./exec";

interface HeapBackend {
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

export function unsortedSegmentSumWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: Attrs;
}): TensorInfo {
  const backend = args.backend as HeapBackend;
  const x = args.inputs.x as TensorInfo;
  const segmentIds = args.inputs.segmentIds as TensorInfo;
  const numSegments = (args.attrs ?? {}).numSegments as number;
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum: numSegments = ${numSegments} must be a non-negative integer`);
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum: x.dtype = ${x.dtype}; allowed: float32, int32`);
  }
  const idRank = segmentIds.shape.length;
  for (let a = 0; a < idRank; a++) {
    if (segmentIds.shape[a] !== x.shape[a]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }
  }
  const inner = x.shape.slice(idRank).reduce((p, d) => p * d, 1);
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const ids = backend.readSync(segmentIds.dataId) as Int32Array | Float32Array;
  const xs = backend.readSync(x.dataId) as Float32Array | Int32Array;
  const out = backend.makeOutput(outShape, x.dtype);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0); // the heap block is not zeroed on allocation
  for (let i = 0; i < ids.length; i++) {
    const k = ids[i];
    if (k < 0 || k >= numSegments) continue;
    const src = i * inner;
    const dst = k * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}
