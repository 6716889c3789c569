/**
 * Gradient of `Conv2D` that also handles dilations (tfjs 4.22's own gradient refuses
 * dilation > 1).
 *
 * A convolution with filter w [kh,kw,Cin,Cout] and dilation (dH,dW) equals an undilated
 * convolution with the zero-interleaved filter w_d [(kh−1)dH+1, (kw−1)dW+1, Cin, Cout],
 * w_d[i·dH, j·dW] = w[i, j] (zero elsewhere), with the same padding (for "same" the padding is
 * computed from the effective size, which is w_d's size). Hence
 *   dx = Conv2DBackpropInput(dy, w_d)   and   dw = Conv2DBackpropFilter(x, dy; dilations),
 * the latter through this folder's kernel, which reads the `dilations` attribute. Without
 * dilation both are exactly tfjs's own gradient. Dilation needs our kernel, so on other
 * backends (e.g. native `tensorflow`) a dilated gradient is refused as tfjs does.
 */
import * as tf from "@tensorflow/tfjs";

/** Backends whose `Conv2DBackpropFilter` reads the `dilations` attribute (set by register.ts). */
export const DILATION_AWARE_BACKENDS = new Set<string>();

function pair(v: unknown): [number, number] {
  return typeof v === "number" ? [v, v] : [(v as number[])[0], (v as number[])[1]];
}

/** Inserts d−1 zeros between filter taps along `axis` (0 = height, 1 = width) of [kh,kw,Cin,Cout]. */
export function dilateFilter(w: tf.Tensor4D, d: number, axis: 0 | 1): tf.Tensor4D {
  if (d === 1) return w;
  return tf.tidy(() => {
    const [kh, kw, ci, co] = w.shape;
    const k = axis === 0 ? kh : kw;
    // [.., k, 1, ..] padded to [.., k, d, ..] and flattened: each tap followed by d−1 zeros.
    const e = tf.expandDims(w, axis + 1);
    const padding: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    padding[axis + 1] = [0, d - 1];
    const shape = axis === 0 ? [k * d, kw, ci, co] : [kh, k * d, ci, co];
    const size = axis === 0 ? [(k - 1) * d + 1, kw, ci, co] : [kh, (k - 1) * d + 1, ci, co];
    return tf.slice(tf.reshape(tf.pad(e, padding), shape), [0, 0, 0, 0], size) as tf.Tensor4D;
  });
}

export const conv2dGradConfig: tf.GradConfig = {
  kernelName: "Conv2D",
  inputsToSave: ["x", "filter"],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as {
      strides: number | [number, number];
      pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
      dataFormat: "NHWC" | "NCHW";
      dimRoundingMode?: "floor" | "round" | "ceil";
    };
    const [dH, dW] = pair((attrs as { dilations?: unknown }).dilations ?? 1);
    const dilated = dH > 1 || dW > 1;
    if (dilated && !DILATION_AWARE_BACKENDS.has(tf.getBackend())) {
      throw new Error(
        `Error in gradient of conv2D: dilation rates greater than 1 are not supported on backend ` +
          `'${tf.getBackend()}'. Got dilations '${[dH, dW]}'`,
      );
    }
    return {
      x: () => {
        const wd = dilateFilter(dilateFilter(filter, dH, 0), dW, 1);
        const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy: dy as tf.Tensor, filter: wd }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
        if (wd !== filter) wd.dispose();
        return dx;
      },
      filter: () => {
        const a: Record<string, unknown> = { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape };
        if (dilated) a.dilations = [dH, dW];
        return tf
          .engine()
          .runKernel("Conv2DBackpropFilter", { x, dy: dy as tf.Tensor }, a as tf.NamedAttrMap) as tf.Tensor;
      },
    };
  },
};
