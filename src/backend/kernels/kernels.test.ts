/**
 * The added/replaced kernels agree with tfjs's reference `cpu` kernels (and, where tfjs has no
 * reference, with a float64 loop of the defining sum) on randomized shapes, strides, paddings
 * and dilations. Shapes are small so the file runs in seconds.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerTrainingKernels, stockGradient, stockKernel } from "./register";
import { fusedBatchNormGradConfig } from "./batchnorm_grad";
import { seededRandom } from "../../util/random";

/** Deterministic PRNG so failures reproduce. */
const rng = seededRandom;
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const randArray = (r: () => number, n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= rtol * scale))
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (scale ${scale})`);
  }
}

type Pad = "valid" | "same" | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
}

function randomCase(r: () => number, allowDilation: boolean): ConvCase {
  const kh = int(r, 1, 3),
    kw = int(r, 1, 3);
  const dilate = allowDilation && r() < 0.5;
  const dilations: [number, number] = dilate ? [int(r, 1, 3), int(r, 1, 3)] : [1, 1];
  const strides: [number, number] = dilate ? [1, 1] : [int(r, 1, 3), int(r, 1, 3)];
  const padKind = int(r, 0, 3);
  const pad: Pad =
    padKind === 0
      ? "valid"
      : padKind === 1
        ? "same"
        : padKind === 2
          ? int(r, 0, 2)
          : [
              [0, 0],
              [int(r, 0, 2), int(r, 0, 2)],
              [int(r, 0, 2), int(r, 0, 2)],
              [0, 0],
            ];
  const minH = (kh - 1) * dilations[0] + 1,
    minW = (kw - 1) * dilations[1] + 1;
  return {
    n: int(r, 1, 3),
    h: int(r, minH, minH + 6),
    w: int(r, minW, minW + 6),
    cin: int(r, 1, 4),
    cout: int(r, 1, 4),
    kh,
    kw,
    strides,
    dilations,
    pad,
  };
}

function outSize(c: ConvCase) {
  const info = tf.backend_util.computeConv2DInfo(
    [c.n, c.h, c.w, c.cin],
    [c.kh, c.kw, c.cin, c.cout],
    c.strides,
    c.dilations,
    c.pad as never,
  );
  return info;
}

/** dW by its definition, in float64 (NHWC). */
function filterGradReference(c: ConvCase, x: Float32Array, dy: Float32Array): Float64Array {
  const info = outSize(c);
  const { outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
  const dW = new Float64Array(c.kh * c.kw * c.cin * c.cout);
  for (let i = 0; i < c.kh; i++)
    for (let j = 0; j < c.kw; j++)
      for (let ci = 0; ci < c.cin; ci++)
        for (let co = 0; co < c.cout; co++) {
          let s = 0;
          for (let n = 0; n < c.n; n++)
            for (let p = 0; p < ho; p++)
              for (let q = 0; q < wo; q++) {
                const row = p * c.strides[0] + i * c.dilations[0] - top;
                const col = q * c.strides[1] + j * c.dilations[1] - left;
                if (row < 0 || row >= c.h || col < 0 || col >= c.w) continue;
                s += x[((n * c.h + row) * c.w + col) * c.cin + ci] * dy[((n * ho + p) * wo + q) * c.cout + co];
              }
          dW[((i * c.kw + j) * c.cin + ci) * c.cout + co] = s;
        }
  return dW;
}

function attrsOf(c: ConvCase, dataFormat: "NHWC" | "NCHW" = "NHWC"): tf.NamedAttrMap {
  const a: Record<string, unknown> = {
    strides: c.strides,
    pad: c.pad,
    dataFormat,
    dimRoundingMode: undefined,
    filterShape: [c.kh, c.kw, c.cin, c.cout],
  };
  if (c.dilations[0] > 1 || c.dilations[1] > 1) a.dilations = c.dilations;
  return a as tf.NamedAttrMap;
}

/** Runs the registered Conv2DBackpropFilter on `backend` and returns its values. */
async function filterGradOn(
  backend: string,
  c: ConvCase,
  x: Float32Array,
  dy: Float32Array,
  dataFormat: "NHWC" | "NCHW" = "NHWC",
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const info = outSize(c);
  let xt = tf.tensor4d(x, [c.n, c.h, c.w, c.cin]);
  let dyt = tf.tensor4d(dy, [c.n, info.outHeight, info.outWidth, c.cout]);
  if (dataFormat === "NCHW") {
    xt = xt.transpose([0, 3, 1, 2]);
    dyt = dyt.transpose([0, 3, 1, 2]);
  }
  const out = tf.engine().runKernel("Conv2DBackpropFilter", { x: xt, dy: dyt }, attrsOf(c, dataFormat)) as tf.Tensor;
  assert.deepEqual(out.shape, [c.kh, c.kw, c.cin, c.cout]);
  const v = (await out.data()) as Float32Array;
  tf.dispose([xt, dyt, out]);
  return v;
}

/** tfjs's own cpu kernel (before replacement), the reference for undilated cases. */
async function stockCpuFilterGrad(c: ConvCase, x: Float32Array, dy: Float32Array): Promise<Float32Array> {
  await tf.setBackend("cpu");
  const k = stockKernel("Conv2DBackpropFilter", "cpu");
  assert.ok(k, "stock cpu kernel kept");
  const info = outSize(c);
  const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.cin]);
  const dyt = tf.tensor4d(dy, [c.n, info.outHeight, info.outWidth, c.cout]);
  const backend = tf.backend() as unknown as { readSync(id: object): Float32Array; disposeData(id: object): void };
  const out = k!.kernelFunc({ inputs: { x: xt, dy: dyt }, backend, attrs: attrsOf(c) }) as tf.TensorInfo;
  const v = backend.readSync(out.dataId).slice();
  backend.disposeData(out.dataId);
  tf.dispose([xt, dyt]);
  return v;
}

before(async () => {
  registerTrainingKernels();
  await tf.setBackend("wasm");
  await tf.ready();
});

describe("Conv2DBackpropFilter", () => {
  test("wasm and cpu match tfjs's stock cpu kernel on 40 random undilated cases", async () => {
    const r = rng(12345);
    for (let k = 0; k < 40; k++) {
      const c = randomCase(r, false);
      const info = outSize(c);
      if (info.outHeight < 1 || info.outWidth < 1) continue;
      const x = randArray(r, c.n * c.h * c.w * c.cin);
      const dy = randArray(r, c.n * info.outHeight * info.outWidth * c.cout);
      const ref = await stockCpuFilterGrad(c, x, dy);
      const what = JSON.stringify(c);
      assertClose(await filterGradOn("wasm", c, x, dy), ref, `wasm ${what}`);
      assertClose(await filterGradOn("cpu", c, x, dy), ref, `cpu ${what}`);
    }
  });

  test("dilated cases match the float64 definition on both backends", async () => {
    const r = rng(777);
    let dilated = 0;
    for (let k = 0; k < 40 && dilated < 12; k++) {
      const c = randomCase(r, true);
      if (c.dilations[0] === 1 && c.dilations[1] === 1) continue;
      dilated++;
      const info = outSize(c);
      const x = randArray(r, c.n * c.h * c.w * c.cin);
      const dy = randArray(r, c.n * info.outHeight * info.outWidth * c.cout);
      const ref = filterGradReference(c, x, dy);
      const what = JSON.stringify(c);
      assertClose(await filterGradOn("wasm", c, x, dy), ref, `wasm ${what}`);
      assertClose(await filterGradOn("cpu", c, x, dy), ref, `cpu ${what}`);
    }
    assert.ok(dilated >= 5, `too few dilated cases drawn (${dilated})`);
  });

  test("the float64 definition itself agrees with the stock kernel (checks the oracle)", async () => {
    const c: ConvCase = {
      n: 2,
      h: 7,
      w: 6,
      cin: 3,
      cout: 2,
      kh: 3,
      kw: 2,
      strides: [2, 1],
      dilations: [1, 1],
      pad: "same",
    };
    const r = rng(5);
    const info = outSize(c);
    const x = randArray(r, c.n * c.h * c.w * c.cin);
    const dy = randArray(r, c.n * info.outHeight * info.outWidth * c.cout);
    assertClose(await stockCpuFilterGrad(c, x, dy), filterGradReference(c, x, dy), "stock vs definition");
  });

  test("NCHW inputs on cpu give the NHWC result", async () => {
    const r = rng(99);
    for (let k = 0; k < 8; k++) {
      const c = randomCase(r, false);
      const info = outSize(c);
      const x = randArray(r, c.n * c.h * c.w * c.cin);
      const dy = randArray(r, c.n * info.outHeight * info.outWidth * c.cout);
      assertClose(
        await filterGradOn("cpu", c, x, dy, "NCHW"),
        filterGradReference(c, x, dy),
        `cpu NCHW ${JSON.stringify(c)}`,
      );
    }
  });

  test("no tensor data is leaked by the composite kernel", async () => {
    for (const backend of ["wasm", "cpu"]) {
      await tf.setBackend(backend);
      const c: ConvCase = {
        n: 2,
        h: 6,
        w: 6,
        cin: 3,
        cout: 4,
        kh: 3,
        kw: 3,
        strides: [2, 2],
        dilations: [1, 1],
        pad: "same",
      };
      const c1: ConvCase = { ...c, kh: 1, kw: 1, pad: "valid" };
      const x = randArray(rng(1), 2 * 6 * 6 * 3);
      await filterGradOn(backend, c, x, randArray(rng(2), 2 * 3 * 3 * 4)); // warm-up
      const before = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      await filterGradOn(backend, c, x, randArray(rng(2), 2 * 3 * 3 * 4));
      await filterGradOn(backend, c1, x, randArray(rng(3), 2 * 3 * 3 * 4));
      const after = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      assert.equal(after, before, `${backend}: data ids before ${before}, after ${after}`);
    }
  });
});

/** tfjs's own kernel for (name, backend), run on values; returns the output values. */
async function stockRun(
  name: string,
  backend: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const k = stockKernel(name, backend);
  assert.ok(k, `stock ${backend} ${name} kept`);
  const b = tf.backend() as unknown as { readSync(id: object): Float32Array; disposeData(id: object): void };
  const out = k!.kernelFunc({ inputs, backend: b, attrs }) as tf.TensorInfo;
  const v = b.readSync(out.dataId).slice();
  b.disposeData(out.dataId);
  return v;
}

describe("Conv2DBackpropInput", () => {
  test("wasm and cpu match tfjs's stock kernels on 40 random cases", async () => {
    const r = rng(4242);
    for (let k = 0; k < 40; k++) {
      const c = randomCase(r, false);
      const info = outSize(c);
      const dyv = randArray(r, c.n * info.outHeight * info.outWidth * c.cout);
      const wv = randArray(r, c.kh * c.kw * c.cin * c.cout);
      const attrs = {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        dimRoundingMode: undefined,
        inputShape: [c.n, c.h, c.w, c.cin],
      } as unknown as tf.NamedAttrMap;
      await tf.setBackend("cpu");
      const mk = () => ({
        dy: tf.tensor4d(dyv, [c.n, info.outHeight, info.outWidth, c.cout]),
        filter: tf.tensor4d(wv, [c.kh, c.kw, c.cin, c.cout]),
      });
      const cpuIn = mk();
      const ref = await stockRun("Conv2DBackpropInput", "cpu", cpuIn, attrs);
      const ours = (await (
        tf.engine().runKernel("Conv2DBackpropInput", cpuIn, attrs) as tf.Tensor
      ).data()) as Float32Array;
      const what = JSON.stringify(c);
      assertClose(ours, ref, `cpu ${what}`);
      await tf.setBackend("wasm");
      const wasmIn = mk();
      const out = tf.engine().runKernel("Conv2DBackpropInput", wasmIn, attrs) as tf.Tensor;
      assert.deepEqual(out.shape, [c.n, c.h, c.w, c.cin]);
      assertClose((await out.data()) as Float32Array, ref, `wasm ${what}`);
      tf.dispose([out, wasmIn.dy, wasmIn.filter]);
      await tf.setBackend("cpu");
      tf.dispose([cpuIn.dy, cpuIn.filter]);
    }
  });

  test("NCHW on cpu matches the NHWC result", async () => {
    const r = rng(8);
    await tf.setBackend("cpu");
    for (let k = 0; k < 8; k++) {
      const c = randomCase(r, false);
      const info = outSize(c);
      const dy = tf.tensor4d(randArray(r, c.n * info.outHeight * info.outWidth * c.cout), [
        c.n,
        info.outHeight,
        info.outWidth,
        c.cout,
      ]);
      const w = tf.tensor4d(randArray(r, c.kh * c.kw * c.cin * c.cout), [c.kh, c.kw, c.cin, c.cout]);
      const base = { strides: c.strides, pad: c.pad, dimRoundingMode: undefined };
      const nhwc = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, {
        ...base,
        dataFormat: "NHWC",
        inputShape: [c.n, c.h, c.w, c.cin],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const nchw = tf.engine().runKernel("Conv2DBackpropInput", { dy: dy.transpose([0, 3, 1, 2]), filter: w }, {
        ...base,
        dataFormat: "NCHW",
        inputShape: [c.n, c.cin, c.h, c.w],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      assertClose(
        (await nchw.transpose([0, 2, 3, 1]).data()) as Float32Array,
        (await nhwc.data()) as Float32Array,
        `NCHW ${JSON.stringify(c)}`,
      );
    }
  });
});

describe("Conv2D gradient with dilations", () => {
  test("matches the gradient of the equivalent undilated conv with a zero-interleaved filter", async () => {
    const r = rng(2024);
    for (const backend of ["wasm", "cpu"]) {
      await tf.setBackend(backend);
      for (let k = 0; k < 6; k++) {
        const c = randomCase(r, true);
        if (c.dilations[0] === 1 && c.dilations[1] === 1) c.dilations = [2, 1 + (k % 2)];
        c.strides = [1, 1];
        c.h += 4;
        c.w += 4;
        const x = tf.tensor4d(randArray(r, c.n * c.h * c.w * c.cin), [c.n, c.h, c.w, c.cin]);
        const w = tf.tensor4d(randArray(r, c.kh * c.kw * c.cin * c.cout), [c.kh, c.kw, c.cin, c.cout]);
        // Only the string paddings: tfjs sizes a numeric pad with the filter height on both axes,
        // and wasm's forward Conv2D then disagrees with cpu (and can corrupt the wasm heap).
        const pad = typeof c.pad === "string" ? c.pad : k % 2 === 0 ? "same" : "valid";
        const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) =>
          tf.sum(tf.square(tf.conv2d(xx, ww, 1, pad, "NHWC", c.dilations)));
        const [gx, gw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
        // Reference: interleave zeros into w explicitly (slice/pad/reshape have stock gradients).
        const g = (xx: tf.Tensor4D, ww: tf.Tensor4D) => {
          const [kh, kw, ci, co] = ww.shape;
          const [dh, dw] = c.dilations;
          let wd = ww as tf.Tensor;
          wd = tf
            .reshape(
              tf.pad(tf.expandDims(wd, 1), [
                [0, 0],
                [0, dh - 1],
                [0, 0],
                [0, 0],
                [0, 0],
              ]),
              [kh * dh, kw, ci, co],
            )
            .slice([0, 0, 0, 0], [(kh - 1) * dh + 1, kw, ci, co]);
          wd = tf
            .reshape(
              tf.pad(tf.expandDims(wd, 2), [
                [0, 0],
                [0, 0],
                [0, dw - 1],
                [0, 0],
                [0, 0],
              ]),
              [(kh - 1) * dh + 1, kw * dw, ci, co],
            )
            .slice([0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]);
          return tf.sum(tf.square(tf.conv2d(xx, wd as tf.Tensor4D, 1, pad)));
        };
        const [rx, rw] = tf.grads(g as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
        const what = `${backend} ${JSON.stringify(c)}`;
        assertClose(await gx.data(), await rx.data(), `dx ${what}`);
        assertClose(await gw.data(), await rw.data(), `dw ${what}`);
        tf.dispose([x, w, gx, gw, rx, rw]);
      }
    }
  });
});

describe("UnsortedSegmentSum on wasm", () => {
  test("matches the cpu kernel on random shapes, including dropped out-of-range ids", async () => {
    const r = rng(31337);
    for (let k = 0; k < 20; k++) {
      const idShape = [int(r, 1, 12)]; // tf.unsortedSegmentSum takes 1-D ids
      const inner = r() < 0.3 ? [] : r() < 0.5 ? [int(r, 1, 5)] : [int(r, 1, 3), int(r, 1, 3)];
      const numSegments = int(r, 1, 8);
      const nIds = idShape.reduce((a, b) => a * b, 1);
      const ids = Int32Array.from({ length: nIds }, () => int(r, -1, numSegments)); // -1 and numSegments are dropped
      const xShape = [...idShape, ...inner];
      const xs = randArray(
        r,
        xShape.reduce((a, b) => a * b, 1),
      );
      const results: Float32Array[] = [];
      for (const backend of ["wasm", "cpu"]) {
        await tf.setBackend(backend);
        const x = tf.tensor(xs, xShape);
        const seg = tf.tensor(ids, idShape, "int32");
        const out = tf.unsortedSegmentSum(x, seg as tf.Tensor1D, numSegments);
        assert.deepEqual(out.shape, [numSegments, ...inner]);
        results.push((await out.data()) as Float32Array);
        tf.dispose([x, seg, out]);
      }
      assertClose(results[0], results[1], `case ${k} ids ${idShape} inner ${inner}`, 1e-6);
    }
  });

  test("int32 data and the gather gradient", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor1d([1, 2, 3, 4], "int32");
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([1, 0, 1, 1], "int32"), 3);
    assert.equal(out.dtype, "int32");
    assert.deepEqual(Array.from(await out.data()), [2, 8, 0]);
    const table = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([2, 0, 2], "int32"))))(table);
    assert.deepEqual(Array.from(await g.data()), [1, 1, 0, 0, 2, 2]);
  });
});

describe("FusedBatchNorm gradient", () => {
  test("equals tfjs's stock gradient for every input, 4-D per-channel and 2-D cases", async () => {
    const stock = stockGradient("FusedBatchNorm");
    assert.ok(stock, "stock gradient kept");
    const r = rng(66);
    for (const backend of ["wasm", "cpu"]) {
      await tf.setBackend(backend);
      for (const shape of [
        [2, 3, 4, 5],
        [3, 2, 2, 1],
        [6, 4],
      ]) {
        const c = shape[shape.length - 1];
        const x = tf.tensor(
          randArray(
            r,
            shape.reduce((a, b) => a * b, 1),
          ),
          shape,
        );
        const weights = tf.tensor(randArray(r, x.size), shape);
        const [mean, variance] = [
          tf.tensor1d(randArray(r, c)),
          tf.tensor1d(Float32Array.from(randArray(r, c), (v) => 0.5 + Math.abs(v))),
        ];
        const [scale, offset] = [tf.tensor1d(randArray(r, c)), tf.tensor1d(randArray(r, c))];
        const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.batchNorm(a, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3),
              weights,
            ),
          );
        const ours = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, mean, variance, scale, offset]);
        tf.registerGradient(stock!);
        let ref: tf.Tensor[];
        try {
          ref = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, mean, variance, scale, offset]);
        } finally {
          tf.registerGradient(fusedBatchNormGradConfig);
        }
        const names = ["x", "mean", "variance", "scale", "offset"];
        for (let i = 0; i < 5; i++) {
          assert.deepEqual(ours[i].shape, ref[i].shape);
          assertClose(
            (await ours[i].data()) as Float32Array,
            (await ref[i].data()) as Float32Array,
            `${backend} ${shape} d${names[i]}`,
          );
        }
      }
    }
  });
});

describe("BatchMatMul on wasm", () => {
  test("transposed operands match the cpu kernel, for rank 2 and rank 3 with one batch and several", async () => {
    const r = rng(555);
    for (let k = 0; k < 24; k++) {
      const [m, kk, n] = [int(r, 1, 9), int(r, 1, 9), int(r, 1, 9)];
      const tA = r() < 0.5,
        tB = r() < 0.5;
      const batch = k % 3 === 0 ? [int(r, 2, 3)] : k % 3 === 1 ? [1] : [];
      const aShape = [...batch, ...(tA ? [kk, m] : [m, kk])];
      const bShape = [...batch, ...(tB ? [n, kk] : [kk, n])];
      const av = randArray(
        r,
        aShape.reduce((p, d) => p * d, 1),
      );
      const bv = randArray(
        r,
        bShape.reduce((p, d) => p * d, 1),
      );
      const out: { shape: number[]; v: Float32Array }[] = [];
      for (const backend of ["wasm", "cpu"]) {
        await tf.setBackend(backend);
        const y = tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB);
        out.push({ shape: y.shape, v: (await y.data()) as Float32Array });
      }
      assert.deepEqual(out[0].shape, out[1].shape, `shape, case ${k}`);
      assertClose(out[0].v, out[1].v, `tA ${tA} tB ${tB} a ${aShape} b ${bShape}`);
    }
  });
});

describe("MaxPoolGrad on wasm", () => {
  test("matches the cpu kernel on random pools, with many ties", async () => {
    const r = rng(909);
    for (let k = 0; k < 24; k++) {
      const f: [number, number] = [int(r, 1, 3), int(r, 1, 3)];
      const s: [number, number] = [int(r, 1, 3), int(r, 1, 3)];
      const pad = (["valid", "same"] as const)[int(r, 0, 1)];
      const shape = [int(r, 1, 2), int(r, f[0], 8), int(r, f[1], 8), int(r, 1, 4)];
      // Values from {−1, 0, 1, 2} with a ReLU-like excess of zeros, so windows often tie.
      const xv = Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => Math.max(0, int(r, -3, 2)));
      const grads: Float32Array[] = [];
      for (const backend of ["wasm", "cpu"]) {
        await tf.setBackend(backend);
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        const g = tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.maxPool(t as tf.Tensor4D, f, s, pad),
              tf
                .range(1, 1 + tf.maxPool(t as tf.Tensor4D, f, s, pad).size)
                .reshape(tf.maxPool(t as tf.Tensor4D, f, s, pad).shape),
            ),
          ),
        )(x);
        grads.push((await g.data()) as Float32Array);
      }
      assertClose(grads[0], grads[1], `case ${k} f ${f} s ${s} ${pad} x ${shape}`, 1e-6);
    }
  });
});

describe("Slice and Identity on wasm", () => {
  test("Slice matches the cpu kernel on random slices of rank 1 to 6, float32 and int32", async () => {
    const r = rng(1313);
    for (let k = 0; k < 60; k++) {
      const rank = int(r, 1, 6);
      const shape = Array.from({ length: rank }, () => int(r, 1, 5));
      const begin = shape.map((d) => int(r, 0, d - 1));
      // Some dimensions taken whole (merged into the run), some single indices, some partial.
      const size = shape.map((d, i) => (int(r, 0, 2) === 0 ? -1 : int(r, 1, d - begin[i])));
      const dtype = k % 4 === 3 ? "int32" : "float32";
      const n = shape.reduce((p, d) => p * d, 1);
      const values = Array.from({ length: n }, (_, i) => i - 7);
      const out: Float32Array[] = [];
      for (const backend of ["wasm", "cpu"]) {
        await tf.setBackend(backend);
        const x = tf.tensor(values, shape, dtype);
        const y = tf.slice(x, begin, size);
        out.push(Float32Array.from(await y.data()));
        tf.dispose([x, y]);
      }
      assert.deepEqual(
        Array.from(out[0]),
        Array.from(out[1]),
        `case ${k}: shape ${shape} begin ${begin} size ${size} ${dtype}`,
      );
    }
  });

  test("the option-A shortcut's rank-5 subsampling slice, forward and gradient, matches cpu", async () => {
    const xv = Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i));
    const res: Float32Array[] = [];
    for (const backend of ["wasm", "cpu"]) {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xv, [2, 8, 8, 3]);
      const f = (t: tf.Tensor) =>
        tf.sum(tf.mul(tf.slice(tf.reshape(t, [2 * 4, 2, 4, 2, 3]), [0, 0, 0, 0, 0], [-1, 1, -1, 1, -1]), 1.5));
      res.push(Float32Array.from(await tf.grad(f)(x).data()), Float32Array.from(await f(x).data()));
      x.dispose();
    }
    assertClose(res[0], res[2], "gradient", 1e-6);
    assertClose(res[1], res[3], "value", 1e-6);
  });

  test("Identity shares the buffer and counts a reference: disposing one leaves the other readable", async () => {
    await tf.setBackend("wasm");
    const buffers = () => (tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers;
    const before = buffers();
    const x = tf.tensor1d([1, 2, 3]);
    const y = x.clone(); // the Identity kernel
    assert.equal(buffers() - before, 1, "one buffer for both");
    x.dispose();
    assert.deepEqual(Array.from(await y.data()), [1, 2, 3]);
    y.dispose();
    assert.equal(buffers(), before);
  });
});

describe("Sum and Mean on wasm", () => {
  test("match the cpu kernels for leading, trailing, middle and all axes, with and without keepDims", async () => {
    const r = rng(4242);
    const cases: [number[], number | number[]][] = [
      [
        [4, 3, 5, 6],
        [0, 1, 2],
      ],
      [
        [4, 3, 5, 6],
        [1, 0],
      ],
      [[4, 3, 5, 6], 0],
      [[7, 2], [0]],
      [[4, 3, 5, 6], [3]],
      [
        [4, 3, 5, 6],
        [1, 2],
      ],
      [
        [4, 3, 5, 6],
        [0, 1, 2, 3],
      ],
      [
        [4, 3, 5, 6],
        [-4, -3],
      ],
      // More rows than one tile of the column walk (16,384 floats): sums carry across tiles.
      [
        [64, 16, 16, 6],
        [0, 1, 2],
      ],
      [
        [40, 30, 22],
        [0, 1],
      ],
    ];
    for (const [shape, axis] of cases) {
      const values = Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r() * 4 - 2);
      for (const keepDims of [false, true]) {
        for (const op of ["sum", "mean"] as const) {
          const out: { v: Float32Array; s: number[] }[] = [];
          for (const backend of ["wasm", "cpu"]) {
            await tf.setBackend(backend);
            const x = tf.tensor(values, shape);
            const y = tf[op](x, axis, keepDims);
            out.push({ v: Float32Array.from(await y.data()), s: y.shape });
            tf.dispose([x, y]);
          }
          assert.deepEqual(out[0].s, out[1].s, `${op} ${shape} axis ${axis} keepDims ${keepDims}: shape`);
          assertClose(out[0].v, out[1].v, `${op} ${shape} axis ${axis} keepDims ${keepDims}`, 1e-5);
        }
      }
    }
  });
});
