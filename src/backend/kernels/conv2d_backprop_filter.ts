/**
 * `Conv2DBackpropFilter` built from forward convolutions, for backends that lack it (`wasm`)
 * or have a slow one (`cpu`).
 *
 * For y = conv2d(x, w) with x [N,H,W,Cin], w [kh,kw,Cin,Cout], strides (sH,sW), dilations
 * (dH,dW), padding (top,left) and output gradient dy [N,Ho,Wo,Cout]:
 *
 *   dW[i,j,c,o] = Σ_{n,p,q} x[n, p·sH + i·dH − top, q·sW + j·dW − left, c] · dy[n,p,q,o]
 *
 * Read with the batch axis as the reduction axis, this is itself a forward convolution:
 * input x' = transpose(x) to [Cin,H,W,N] (channels become the batch, the batch becomes the
 * channels), filter dy' = transpose(dy) to [Ho,Wo,N,Cout], stride 1, dilation (sH,sW), and the
 * forward pass's padding amounts. Its output G [Cin,OH,OW,Cout] holds dW at rows i·dH and
 * columns j·dW, so dW = transpose(G[:, ::dH, ::dW, :][:, :kh, :kw, :], [1,2,0,3]). Only forward
 * convolutions, transposes and slices are needed, which both `cpu` and `wasm` (XNNPACK)
 * implement well. Source: the identity above is the definition of the filter gradient;
 * notebook-stack.md §8.2 records the measured speed-up.
 *
 * A 1×1 filter without padding is a matrix product instead: with xs = x[:, ::sH, ::sW, :]
 * (cropped to Ho×Wo) reshaped to [N·Ho·Wo, Cin] and dy to [N·Ho·Wo, Cout], dW = xsᵀ·dy.
 *
 * Beyond tfjs's kernel attributes this kernel accepts an optional `dilations` attribute, so the
 * gradient of dilated convolutions (see `conv2d_grad.ts`) can use it too.
 */
import * as tf from "@tensorflow/tfjs";
import { Attrs, DataBackend, KernelRunner, TensorInfo } from "./exec";

type Pair = [number, number];

function pair(v: unknown, name: string): Pair {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === "number")) return [v[0], v[1]];
  throw new Error(`Conv2DBackpropFilter: attribute ${name} = ${JSON.stringify(v)} must be a number or a pair`);
}

/** Kernel function shared by all backends; `backendName` selects the component kernels. */
export function conv2dBackpropFilterVia(backendName: string) {
  return function conv2dBackpropFilter(args: {
    inputs: tf.NamedTensorInfoMap;
    backend: object;
    attrs?: Attrs;
  }): TensorInfo {
    const { inputs, attrs = {} } = args;
    const x = inputs.x as TensorInfo;
    const dy = inputs.dy as TensorInfo;
    const filterShape = attrs.filterShape as [number, number, number, number];
    const dataFormat = (attrs.dataFormat as "NHWC" | "NCHW" | undefined) ?? "NHWC";
    const strides = pair(attrs.strides, "strides");
    const dilations = pair(attrs.dilations ?? 1, "dilations");
    if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) {
      throw new Error(`Conv2DBackpropFilter: strides ${strides} and dilations ${dilations} cannot both exceed 1`);
    }
    const pad = attrs.pad as "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    const dimRoundingMode = attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined;
    const nchw = dataFormat === "NCHW";
    // All geometry in channels-last terms.
    const xShape: [number, number, number, number] = nchw
      ? [x.shape[0], x.shape[2], x.shape[3], x.shape[1]]
      : (x.shape as [number, number, number, number]);
    const info = tf.backend_util.computeConv2DInfo(
      xShape,
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      "channelsLast",
    );
    const [kh, kw, cin, cout] = filterShape;
    const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo } = info;
    const { top, left } = info.padInfo;
    const sH = info.strideHeight,
      sW = info.strideWidth,
      dH = info.dilationHeight,
      dW = info.dilationWidth;
    // tfjs sizes the output of a numeric `pad` with the filter height and stride height on both
    // axes, so Ho/Wo can reach past the padded input; the forward kernels read zeros there. Extend
    // the bottom/right padding to cover every position the forward pass visited.
    const bottom = Math.max(info.padInfo.bottom, (ho - 1) * sH + (kh - 1) * dH + 1 - h - top);
    const right = Math.max(info.padInfo.right, (wo - 1) * sW + (kw - 1) * dW + 1 - w - left);

    const r = new KernelRunner(backendName, args.backend as DataBackend);
    try {
      if (
        kh === 1 &&
        kw === 1 &&
        top === 0 &&
        bottom === 0 &&
        left === 0 &&
        right === 0 &&
        (ho - 1) * sH < h &&
        (wo - 1) * sW < w
      ) {
        // Matrix-product path: dW = xsᵀ·dy over all N·Ho·Wo positions.
        let xs = nchw ? r.run("Transpose", { x }, { perm: [0, 2, 3, 1] }) : x;
        if (sH > 1 || sW > 1 || h !== ho || w !== wo) {
          xs = r.run(
            "StridedSlice",
            { x: xs },
            {
              begin: [0, 0, 0, 0],
              end: [n, (ho - 1) * sH + 1, (wo - 1) * sW + 1, cin],
              strides: [1, sH, sW, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          );
        }
        const a = r.run("Reshape", { x: xs }, { shape: [1, n * ho * wo, cin] });
        const dyL = nchw ? r.run("Transpose", { x: dy }, { perm: [0, 2, 3, 1] }) : dy;
        const b = r.run("Reshape", { x: dyL }, { shape: [1, n * ho * wo, cout] });
        const prod = r.run("BatchMatMul", { a, b }, { transposeA: true, transposeB: false });
        return r.keep(r.run("Reshape", { x: prod }, { shape: [1, 1, cin, cout] }));
      }
      // Forward-convolution path (module comment).
      const xT = r.run("Transpose", { x }, { perm: nchw ? [1, 2, 3, 0] : [3, 1, 2, 0] }); // [Cin,H,W,N]
      const dyT = r.run("Transpose", { x: dy }, { perm: nchw ? [2, 3, 0, 1] : [1, 2, 0, 3] }); // [Ho,Wo,N,Cout]
      const g = r.run("Conv2D", { x: xT, filter: dyT }, {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: "NHWC",
        dilations: [sH, sW],
        dimRoundingMode: undefined as unknown as string,
      } as unknown as Attrs); // [Cin,OH,OW,Cout]
      let gs = g;
      if (g.shape[1] !== kh || g.shape[2] !== kw) {
        gs =
          dH === 1 && dW === 1
            ? r.run("Slice", { x: g }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] })
            : r.run(
                "StridedSlice",
                { x: g },
                {
                  begin: [0, 0, 0, 0],
                  end: [cin, (kh - 1) * dH + 1, (kw - 1) * dW + 1, cout],
                  strides: [1, dH, dW, 1],
                  beginMask: 0,
                  endMask: 0,
                  ellipsisMask: 0,
                  newAxisMask: 0,
                  shrinkAxisMask: 0,
                },
              );
      }
      if (cin === 1) {
        // [1,kh,kw,Cout] and [kh,kw,1,Cout] have the same memory layout.
        return r.keep(r.run("Reshape", { x: gs }, { shape: [kh, kw, cin, cout] }));
      }
      return r.keep(r.run("Transpose", { x: gs }, { perm: [1, 2, 0, 3] }));
    } finally {
      r.disposeTemps();
    }
  };
}
