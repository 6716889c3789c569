import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import {
  buildModel,
  countParams,
  LSTM_PRESETS,
  LstmLmConfig,
  lstmLayerSizes,
  ModelName,
  MODEL_NAMES,
  type ModelConfigs,
  SeededDropout,
  ShortcutA,
  softmaxCrossEntropyFromLogits,
  getDropoutState,
  setDropoutState,
} from "./index";

// Reference parameter counts of the PyTorch networks, by formula.
/** nn.Conv2d(cin, cout, k, bias): k·k·cin·cout weights (+ cout bias). */
const conv = (k: number, cin: number, cout: number, bias = false) => k * k * cin * cout + (bias ? cout : 0);
/** nn.BatchNorm2d(c) parameters: γ and β (running mean/var are buffers, not parameters). */
const bn = (c: number) => 2 * c;
/** nn.Linear(i, o): i·o + o. */
const linear = (i: number, o: number) => i * o + o;

/** uclaml/Padam models/vgg.py VGG('VGG16'): 13 conv3x3 with bias + BN, Linear(512, 10). */
function vgg16Reference(numClasses: number): { params: number; bnChannels: number } {
  const cfg = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];
  let params = 0;
  let bnChannels = 0;
  let cin = 3;
  for (const c of cfg) {
    params += conv(3, cin, c, true) + bn(c);
    bnChannels += c;
    cin = c;
  }
  return { params: params + linear(512, numClasses), bnChannels };
}

/** BasicBlock(cin → cout, stride): two conv3x3 + BN, plus 1x1 conv + BN projection on shape change. */
function basicBlock(
  cin: number,
  cout: number,
  stride: number,
  projection: boolean,
): { params: number; bnChannels: number } {
  let params = conv(3, cin, cout) + bn(cout) + conv(3, cout, cout) + bn(cout);
  let bnChannels = 2 * cout;
  if ((stride !== 1 || cin !== cout) && projection) {
    params += conv(1, cin, cout) + bn(cout);
    bnChannels += cout;
  }
  return { params, bnChannels };
}

/** A ResNet: stem conv (k x k, cin 3 → w0) + BN, stages of BasicBlocks, Linear(last → classes). */
function resnetReference(
  stemK: number,
  w0: number,
  widths: number[],
  strides: number[],
  blocks: number,
  projection: boolean,
  numClasses: number,
) {
  let params = conv(stemK, 3, w0) + bn(w0);
  let bnChannels = w0;
  let cin = w0;
  widths.forEach((w, i) => {
    for (let b = 0; b < blocks; b++) {
      const r = basicBlock(cin, w, b === 0 ? strides[i] : 1, projection);
      params += r.params;
      bnChannels += r.bnChannels;
      cin = w;
    }
  });
  return { params: params + linear(cin, numClasses), bnChannels };
}

/** Reference counts; imagenet-vgg16 is checked in imagenet_vgg.test.ts (its build alone takes ~10 s). */
const REFERENCE: Record<Exclude<ModelName, "lstm-lm" | "imagenet-vgg16">, { params: number; bnChannels: number }> = {
  vgg16: vgg16Reference(10),
  // kuangliu ResNet18: stem 3x3 64; widths 64..512, strides 1/2/2/2, 2 blocks, projections.
  resnet18: resnetReference(3, 64, [64, 128, 256, 512], [1, 2, 2, 2], 2, true, 10),
  // WResNet_cifar10(depth 16, multiplier 4): n = int(14/6) = 2 blocks; widths 64/128/256.
  "wrn16-4": resnetReference(3, 64, [64, 128, 256], [1, 2, 2], 2, true, 10),
  // He et al. ResNet-20: 3 blocks per stage, widths 16/32/64, option-A shortcuts (no params).
  resnet20: resnetReference(3, 16, [16, 32, 64], [1, 2, 2], 3, false, 10),
  // torchvision resnet18: stem 7x7 64; same stages as above; fc 512 → 1000.
  "imagenet-resnet18": resnetReference(7, 64, [64, 128, 256, 512], [1, 2, 2, 2], 2, true, 1000),
  // benchmark fmnist-cnn: conv3x3 1→32 (bias), conv3x3 32→64 (bias), Linear(1600,128), Linear(128,10); no BN.
  "fmnist-cnn": {
    params: conv(3, 1, 32, true) + conv(3, 32, 64, true) + linear(1600, 128) + linear(128, 10),
    bnChannels: 0,
  },
};

before(async () => {
  // wasm with the project's training kernels: the stock cpu conv filter gradient takes ~30 s for
  // one ResNet-20 step on batch 2, too slow for a unit test.
  await initBackend({ backend: "wasm", quiet: true });
});

describe("parameter counts equal the PyTorch reference networks", () => {
  test("published totals (sanity check of the formulas)", () => {
    assert.equal(REFERENCE.vgg16.params, 14_728_266);
    assert.equal(REFERENCE.resnet18.params, 11_173_962);
    assert.equal(REFERENCE["imagenet-resnet18"].params, 11_689_512);
    assert.equal(REFERENCE.resnet20.params, 269_722);
  });

  for (const [name, ref] of Object.entries(REFERENCE)) {
    test(`${name}: trainable = reference; all weights add 2 BN moving statistics per channel`, () => {
      const model = buildModel(name as ModelName);
      assert.equal(countParams(model), ref.params);
      assert.equal(countParams(model, { trainableOnly: true }), ref.params);
      assert.equal(countParams(model, { trainableOnly: false }), ref.params + 2 * ref.bnChannels);
      model.dispose();
    });
  }

  test("numClasses changes only the last layer", () => {
    const m = buildModel("resnet18", { numClasses: 100 });
    assert.equal(countParams(m), REFERENCE.resnet18.params - linear(512, 10) + linear(512, 100));
    assert.deepEqual(m.outputs[0].shape, [null, 100]);
    m.dispose();
  });
});

/** One forward and backward pass on a batch of 2; returns the loss and the gradient map. */
function forwardBackward(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
): { loss: number; grads: tf.NamedTensorMap } {
  const { value, grads } = tf.variableGrads(() =>
    softmaxCrossEntropyFromLogits(y, model.apply(x, { training: true }) as tf.Tensor),
  );
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads };
}

function assertGradsCover(model: tf.LayersModel, grads: tf.NamedTensorMap): void {
  const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  assert.deepEqual(Object.keys(grads).sort(), [...names].sort(), "every trainable weight gets a gradient");
  let nonZero = 0;
  for (const g of Object.values(grads)) {
    const data = g.dataSync();
    for (const v of data) assert.ok(Number.isFinite(v), "finite gradient");
    if (data.some((v) => v !== 0)) nonZero += 1;
  }
  // Every weight influences the loss, so every gradient tensor has some non-zero entry.
  assert.equal(nonZero, names.length);
  tf.dispose(Object.values(grads));
}

describe("forward + backward on a batch of 2", () => {
  const image: { name: ModelName; config?: ModelConfigs[ModelName]; size: number; channels: number; note: string }[] = [
    { name: "fmnist-cnn", size: 28, channels: 1, note: "" },
    { name: "resnet20", size: 32, channels: 3, note: "" },
    { name: "vgg16", size: 32, channels: 3, note: "" },
    { name: "resnet18", size: 32, channels: 3, note: "" },
    { name: "wrn16-4", size: 32, channels: 3, note: "" },
    // Reduced input size (same layers and parameters thanks to the global pool; a 224x224
    // backward pass would dominate the file's run time). imagenet-vgg16: imagenet_vgg.test.ts.
    {
      name: "imagenet-resnet18",
      config: { inputSize: 64, numClasses: 20 },
      size: 64,
      channels: 3,
      note: " (64x64 input)",
    },
  ];
  for (const c of image) {
    test(`${c.name}${c.note}: logits [2, classes], finite loss, a gradient for every weight`, () => {
      const model = buildModel(c.name, c.config);
      const numClasses = model.outputs[0].shape[1] as number;
      const x = tf.randomNormal([2, c.size, c.size, c.channels], 0, 1, "float32", 7);
      const y = tf.tensor1d([1, 3], "int32");
      const out = model.predict(x) as tf.Tensor;
      assert.deepEqual(out.shape, [2, numClasses]);
      const { loss, grads } = forwardBackward(model, x, y);
      // At initialisation the loss is of the order of ln(numClasses).
      assert.ok(Number.isFinite(loss) && loss > 0 && loss < 10 * Math.log(numClasses), `loss ${loss}`);
      assertGradsCover(model, grads);
      tf.dispose([x, y, out]);
      model.dispose();
    });
  }

  test("imagenet-resnet18 at the full 224x224 input: forward of one image", () => {
    const model = buildModel("imagenet-resnet18");
    const out = model.predict(tf.zeros([1, 224, 224, 3])) as tf.Tensor;
    assert.deepEqual(out.shape, [1, 1000]);
    model.dispose();
  });
});

describe("seeded initialisation", () => {
  for (const name of ["resnet20", "fmnist-cnn", "lstm-lm"] as ModelName[]) {
    test(`${name}: same seed → same weights; another seed → different weights`, () => {
      const cfg = (seed: number): ModelConfigs[ModelName] =>
        name === "lstm-lm"
          ? { vocabSize: 30, embeddingSize: 4, hiddenSize: 5, seqLen: 3, batchSize: undefined, seed }
          : { seed };
      const [a, b, c] = [buildModel(name, cfg(3)), buildModel(name, cfg(3)), buildModel(name, cfg(4))];
      const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
      const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
      const wc = c.getWeights().map((w) => Array.from(w.dataSync()));
      assert.deepEqual(wa, wb);
      assert.notDeepEqual(wa, wc);
      // Two layers of the same shape draw different numbers (derived seeds, not one shared seed).
      const kernels = a.trainableWeights.filter((w) => w.shape.length > 1);
      const sameShape = kernels.find((k, i) => kernels.some((o, j) => j !== i && o.shape.join() === k.shape.join()));
      if (sameShape) {
        const other = kernels.find((o) => o !== sameShape && o.shape.join() === sameShape.shape.join())!;
        assert.notDeepEqual(Array.from(sameShape.read().dataSync()), Array.from(other.read().dataSync()));
      }
      [a, b, c].forEach((m) => m.dispose());
    });
  }
});

describe("LSTM language model", () => {
  test("presets: PyTorch counts worked by hand; tfjs has exactly 4H fewer per layer (one bias vector)", () => {
    // nn.Embedding(V, E): V·E; nn.LSTM layer in → H: 4H·in + 4H·H + 8H (two bias vectors); the
    // decoder: its bias V when tied to the embedding, else Linear(H_L, V).
    // ptb-lstm2 (V 10000, E 400, H 1150, tied; layers 400 → 1150 → 400):
    //   4,000,000 + (1,840,000 + 5,290,000 + 9,200) + (1,840,000 + 640,000 + 3,200) + 10,000 = 13,632,400
    // ptb-lstm3: one more 1150 → 1150 layer, 5,290,000·2 + 9,200 = 10,589,200: 24,221,600, the 24M that
    //   Merity et al. (arXiv:1708.02182, Table 1) give for AWD-LSTM on PTB
    // ptb-lstm-small (E = H = 200, untied): 2,000,000 + 2·(160,000 + 160,000 + 1,600) + (2,000,000 + 10,000) = 4,653,200
    const presets: [keyof typeof LSTM_PRESETS, number, number[]][] = [
      ["ptb-lstm2", 13_632_400, [1150, 400]],
      ["ptb-lstm3", 24_221_600, [1150, 1150, 400]],
      ["ptb-lstm-small", 4_653_200, [200, 200]],
    ];
    assert.deepEqual(presets.map(([name]) => name).sort(), Object.keys(LSTM_PRESETS).sort(), "every preset is checked");
    for (const [name, torch, sizes] of presets) {
      const p: LstmLmConfig = LSTM_PRESETS[name];
      assert.deepEqual(lstmLayerSizes(p), sizes, name);
      const model = buildModel("lstm-lm", p);
      assert.equal(countParams(model), torch - sizes.reduce((s, h) => s + 4 * h, 0), name);
      assert.deepEqual(model.outputs[0].shape, [p.batchSize, p.seqLen, p.vocabSize], name);
      model.dispose();
    }
  });

  test("tied weights: the last layer has E units and the decoder shares the embedding", () => {
    assert.deepEqual(lstmLayerSizes(LSTM_PRESETS["ptb-lstm3"]), [1150, 1150, 400]);
    const cfg = {
      vocabSize: 20,
      embeddingSize: 6,
      hiddenSize: 9,
      numLayers: 2,
      dropout: 0,
      tieWeights: true,
      seqLen: 4,
    };
    const model = buildModel("lstm-lm", cfg);
    const names = model.trainableWeights.map((w) => w.originalName);
    assert.equal(names.filter((n) => n.includes("embeddings")).length, 1);
    assert.ok(!names.some((n) => n.startsWith("decoder")));
    model.dispose();
  });

  for (const numLayers of [2, 3]) {
    for (const tieWeights of [false, true]) {
      test(`forward + backward, ${numLayers} layers, tied=${tieWeights}, dropout 0.3`, () => {
        const cfg = {
          vocabSize: 50,
          embeddingSize: 8,
          hiddenSize: 12,
          numLayers,
          dropout: 0.3,
          tieWeights,
          seqLen: 5,
          seed: 1,
        };
        const model = buildModel("lstm-lm", cfg);
        const x = tf.tensor2d(
          [
            [1, 2, 3, 4, 5],
            [6, 7, 8, 9, 10],
          ],
          [2, 5],
          "int32",
        );
        const y = tf.tensor2d(
          [
            [2, 3, 4, 5, 6],
            [7, 8, 9, 10, 11],
          ],
          [2, 5],
          "int32",
        );
        const out = model.predict(x) as tf.Tensor;
        assert.deepEqual(out.shape, [2, 5, 50]);
        const { loss, grads } = forwardBackward(model, x, y);
        // Near-uniform predictions at init: loss ≈ ln 50 = 3.91.
        assert.ok(Math.abs(loss - Math.log(50)) < 0.5, `loss ${loss}`);
        assertGradsCover(model, grads);
        tf.dispose([x, y, out]);
        model.dispose();
      });
    }
  }

  test("batchSize makes the LSTMs stateful: state carries over until resetStates()", () => {
    const cfg = { vocabSize: 30, embeddingSize: 4, hiddenSize: 6, numLayers: 2, dropout: 0, seqLen: 3, batchSize: 2 };
    const model = buildModel("lstm-lm", cfg);
    const x = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [2, 3],
      "int32",
    );
    const first = Array.from((model.predict(x) as tf.Tensor).dataSync());
    const second = Array.from((model.predict(x) as tf.Tensor).dataSync());
    assert.notDeepEqual(first, second);
    model.resetStates();
    assert.deepEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()), first);
    model.dispose();
  });
});

describe("custom layers", () => {
  test("ShortcutA = x[:, ::2, ::2, :] with channels zero-padded (even and odd sizes)", () => {
    for (const [h, w] of [
      [4, 4],
      [5, 3],
    ]) {
      const c = 2;
      const values = Array.from({ length: h * w * c }, (_, i) => i + 1);
      const x = tf.tensor4d(values, [1, h, w, c]);
      const layer = new ShortcutA({ stride: 2, padBefore: 1, padAfter: 1 });
      const y = layer.apply(x) as tf.Tensor;
      const ho = Math.ceil(h / 2);
      const wo = Math.ceil(w / 2);
      assert.deepEqual(y.shape, [1, ho, wo, c + 2]);
      const expected: number[] = [];
      for (let i = 0; i < h; i += 2)
        for (let j = 0; j < w; j += 2) expected.push(0, values[(i * w + j) * c], values[(i * w + j) * c + 1], 0);
      assert.deepEqual(Array.from(y.dataSync()), expected);
      assert.deepEqual(layer.computeOutputShape([null, h, w, c]), [null, ho, wo, c + 2]);
    }
  });

  test("SeededDropout: a new mask per call, the same sequence for the same seed, identity at inference", () => {
    const x = tf.ones([1, 200]);
    const run = (seed: number) => {
      const d = new SeededDropout({ rate: 0.5, seed });
      return [0, 1].map(() => Array.from((d.apply(x, { training: true }) as tf.Tensor).dataSync()));
    };
    const [a1, a2] = run(5);
    const [b1, b2] = run(5);
    assert.deepEqual([a1, a2], [b1, b2]);
    assert.notDeepEqual(a1, a2);
    // Kept units are scaled by 1/(1 − rate) = 2.
    assert.ok(a1.every((v) => v === 0 || v === 2));
    const d = new SeededDropout({ rate: 0.5, seed: 5 });
    assert.deepEqual(Array.from((d.apply(x) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
  });

  test("dropout state round-trips so a resumed run draws the same masks", () => {
    const cfg = { vocabSize: 30, embeddingSize: 4, hiddenSize: 6, numLayers: 2, dropout: 0.5, seqLen: 3, seed: 2 };
    const a = buildModel("lstm-lm", cfg);
    const x = tf.tensor2d([[1, 2, 3]], [1, 3], "int32");
    a.apply(x, { training: true });
    const state = getDropoutState(a);
    assert.deepEqual(Object.values(state), [1, 1, 1]);
    const nextA = Array.from((a.apply(x, { training: true }) as tf.Tensor).dataSync());
    const b = buildModel("lstm-lm", cfg);
    setDropoutState(b, state);
    assert.deepEqual(Array.from((b.apply(x, { training: true }) as tf.Tensor).dataSync()), nextA);
    assert.throws(() => setDropoutState(b, {}), /no saved counter for dropout layer "dropout0"/);
  });

  for (const [name, config] of [
    ["resnet20", {}],
    [
      "lstm-lm",
      { vocabSize: 20, embeddingSize: 4, hiddenSize: 5, numLayers: 2, dropout: 0.2, tieWeights: true, seqLen: 3 },
    ],
  ] as [ModelName, ModelConfigs[ModelName]][]) {
    test(`${name}: save + load through the topology gives the same predictions (custom layers registered)`, async () => {
      const model = buildModel(name, config);
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
        }),
      );
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      const x =
        name === "lstm-lm"
          ? tf.tensor2d([[1, 2, 3]], [1, 3], "int32")
          : tf.randomNormal([1, 32, 32, 3], 0, 1, "float32", 3);
      assert.deepEqual(
        Array.from((loaded.predict(x) as tf.Tensor).dataSync()),
        Array.from((model.predict(x) as tf.Tensor).dataSync()),
      );
      assert.equal(countParams(loaded), countParams(model));
    });
  }
});

describe("loss and validation", () => {
  test("softmaxCrossEntropyFromLogits: hand values, ids or one-hot labels", () => {
    // Uniform logits over 4 classes: −log(1/4) = ln 4.
    const uniform = softmaxCrossEntropyFromLogits(tf.tensor1d([2, 0], "int32"), tf.zeros([2, 4]));
    assert.ok(Math.abs(uniform.dataSync()[0] - Math.log(4)) < 1e-6);
    // logits [0, ln 3]: p = [1/4, 3/4]; label 1 → −ln(3/4); label 0 → ln 4; mean of the two.
    const logits = tf.tensor2d([
      [0, Math.log(3)],
      [0, Math.log(3)],
    ]);
    const expected = (-Math.log(0.75) + Math.log(4)) / 2;
    assert.ok(
      Math.abs(softmaxCrossEntropyFromLogits(tf.tensor1d([1, 0], "int32"), logits).dataSync()[0] - expected) < 1e-6,
    );
    const oneHot = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
    assert.ok(Math.abs(softmaxCrossEntropyFromLogits(oneHot, logits).dataSync()[0] - expected) < 1e-6);
    assert.throws(
      () => softmaxCrossEntropyFromLogits(tf.tensor1d([1, 0, 1], "int32"), logits),
      /does not match logits shape/,
    );
  });

  test("bad names and configs are refused before any weight is created", () => {
    assert.throws(() => buildModel("resnet50" as ModelName), /unknown model "resnet50"; known models: vgg16, resnet18/);
    assert.throws(
      () => buildModel("resnet18", { numClasses: 0 }),
      /numClasses must be an integer in \[1, 100000\], got 0/,
    );
    assert.throws(
      () => buildModel("vgg16", { numClass: 10 } as ModelConfigs["vgg16"]),
      /vgg16: unknown config key "numClass"/,
    );
    assert.throws(() => buildModel("resnet20", { seed: -1 }), /seed must be an integer in \[0, 2147483647\], got -1/);
    assert.throws(
      () => buildModel("imagenet-vgg16", { inputSize: 100 }),
      /inputSize must be a multiple of 32, got 100/,
    );
    assert.throws(() => buildModel("lstm-lm", { dropout: 1 }), /dropout must be a number in \[0, 1\), got 1/);
    assert.throws(() => buildModel("lstm-lm", { numLayers: 0 }), /numLayers must be an integer in \[1, 8\], got 0/);
    assert.equal(MODEL_NAMES.length, 8);
  });
});
