import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { measureNetworkGradients } from "./network";

tf.setBackend("cpu");

const SMALL = { inputDim: 6, hidden: [8], classes: 3, samples: 256, batchSize: 32, steps: 60, logEvery: 5, seed: 2 };

describe("measureNetworkGradients", () => {
  test("trains, records consistent statistics and frees its tensors", () => {
    // plain SGD keeps no slots (only its learning-rate scalar, created here), so every tensor
    // left over would be a leak
    const sgd = tf.train.sgd(0.2);
    const before = tf.memory().numTensors;
    const r = measureNetworkGradients(sgd, SMALL);
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    // d = 6*8 + 8 + 8*3 + 3
    assert.equal(r.numParams, 83);
    assert.equal(r.stats.d, 83);
    assert.equal(r.stats.T, 60);
    const first = r.losses[0].loss;
    const last = r.losses[r.losses.length - 1].loss;
    assert.ok(last < first, `loss ${first} -> ${last}`);
    assert.ok(r.worstCaseRatio > 0 && r.worstCaseRatio <= 1, `rho = ${r.worstCaseRatio}`);
    assert.ok(r.verifiedRate <= r.verifiedRateWorstCase);
    assert.ok(r.stats.s.forBound >= 0 && r.stats.s.forBound <= 0.5);
  });

  test("same seed, same numbers", () => {
    const a = measureNetworkGradients(tf.train.sgd(0.2), { ...SMALL, steps: 20 });
    const b = measureNetworkGradients(tf.train.sgd(0.2), { ...SMALL, steps: 20 });
    // variable names are generated afresh per run; everything else must match
    const strip = (s: typeof a.stats) => ({ ...s, perVariable: s.perVariable.map(({ name: _n, ...rest }) => rest) });
    assert.deepEqual(strip(a.stats), strip(b.stats));
    assert.deepEqual(a.losses, b.losses);
  });

  test("bad config is refused naming the field", () => {
    assert.throws(() => measureNetworkGradients(tf.train.sgd(0.1), { steps: 0 }), /steps = 0/);
    assert.throws(() => measureNetworkGradients(tf.train.sgd(0.1), { hidden: [0] }), /hidden/);
    assert.throws(() => measureNetworkGradients({} as tf.Optimizer, {}), /tf.Optimizer/);
  });
});
