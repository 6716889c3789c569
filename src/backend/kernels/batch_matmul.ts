/**
 * `BatchMatMul` on `wasm` with transposed operands routed to XNNPACK.
 *
 * The wasm backend runs a·b through XNNPACK's fully-connected operator only when neither
 * operand is transposed and there is a single batch; otherwise it falls back to a scalar
 * blocked loop (tfjs-backend-wasm `cc/kernels/BatchMatMul.cc`, `slow_batch_matmul`). Every
 * gradient of a dense layer or an LSTM gate product is such a transposed product
 * (dW = xᵀ·dy, dx = dy·Wᵀ). With one batch, (aᵀ)·b = a'·b with a' = transpose(a) materialised
 * once, O(mk) work next to the O(mkn) product, so this kernel transposes what needs it and calls
 * the stock kernel on the untransposed operands. Batched products keep the stock path.
 */
import * as tf from "@tensorflow/tfjs";
import { Attrs, DataBackend, KernelRunner, TensorInfo } from "./exec";

export function batchMatMulVia(backendName: string, stock: tf.KernelConfig) {
  return function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: Attrs }): TensorInfo {
    const { inputs, attrs = {} } = args;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    if (
      (!transposeA && !transposeB) ||
      batchA !== 1 ||
      batchB !== 1 ||
      a.dtype !== "float32" ||
      b.dtype !== "float32"
    ) {
      return stock.kernelFunc(args as never) as TensorInfo;
    }
    const r = new KernelRunner(backendName, args.backend as DataBackend);
    try {
      const plain = (x: TensorInfo, transpose: boolean): TensorInfo => {
        if (!transpose) return x;
        const [rows, cols] = x.shape.slice(-2);
        const x2 = r.run("Reshape", { x }, { shape: [rows, cols] });
        // A vector needs no data movement: [1,n]ᵀ and [n,1] share a layout.
        return rows === 1 || cols === 1
          ? r.run("Reshape", { x: x2 }, { shape: [cols, rows] })
          : r.run("Transpose", { x: x2 }, { perm: [1, 0] });
      };
      const a2 = plain(a, transposeA);
      const b2 = plain(b, transposeB);
      const out = stock.kernelFunc({
        inputs: { a: a2, b: b2 },
        backend: args.backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      // The stock kernel's output shape follows its inputs' ranks; give it the caller's.
      const rank = Math.max(a.shape.length, b.shape.length);
      const m = transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
      const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
      const shape = [...new Array(rank - 2).fill(1), m, n];
      if (out.shape.length === shape.length && out.shape.every((d, i) => d === shape[i])) return out;
      const reshaped = r.run("Reshape", { x: out }, { shape }, true);
      (args.backend as DataBackend).disposeData(out.dataId);
      return reshaped;
    } finally {
      r.disposeTemps();
    }
  };
}
