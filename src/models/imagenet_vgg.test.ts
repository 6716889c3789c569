// ImageNet VGG-16 in its own file: building the 138M-parameter network takes ~10 s here.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { buildModel, countParams, softmaxCrossEntropyFromLogits } from "./index";

/** nn.Conv2d(cin, cout, 3) with bias. */
const conv3 = (cin: number, cout: number) => 9 * cin * cout + cout;
/** nn.Linear(i, o). */
const linear = (i: number, o: number) => i * o + o;
const CFG = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];
const convParams = CFG.reduce((acc, c, i) => acc + conv3(i === 0 ? 3 : CFG[i - 1], c), 0);
/** BatchNorm2d γ, β per channel. */
const bnParams = CFG.reduce((acc, c) => acc + 2 * c, 0);
/** torchvision classifier for a s x s final map: Linear(512·s·s, 4096), Linear(4096, 4096), Linear(4096, classes). */
const classifier = (s: number, classes: number) =>
  linear(512 * s * s, 4096) + linear(4096, 4096) + linear(4096, classes);

before(async () => {
  await initBackend({ backend: "wasm", quiet: true });
});

test("imagenet-vgg16 at 224: torchvision vgg16_bn count 138,365,992; BN moving stats non-trainable", () => {
  const model = buildModel("imagenet-vgg16");
  assert.equal(countParams(model), convParams + bnParams + classifier(7, 1000));
  assert.equal(countParams(model), 138_365_992);
  assert.equal(countParams(model, { trainableOnly: false }), 138_365_992 + bnParams);
  assert.deepEqual(model.inputs[0].shape, [null, 224, 224, 3]);
  assert.deepEqual(model.outputs[0].shape, [null, 1000]);
  model.dispose();
});

test("imagenet-vgg16 without BN: torchvision vgg16 count (138,357,544 at 224) by formula, built at 32x32", () => {
  assert.equal(convParams + classifier(7, 1000), 138_357_544);
  // Built at 32x32 to save time: only the first classifier layer differs (512·1·1 inputs).
  const model = buildModel("imagenet-vgg16", { batchNorm: false, inputSize: 32 });
  assert.equal(countParams(model), convParams + classifier(1, 1000));
  assert.equal(countParams(model, { trainableOnly: false }), countParams(model));
  model.dispose();
});

test("imagenet-vgg16 forward + backward on a batch of 2 at 32x32 input (reduced from 224 for speed)", () => {
  const model = buildModel("imagenet-vgg16", { inputSize: 32, numClasses: 20, dropout: 0.5 });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 1);
  const y = tf.tensor1d([4, 19], "int32");
  const { value, grads } = tf.variableGrads(() =>
    softmaxCrossEntropyFromLogits(y, model.apply(x, { training: true }) as tf.Tensor),
  );
  const loss = value.dataSync()[0];
  assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
  assert.equal(Object.keys(grads).length, model.trainableWeights.length);
  for (const g of Object.values(grads)) assert.ok(g.dataSync().every(Number.isFinite));
  assert.deepEqual((model.predict(x) as tf.Tensor).shape, [2, 20]);
  model.dispose();
});
