import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { buildImportedConvKernels, instantiateOn, projectKernelRows, useProjectConvKernels } from "./project_kernels";
import { REFERENCE_SCALE } from "./workloads";
import { initBackend } from "../src/backend";

const WebAssembly = (
  globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
).WebAssembly;
const tools = ["clang", "wasm-ld"].every((t) => spawnSync(t, ["--version"]).status === 0);

describe(
  "the project's convolution kernels on tfjs's heap",
  { skip: tools ? false : "needs clang and lld (apt-get install -y clang lld)" },
  () => {
    const bytes = tools ? buildImportedConvKernels() : new Uint8Array();

    test("they write their outputs and scratch and leave every other byte of the memory alone", () => {
      // Linked without a stack: a kernel that needed one would write below its arguments.
      const memory = new WebAssembly.Memory({ initial: 4 });
      const heap = new Float32Array(memory.buffer);
      heap.fill(-7.25);
      const fns = instantiateOn(bytes, memory);
      // n=1, 4x4, C=8, O=8, 3x3, pad 1; x at 1024, filter 2048, dy 8192, outputs 16384.., scratch 65536.
      const [x, f, dy, out, scratch] = [1024, 2048, 8192, 16384, 65536];
      for (let e = 0; e < 128; e++) heap[x / 4 + e] = Math.sin(e);
      for (let e = 0; e < 576; e++) heap[f / 4 + e] = Math.cos(e);
      for (let e = 0; e < 128; e++) heap[dy / 4 + e] = Math.sin(2 * e);
      const before = heap.slice();
      assert.equal(fns.conv_forward(1, 4, 4, 8, 8, 3, 1, x, f, out, scratch), 0);
      assert.equal(fns.conv_input_grad(1, 4, 4, 8, 8, 3, 1, dy, f, out + 4 * 128, scratch), 0);
      assert.equal(fns.conv_filter_grad(1, 4, 4, 8, 8, 3, 1, 1, x, dy, out + 8 * 128), 0);
      // Outputs: y and dx 128 floats each, dW 576. Scratch: at most 576 + 6·6·8 floats.
      const written = (i: number) =>
        (i >= out / 4 && i < out / 4 + 256 + 576) || (i >= scratch / 4 && i < scratch / 4 + 576 + 288);
      let changedElsewhere = 0;
      for (let i = 0; i < heap.length; i++) if (!written(i) && !Object.is(heap[i], before[i])) changedElsewhere++;
      assert.equal(changedElsewhere, 0);
      assert.ok(heap.subarray(out / 4, out / 4 + 832).every((v) => v !== -7.25));
    });

    test("switched on, a convolution's value and both gradients match tfjs's kernels (plain and fused)", async () => {
      await initBackend({ backend: "wasm", threads: 1, quiet: true });
      const k = useProjectConvKernels(bytes);
      try {
        const x = tf.randomNormal([3, 9, 7, 8], 0, 1, "float32", 1);
        const w = tf.randomNormal([3, 3, 8, 16], 0, 1, "float32", 2);
        const probe = tf.randomNormal([3, 9, 7, 16], 0, 1, "float32", 3);
        const cases: [string, (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D][] = [
          ["Conv2D", (a, b) => tf.conv2d(a, b, 1, "same")],
          ["FusedConv2D", (a, b) => tf.fused.conv2d({ x: a, filter: b, strides: 1, pad: "same" })],
        ];
        for (const [name, conv] of cases) {
          // loss = Σ conv(x, w)·probe: its gradients are the input and filter gradients of the probe.
          const run = (on: boolean) => {
            k.setEnabled(on);
            const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), probe));
            const { value, grads } = tf.valueAndGrads(f)([x, w]);
            const out = [value, ...grads].map((t) => Array.from(t.dataSync()));
            tf.dispose([value, ...grads]);
            return out;
          };
          const theirs = run(false);
          const answered = { ...k.calls };
          const mine = run(true);
          // Each product of this shape ran in the project's kernels, not in the ones they stand in for.
          for (const kernel of [name, "Conv2DBackpropInput", "Conv2DBackpropFilter"])
            assert.equal(k.calls[kernel] - answered[kernel], 1, `${name}: ${kernel}`);
          const counted = tf.memory().numTensors;
          ["loss", "dx", "dW"].forEach((what, i) => {
            assert.equal(mine[i].length, theirs[i].length);
            const scale = Math.max(...theirs[i].map(Math.abs));
            const worst = Math.max(...mine[i].map((v, e) => Math.abs(v - theirs[i][e])));
            assert.ok(worst <= 1e-5 * scale, `${name} ${what}: off by ${worst} at scale ${scale}`);
          });
          // The kernels' outputs are ordinary tensors: none left behind by the switched-on path.
          run(true);
          assert.equal(tf.memory().numTensors, counted);
        }
        tf.dispose([x, w, probe]);
      } finally {
        k.restore();
      }
    });

    test("restore() puts the previous kernels back", async () => {
      await initBackend({ backend: "wasm", threads: 1, quiet: true });
      const before = tf.getKernel("Conv2DBackpropFilter", "wasm")!.kernelFunc;
      const k = useProjectConvKernels(bytes);
      assert.notEqual(tf.getKernel("Conv2DBackpropFilter", "wasm")!.kernelFunc, before);
      k.restore();
      assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm")!.kernelFunc, before);
    });

    test("another backend is refused by name", async () => {
      await initBackend({ backend: "cpu", quiet: true });
      assert.throws(() => useProjectConvKernels(bytes), /project kernels: backend cpu; they run on wasm/);
    });
  },
);

test(
  "the workloads are timed both ways, and the project's kernels answer the calls they take",
  { skip: tools ? false : "needs clang and lld (apt-get install -y clang lld)" },
  async () => {
    await initBackend({ backend: "wasm", threads: 1, quiet: true });
    const before = tf.memory().numTensors;
    const { rows, answeredPerStep } = projectKernelRows(buildImportedConvKernels(), ["fmnist-cnn"], 0.05, {
      ...REFERENCE_SCALE,
      fmnistBatch: 4,
    });
    assert.deepEqual(
      rows.map((r) => [r.workload, r.engine, r.unit]),
      [
        ["fmnist-cnn", "tfjs-wasm", "samples/s"],
        ["fmnist-cnn", "tfjs-wasm+project-kernels", "samples/s"],
      ],
    );
    for (const r of rows) assert.ok(r.value > 0);
    // fmnist-cnn: conv1 (1 → 32 channels) and conv2 (32 → 64), both 3x3, stride 1, no padding.
    // Their forward passes run as FusedConv2D with a bias, which the project's forward kernel
    // leaves to XNNPACK. The gradients (tfjs computes both for a fused convolution, conv1's input
    // gradient included): conv2's input and filter gradients are answered; conv1's are not (1
    // input channel), but conv1's filter gradient falls back to the composition of
    // src/backend/kernels, a forward Conv2D of [1,28,28,4] by [26,26,4,32], which is answered.
    assert.deepEqual(answeredPerStep["fmnist-cnn"], {
      Conv2D: 1,
      FusedConv2D: 0,
      Conv2DBackpropInput: 1,
      Conv2DBackpropFilter: 1,
    });
    assert.equal(tf.memory().numTensors, before);
  },
);
