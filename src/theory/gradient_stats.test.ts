import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createGradientStats, quantileSorted } from "./gradient_stats";

tf.setBackend("cpu");

const close = (a: number, b: number, rtol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);

describe("helpers", () => {
  test("quantileSorted interpolates linearly (type 7)", () => {
    const x = [1, 2, 3, 4, 5];
    assert.equal(quantileSorted(x, 0), 1);
    assert.equal(quantileSorted(x, 1), 5);
    assert.equal(quantileSorted(x, 0.5), 3);
    assert.equal(quantileSorted(x, 0.9), 4.6); // h = 3.6 -> 4 + 0.6 * (5 - 4)
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });
});

describe("createGradientStats", () => {
  test("constant gradients: norms |c_i| sqrt(T), G_inf = max |c|, s = 1/2", () => {
    const stats = createGradientStats();
    const c = tf.tensor2d([
      [0.5, -2],
      [0, 1],
    ]);
    const b = tf.tensor1d([-0.25]);
    const T = 200;
    for (let t = 0; t < T; t++) stats.update({ w: c, b });
    const s = stats.summary();
    assert.equal(s.T, T);
    assert.equal(s.d, 5);
    assert.equal(s.gInf, 2);
    const sq = Math.sqrt(T);
    close(s.coordinateNorms.sum, (0.5 + 2 + 0 + 1 + 0.25) * sq, 1e-5, "sum of norms");
    close(s.coordinateNorms.max, 2 * sq, 1e-5, "max norm");
    // sorted norms: 0, 0.25, 0.5, 1, 2 (times sqrt T); median = 0.5 sqrt T
    close(s.coordinateNorms.quantiles[0].value, 0.5 * sq, 1e-5, "median");
    close(s.s.fittedMax, 0.5, 1e-5, "fitted s (max)");
    close(s.s.fittedSum, 0.5, 1e-5, "fitted s (sum)");
    close(s.s.envelope, 0.5, 1e-5, "envelope s");
    assert.equal(s.history[s.history.length - 1].t, T);
    assert.deepEqual(
      s.perVariable.map((v) => [v.name, v.size, v.gInf]),
      [
        ["w", 4, 2],
        ["b", 1, 0.25],
      ],
    );
    assert.deepEqual(s.boundInputs, { Ginf: 2, d: 5, T, s: s.s.forBound });
    tf.dispose([c, b]);
    stats.dispose();
  });

  test("varying gradients over two variables: norms, G_inf and quantiles by hand", () => {
    // Three steps of w (2x2) and b (1). Per-coordinate norms ||g_{1:3,i}||:
    // w: sqrt(3² + 4² + 0²) = 5, sqrt(0 + 0 + 2²) = 2, sqrt(1² + 2² + 2²) = 3, sqrt(1² + 0 + 0) = 1;
    // b: sqrt(2² + 4² + 4²) = 6. Sum 17, max 6, G_inf = max |g| = 4.
    // Sorted 1, 2, 3, 5, 6 (type 7, h = 4q): q 0.1 → 1 + 0.4·1 = 1.4; q 0.5 → 3; q 0.99 → 5 + 0.96·1 = 5.96.
    const steps = [
      {
        w: [
          [3, 0],
          [1, 1],
        ],
        b: [2],
      },
      {
        w: [
          [4, 0],
          [2, 0],
        ],
        b: [-4],
      },
      {
        w: [
          [0, 2],
          [2, 0],
        ],
        b: [4],
      },
    ];
    const stats = createGradientStats({ quantiles: [0.1, 0.5, 0.99] });
    for (const g of steps) {
      const w = tf.tensor2d(g.w);
      const b = tf.tensor1d(g.b);
      stats.update({ w, b });
      tf.dispose([w, b]);
    }
    const s = stats.summary();
    assert.deepEqual([s.T, s.d, s.gInf], [3, 5, 4]);
    close(s.coordinateNorms.sum, 17, 1e-6, "sum");
    close(s.coordinateNorms.max, 6, 1e-6, "max");
    [1.4, 3, 5.96].forEach((want, k) => close(s.coordinateNorms.quantiles[k].value, want, 1e-6, `quantile ${k}`));
    assert.deepEqual(
      s.perVariable.map((v) => [v.name, v.size, v.gInf]),
      [
        ["w", 4, 4],
        ["b", 1, 4],
      ],
    );
    stats.dispose();
  });

  test("sparse gradients (nonzero at t = 1, 2, 4, 8, ...) give a small s", () => {
    const stats = createGradientStats();
    const one = tf.ones([3]);
    const zero = tf.zeros([3]);
    const T = 1024;
    for (let t = 1; t <= T; t++) stats.update({ v: (t & (t - 1)) === 0 ? one : zero });
    const s = stats.summary();
    // ||g_{1:T,i}|| = sqrt(11) at T = 1024: envelope = log(sqrt 11)/log 1024
    close(s.coordinateNorms.max, Math.sqrt(11), 1e-6, "norm");
    close(s.s.envelope, Math.log(Math.sqrt(11)) / Math.log(T), 1e-6, "envelope");
    assert.ok(s.s.fittedMax < 0.15, `fitted s = ${s.s.fittedMax}`);
    tf.dispose([one, zero]);
    stats.dispose();
  });

  test("first-step E||vhat_1^(-p)||_1", () => {
    const stats = createGradientStats();
    const g = tf.tensor1d([2, 0.5, 0]);
    stats.update({ g });
    const later = tf.tensor1d([9, 9, 9]);
    stats.update({ g: later }); // only step 1 counts
    // vhat_1 = 0.5 * g^2 with beta2 = 0.5; p = 1/4: vhat^(-1/4) = (0.5 * 4)^(-1/4) + (0.5 * 0.25)^(-1/4) + inf
    const r = stats.firstStepInvVHatL1({ p: 0.25, beta2: 0.5 });
    assert.equal(r.zeroCoordinates, 1);
    assert.equal(r.value, Infinity);
    const withEps = stats.firstStepInvVHatL1({ p: 0.25, beta2: 0.5, epsilon: 1e-8 });
    close(withEps.value, Math.pow(2, -0.25) + Math.pow(0.125, -0.25) + Math.pow(1e-8, -0.5), 1e-6, "with eps");
    assert.throws(() => stats.firstStepInvVHatL1({ p: 0.7, beta2: 0.5 }), /p = 0.7/);
    tf.dispose([g, later]);
    stats.dispose();
  });

  test("no tensor leak per step; dispose frees everything", () => {
    const before = tf.memory().numTensors;
    const stats = createGradientStats({ historyRatio: 2 });
    const g = tf.ones([4, 4]);
    stats.update({ g }); // t = 1: checkpoint
    stats.update({ g }); // t = 2: checkpoint
    const afterTwo = tf.memory().numTensors;
    stats.update({ g }); // t = 3: no checkpoint (next is 4)
    assert.equal(tf.memory().numTensors, afterTwo, "a non-checkpoint step allocates nothing that survives");
    stats.update({ g }); // t = 4: checkpoint keeps exactly one tensor
    assert.equal(tf.memory().numTensors, afterTwo + 1);
    stats.summary();
    stats.dispose();
    g.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test("bad input is refused before any work", () => {
    assert.throws(() => createGradientStats({ historyRatio: 1 }), /historyRatio = 1/);
    assert.throws(() => createGradientStats({ quantiles: [1.5] }), /quantiles/);
    const stats = createGradientStats();
    const a = tf.ones([2]);
    stats.update({ a });
    const b = tf.ones([3]);
    assert.throws(() => stats.update({ a: b }), /'a' has shape \[3\] but earlier steps had \[2\]/);
    assert.throws(() => stats.update({ a: 3 as unknown as tf.Tensor }), /'a' is 3/);
    assert.equal(stats.steps, 1, "refused updates are not counted");
    tf.dispose([a, b]);
    stats.dispose();
    assert.throws(() => stats.summary(), /dispose/);
  });
});
