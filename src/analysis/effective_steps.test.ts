import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { createOptimizer, type AnyOptimizerOptions, type OptimizerName } from "../optim/registry";
import type { RuleOptimizer } from "../optim/rule_optimizer";
import {
  appliedSteps,
  appliedUpdates,
  byLayer,
  effectiveSteps,
  layerUpdates,
  secondMoments,
  summarizeSteps,
} from "./effective_steps";

before(async () => {
  await initBackend({ quiet: true });
});

describe("effectiveSteps", () => {
  test("lr / (sqrt(v) + eps)^(2p): the floor eps^(2p) at v = 0 and the value at v = 1", () => {
    const s = effectiveSteps([0, 1, 1e-4], { lr: 0.1, p: 1 / 8, epsilon: 1e-8 });
    assert.ok(Math.abs(s[0] - 0.1 / 1e-2) / 10 < 1e-5, `floor: ${s[0]}`);
    assert.ok(Math.abs(s[1] - 0.1) < 1e-6);
    assert.ok(Math.abs(s[2] - 0.1 / Math.pow(1e-2, 0.25)) / s[2] < 1e-5);
    const flat = effectiveSteps([0, 1e-6, 5], { lr: 0.1, p: 0, scale: 0.5 });
    assert.deepEqual(
      Array.from(flat),
      [0.05, 0.05, 0.05].map(Math.fround),
      "p = 0 is momentum SGD: every coordinate gets lr·scale",
    );
  });

  test("a smaller p shrinks steps where v < 1 and enlarges them where v > 1", () => {
    const v = [1e-6, 4];
    const half = effectiveSteps(v, { lr: 1, p: 0.5 });
    const eighth = effectiveSteps(v, { lr: 1, p: 0.125 });
    assert.ok(eighth[0] < half[0]);
    assert.ok(eighth[1] > half[1]);
  });

  test("bad input is rejected with the name, the value and what is allowed", () => {
    assert.throws(
      () => effectiveSteps([1], { lr: 0.1, p: 0.7 }),
      /p = 0\.7 is invalid; allowed: a number in \[0, 0\.5\]/,
    );
    assert.throws(() => effectiveSteps([1], { lr: -1, p: 0.1 }), /lr = -1 is invalid/);
    assert.throws(() => effectiveSteps([1, -2], { lr: 0.1, p: 0.1 }), /vHat\[1\] = -2 is invalid/);
  });
});

/** A two-weight model and a loss, for real optimizer steps. */
function tinyModel(): { model: tf.LayersModel; step: (opt: RuleOptimizer) => void } {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 3,
        inputShape: [4],
        name: "dense_a",
        kernelInitializer: tf.initializers.randomNormal({ seed: 3 }),
      }),
    ],
  });
  const x = tf.randomNormal([8, 4], 0, 1, "float32", 1);
  const y = tf.randomNormal([8, 3], 0, 1, "float32", 2);
  const step = (opt: RuleOptimizer) => {
    opt.minimize(() => tf.mean(tf.square(tf.sub(model.apply(x) as tf.Tensor, y))) as tf.Scalar);
  };
  return { model, step };
}

describe("appliedSteps: factors worked by hand (β1 = 0.9, β2 = 0.999, ε = 1e-8)", () => {
  const cases: [OptimizerName, AnyOptimizerOptions, number, number[], number[]][] = [
    // t = 1: lr·sqrt(0.001)/0.1 = 0.0316228; / (sqrt(v̂) + ε)^(1/4): 0.01^(1/4) = 0.3162278 → 0.1; 1 → 0.0316228
    ["padam", { learningRate: 0.1, partial: 0.125 }, 1, [1e-4, 1], [0.1, 0.0316228]],
    // t = 2: bc1 = 0.19, bc2 = 0.001999; lr·bc2^(1/4)/bc1 = 0.05·0.2114478/0.19 = 0.0556442; / (sqrt(v̂) + ε)^(1/2):
    // sqrt(0.02) = 0.1414214 → 0.393464; 1 → 0.0556442
    ["padam", { learningRate: 0.05, partial: 0.25, biasCorrection: "consistent" }, 2, [4e-4, 1], [0.393464, 0.0556442]],
    // t = 1: lr/bc1 / (sqrt(v̂)/sqrt(bc2) + ε) = 0.01/(0.01/0.0316228) = 0.0316228; v̂ = 1: 0.01/31.62278 = 3.162278e-4
    ["adam", { learningRate: 1e-3 }, 1, [1e-4, 1], [0.0316228, 3.162278e-4]],
    // AdamW: Adam's factor (the decay is a separate shrink of x)
    ["adamw", { learningRate: 1e-3, weightDecay: 0.1 }, 1, [1e-4, 1], [0.0316228, 3.162278e-4]],
    // t = 2: 1e-3/0.19 / (0.02/sqrt(0.001999)) = 0.00526316/0.447326 = 0.0117658; v̂ = 1: 0.00526316/22.36627 = 2.353167e-4
    ["amsgrad", { learningRate: 1e-3 }, 2, [4e-4, 1], [0.0117658, 2.353167e-4]],
  ];
  for (const [name, options, t, vHat, want] of cases) {
    test(`${name} ${JSON.stringify(options)} at t = ${t}`, () => {
      const opt = createOptimizer(name, options) as RuleOptimizer;
      const got = appliedSteps(
        opt,
        { weight: "w", layer: "w", shape: [vHat.length], t, vHat: Float32Array.from(vHat) },
        options.learningRate as number,
      );
      got.forEach((g, i) =>
        assert.ok(Math.abs(g - want[i]) <= 1e-5 * want[i], `${name}[${i}]: ${g}, by hand ${want[i]}`),
      );
      opt.dispose();
    });
  }
});

describe("appliedSteps against real optimizer updates", () => {
  const cases: [OptimizerName, AnyOptimizerOptions][] = [
    ["padam", { learningRate: 0.1, partial: 0.125 }],
    ["padam", { learningRate: 0.05, partial: 0.25, biasCorrection: "consistent" }],
    ["adam", { learningRate: 1e-3 }],
    ["amsgrad", { learningRate: 1e-2 }],
  ];
  for (const [name, options] of cases) {
    test(`${name} ${JSON.stringify(options)}: x_before − x_after = step ⊙ m`, () => {
      const { model, step } = tinyModel();
      const opt = createOptimizer(name, options) as RuleOptimizer;
      for (let i = 0; i < 4; i++) step(opt);
      const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
      step(opt);
      const moments = secondMoments(model, opt);
      assert.deepEqual(
        moments.map((m) => m.weight),
        ["dense_a/kernel", "dense_a/bias"],
      );
      assert.ok(moments.every((m) => m.t === 5 && m.layer === "dense_a"));
      model.trainableWeights.forEach((w, k) => {
        const after = w.read().dataSync();
        const m = opt.variableSlots((w.read() as tf.Variable).name)!.m.dataSync();
        const steps = appliedSteps(opt, moments[k], opt.getLearningRate());
        for (let i = 0; i < after.length; i++) {
          const expected = steps[i] * m[i];
          const got = before[k][i] - after[i];
          assert.ok(
            Math.abs(got - expected) <= 1e-6 + 1e-3 * Math.abs(expected),
            `${w.name}[${i}]: moved ${got}, step·m = ${expected}`,
          );
        }
      });
      opt.dispose();
      model.dispose();
    });
  }

  test("SGD keeps no second moment: secondMoments says so", () => {
    const { model, step } = tinyModel();
    const opt = createOptimizer("sgd", { learningRate: 0.1, momentum: 0.9 }) as RuleOptimizer;
    step(opt);
    assert.throws(() => secondMoments(model, opt), /optimizer "sgd" keeps no second moment/);
    assert.throws(
      () => appliedSteps(opt, { weight: "w", layer: "w", shape: [1], t: 1, vHat: new Float32Array([1]) }, 0.1),
      /"sgd" is not supported \(its rule has no coefficients\(\)\); allowed: padam, adam, amsgrad, adamw/,
    );
    opt.dispose();
    model.dispose();
  });
});

/** A bias-free dense layer x ↦ w·x with weights `w`: for the loss sum(w·input) the gradient is `input`. */
function linearModel(w: number[], input: number[]): { model: tf.LayersModel; step: (opt: RuleOptimizer) => void } {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [w.length], useBias: false, name: "lin" })],
  });
  model.setWeights([tf.tensor2d(w, [w.length, 1])]);
  const x = tf.tensor2d(input, [1, input.length]);
  return { model, step: (opt) => opt.minimize(() => tf.sum(model.apply(x) as tf.Tensor) as tf.Scalar) };
}

describe("appliedUpdates: the step actually taken", () => {
  test("Padam p = 1/4, t = 1, lr 0.1, gradient (1, 2) at w = (0.5, -1): hand-worked dx and |dx|/|x|", () => {
    const { model, step } = linearModel([0.5, -1], [1, 2]);
    const opt = createOptimizer("padam", { learningRate: 0.1, partial: 0.25 }) as RuleOptimizer;
    step(opt);
    // t = 1: m = 0.1 g, v̂ = 0.001 g², step factor lr·sqrt(0.001)/0.1, so (ε negligible)
    // dx = −lr·sqrt(0.001)/0.1 · 0.1 g / (sqrt(0.001)|g|)^(1/2) = −lr·0.001^(1/4)·sqrt(g) = −0.0177828·(1, √2)
    const expected = [-0.0177828, -0.0251487];
    const [u] = appliedUpdates(model, opt);
    assert.equal(u.weight, "lin/kernel");
    u.dx.forEach((d, i) => assert.ok(Math.abs(d - expected[i]) < 1e-6, `dx[${i}] = ${d}, hand-worked ${expected[i]}`));
    u.before.forEach((b, i) => assert.ok(Math.abs(b - [0.5, -1][i]) < 1e-6, `before[${i}] = ${b}`));
    const [row] = layerUpdates([u]);
    // ||dx|| = 0.0177828·sqrt(3) = 0.0308007; ||x|| = sqrt(1.25) = 1.1180340; ratio 0.0275490
    assert.equal(row.layer, "lin");
    assert.equal(row.count, 2);
    assert.ok(Math.abs(row.dxNorm - 0.0308007) < 1e-6, `||dx|| = ${row.dxNorm}`);
    assert.ok(Math.abs(row.xNorm - 1.118034) < 1e-6, `||x|| = ${row.xNorm}`);
    assert.ok(Math.abs(row.ratio - 0.027549) < 1e-6, `ratio = ${row.ratio}`);
    assert.ok(Math.abs(row.medianAbsDx - 0.0177828) < 1e-6, "median of two values: nearest rank takes the lower");
    opt.dispose();
    model.dispose();
  });

  for (const [name, options] of [
    ["adamw", { learningRate: 0.01, weightDecay: 0.1 }],
    ["padam", { learningRate: 0.1, partial: 0.125, weightDecay: 5e-4 }],
  ] as const) {
    test(`${name} ${JSON.stringify(options)}: dx equals the change the fifth real step made (decay included)`, () => {
      const { model, step } = tinyModel();
      const opt = createOptimizer(name, options) as RuleOptimizer;
      for (let i = 0; i < 4; i++) step(opt);
      const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
      step(opt);
      appliedUpdates(model, opt).forEach((u, k) => {
        const after = model.trainableWeights[k].read().dataSync();
        u.dx.forEach((d, i) => {
          const moved = after[i] - before[k][i];
          assert.ok(Math.abs(d - moved) <= 1e-6 + 1e-3 * Math.abs(moved), `${u.weight}[${i}]: dx ${d}, moved ${moved}`);
        });
      });
      opt.dispose();
      model.dispose();
    });
  }
});

test("appliedUpdates: a decay that erases x (AdamW, lr·λ = 1) is named instead of dividing by 0", () => {
  const { model, step } = linearModel([0.5, -1], [1, 2]);
  const opt = createOptimizer("adamw", { learningRate: 0.5, weightDecay: 2 }) as RuleOptimizer;
  step(opt);
  assert.throws(() => appliedUpdates(model, opt), /"lin\/kernel" was shrunk by 0 \(lr = 0.5\), which erases x_\{t−1\}/);
  opt.dispose();
  model.dispose();
});

describe("summaries", () => {
  test("summarizeSteps: nearest-rank quantiles and the decades spanned", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1).reverse();
    const s = summarizeSteps(values);
    assert.equal(s.count, 100);
    assert.equal(s.min, 1);
    assert.equal(s.p01, 1);
    assert.equal(s.median, 50);
    assert.equal(s.p99, 99);
    assert.equal(s.max, 100);
    assert.ok(Math.abs(s.decades - Math.log10(99)) < 1e-12);
    assert.throws(() => summarizeSteps([]), /values is empty/);
  });

  test("byLayer concatenates the weights of a layer in order", () => {
    const mk = (weight: string, vals: number[]) => ({
      weight,
      layer: weight.split("/")[0],
      shape: [vals.length],
      t: 1,
      vHat: Float32Array.from(vals),
    });
    const out = byLayer([mk("a/kernel", [1, 2]), mk("a/bias", [3]), mk("b/kernel", [4])], (m) => m.vHat);
    assert.deepEqual(
      out.map((o) => [o.layer, Array.from(o.values)]),
      [
        ["a", [1, 2, 3]],
        ["b", [4]],
      ],
    );
  });
});
