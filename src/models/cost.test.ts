import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildModel } from "./index";
import { modelCost, stageShapes, trainingTimeEstimate } from "./cost";

describe("modelCost", () => {
  test("counts conv and dense MACs by hand on a small model", () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: "same" }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "valid" }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const c = modelCost(m);
    const conv = 8 * 8 * 3 * 3 * 2 * 4 + 3 * 3 * 3 * 3 * 4 * 4;
    assert.equal(c.byType.Conv2D, conv);
    assert.equal(c.byType.Dense, 36 * 10);
    assert.equal(c.macs, conv + 360);
    // parameters: 3·3·2·4 + 4 = 76, 3·3·4·4 + 4 = 148, 36·10 + 10 = 370
    assert.equal(c.params, 76 + 148 + 370);
    assert.deepEqual(stageShapes(m), [
      { layer: m.layers[0].name, type: "Conv2D", output: "8x8x4" },
      { layer: m.layers[1].name, type: "Conv2D", output: "3x3x4" },
      { layer: m.layers[2].name, type: "Flatten", output: "36" },
      { layer: m.layers[3].name, type: "Dense", output: "10" },
    ]);
    m.dispose();
  });

  test("CIFAR ResNet-20 costs about 41M MACs (He et al. 2016 report 41M FLOPs counted as MACs)", () => {
    const m = buildModel("resnet20", { seed: 1 });
    const c = modelCost(m);
    assert.ok(c.macs > 39e6 && c.macs < 42e6, `macs = ${c.macs}`);
    m.dispose();
  });
});

describe("trainingTimeEstimate", () => {
  test("FLOPs = epochs·(3·train + eval)·2·MACs, time = FLOPs / throughput", () => {
    const e = trainingTimeEstimate({
      macsPerImage: 1e9,
      trainImages: 100,
      evalImages: 10,
      epochs: 2,
      effectiveTflops: 1,
    });
    assert.equal(e.flops, 2 * 310 * 2e9);
    assert.ok(Math.abs(e.seconds - 1.24) < 1e-12);
    assert.throws(
      () =>
        trainingTimeEstimate({ macsPerImage: 1e9, trainImages: 100, evalImages: 10, epochs: 2, effectiveTflops: 0 }),
      /effectiveTflops = 0/,
    );
  });
});
