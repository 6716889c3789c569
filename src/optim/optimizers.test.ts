/**
 * Conformance suite: every property written once and applied to every optimizer of the
 * registry (one row per optimizer with the options it is tested under).
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { OPTIMIZER_NAMES, createOptimizer, applyStepDecay, type RuleOptimizer } from "./index";
import type { AnyOptimizerOptions, OptimizerName } from "./registry";
import { expectClose } from "../testing/expect_close";
import { loadGoldenCases, type GoldenCase } from "../testing/golden";
import { uniform } from "../util/random";

/**
 * Options each optimizer is exercised with: non-default values so that every term is active.
 * `golden`: a replay case of the reference trajectories (src/testing/fixtures/optimizers.json)
 * without coupled L2 decay, the expectation of the state and schedule tests below.
 */
const ROWS: { name: OptimizerName; options: AnyOptimizerOptions; fitLr: number; golden: string }[] = [
  { name: "padam", options: { partial: 0.125, weightDecay: 1e-3 }, fitLr: 0.1, golden: "pub-padam-partial-03" },
  {
    name: "sgd",
    options: { learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true },
    fitLr: 0.05,
    golden: "pub-sgd-nesterov-17",
  },
  { name: "adam", options: { weightDecay: 1e-3 }, fitLr: 0.01, golden: "pub-adam-large-lr-26" },
  { name: "amsgrad", options: { weightDecay: 1e-3 }, fitLr: 0.01, golden: "pub-amsgrad-defaults-33" },
  { name: "adamw", options: { weightDecay: 0.05 }, fitLr: 0.01, golden: "pub-adamw-weight-decay-41" },
  { name: "yogi", options: { weightDecay: 1e-3 }, fitLr: 0.01, golden: "pub-yogi-defaults-46" },
  { name: "adabound", options: { gamma: 0.01, weightDecay: 1e-3 }, fitLr: 0.01, golden: "pub-adabound-fast-bound-56" },
  { name: "amsbound", options: { gamma: 0.01 }, fitLr: 0.01, golden: "pub-amsbound-explicit-63" },
];

const GOLDEN = new Map(loadGoldenCases().map((c) => [c.id, c]));

/** The golden replay case of a row, checked to be a replay of that optimizer. */
function goldenCase(row: (typeof ROWS)[number]): GoldenCase {
  const c = GOLDEN.get(row.golden);
  assert.ok(
    c && c.mode === "replay" && c.optimizer === row.name,
    `golden case ${row.golden} is a replay of ${row.name}`,
  );
  return c;
}

/**
 * The reference trajectory of a replay case under per-step learning-rate factors `scale[t]`
 * (lr_t = scale[t]·lr₀). In every reference code the step of a replay (gradients fixed, no
 * coupled L2 decay) is lr_t times a term u_t of the gradients alone — AdaBound's bounds scale
 * with lr_t/lr₀ too — and AdamW first multiplies x by (1 − lr_t·λ). So u_t is read off the
 * reference, u_t = (x_{t−1}·(1 − lr₀λ) − x_t)/lr₀, and x_t = x_{t−1}·(1 − lr_tλ) − lr_t·u_t.
 */
function scaledReference(c: GoldenCase, scale: readonly number[]): number[][] {
  const lr0 = c.options.learningRate as number;
  const lambda = c.optimizer === "adamw" ? (c.options.weightDecay as number) : 0;
  let x = c.x0.slice();
  return scale.map((k, t) => {
    const before = t === 0 ? c.x0 : c.expected[t - 1];
    x = x.map((xi, i) => xi * (1 - k * lr0 * lambda) - k * (before[i] * (1 - lr0 * lambda) - c.expected[t][i]));
    return x;
  });
}

/** The reference constructors' keyword arguments as our option names (`betas` is β1 and β2). */
const REFERENCE_OPTION_NAMES: Record<string, (keyof AnyOptimizerOptions)[]> = {
  lr: ["learningRate"],
  betas: ["beta1", "beta2"],
  eps: ["epsilon"],
  weight_decay: ["weightDecay"],
  amsgrad: ["amsgrad"],
  partial: ["partial"],
  momentum: ["momentum"],
  dampening: ["dampening"],
  nesterov: ["nesterov"],
  initial_accumulator: ["initialAccumulator"],
  final_lr: ["finalLr"],
  gamma: ["gamma"],
  amsbound: ["amsbound"],
};

/** Deterministic pseudo-random numbers in [-1, 1) (no dependence on tfjs's RNG). */
const lcg = (seed: number) => uniform(seed, -1, 1);

function regressionData(seed: number) {
  const r = lcg(seed);
  const X = Array.from({ length: 32 }, () => [r(), r(), r(), r()]);
  const y = X.map(([a, b, c, d]) => [Math.sin(2 * a) + b * c - 0.5 * d]);
  return { X: tf.tensor2d(X), y: tf.tensor2d(y) };
}

/** A small MLP with fixed initial weights, so two builds start identical. */
function tinyModel(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 8, activation: "tanh", inputShape: [4] }), tf.layers.dense({ units: 1 })],
  });
  const r = lcg(seed);
  model.setWeights(
    model.getWeights().map((w) =>
      tf.tensor(
        Array.from({ length: w.size }, () => 0.5 * r()),
        w.shape,
      ),
    ),
  );
  return model;
}

describe("optimizer conformance (every registered optimizer)", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  test("the test table covers the whole registry", () => {
    assert.deepEqual(ROWS.map((r) => r.name).sort(), [...OPTIMIZER_NAMES].sort());
  });

  test("omitted options take the reference code's defaults (each golden case built without the ones it left at the default)", () => {
    // `usesReferenceDefaults` names the keyword arguments a case left at the reference default;
    // `options` holds the value each one resolved to.
    for (const c of GOLDEN.values() as Iterable<GoldenCase & { usesReferenceDefaults: string[] }>) {
      const defaulted = c.usesReferenceDefaults.flatMap(
        (k) => REFERENCE_OPTION_NAMES[k] ?? assert.fail(`${c.id}: unknown reference option ${k}`),
      );
      const given = Object.fromEntries(Object.entries(c.options).filter(([k]) => !defaulted.some((d) => d === k)));
      const opt = createOptimizer(c.optimizer, given);
      for (const k of defaulted) assert.equal(opt.getConfig()[k], c.options[k], `${c.id}: default of ${k}`);
      opt.dispose();
    }
  });

  for (const row of ROWS) {
    describe(row.name, () => {
      test("is a tf.Optimizer created by name that keeps the options given", () => {
        const opt = createOptimizer(row.name, row.options);
        assert.ok(opt instanceof tf.Optimizer);
        const config = opt.getConfig();
        for (const [k, v] of Object.entries(row.options)) assert.equal(config[k], v, `given ${k}`);
      });

      test("getConfig/fromConfig round trip through the serialization registry", () => {
        const opt = createOptimizer(row.name, row.options);
        const cls = tf.serialization.SerializationMap.getMap().classNameMap[opt.getClassName()];
        assert.ok(cls, `class ${opt.getClassName()} is registered`);
        const copy = cls[1](cls[0], opt.getConfig()) as RuleOptimizer;
        assert.equal(copy.constructor, opt.constructor);
        assert.deepEqual(copy.getConfig(), opt.getConfig());
      });

      test("steps leak no tensors, and dispose frees the state", () => {
        const x = tf.variable(tf.tensor1d([0.5, -1, 2]));
        const opt = createOptimizer(row.name, row.options);
        const start = tf.memory().numTensors;
        const step = () => tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d([0.1, -0.2, 0.3]) }));
        step(); // creates the state slots
        const afterFirst = tf.memory().numTensors;
        for (let i = 0; i < 5; i++) step();
        assert.equal(tf.memory().numTensors, afterFirst);
        opt.dispose();
        assert.equal(tf.memory().numTensors, start);
        x.dispose();
      });

      test("state is keyed by variable name: order and subsets of the gradient list do not matter", () => {
        // The coordinates of a golden replay split into two variables a and b (the rules act
        // element-wise): 3 steps of both in varying order, then b alone, then a alone, so each
        // takes its 4th step at a different call (its own step count, not the optimizer's).
        const c = goldenCase(row);
        const k = Math.floor(c.x0.length / 2);
        const a1 = tf.variable(tf.tensor1d(c.x0.slice(0, k))),
          b1 = tf.variable(tf.tensor1d(c.x0.slice(k)));
        const a2 = tf.variable(tf.tensor1d(c.x0.slice(0, k))),
          b2 = tf.variable(tf.tensor1d(c.x0.slice(k)));
        const o1 = createOptimizer(row.name, c.options),
          o2 = createOptimizer(row.name, c.options);
        for (let t = 0; t < 3; t++) {
          const ga = c.grads[t].slice(0, k),
            gb = c.grads[t].slice(k);
          tf.tidy(() => o1.applyGradients({ [a1.name]: tf.tensor1d(ga), [b1.name]: tf.tensor1d(gb) }));
          // reversed order, as a list
          tf.tidy(() =>
            o2.applyGradients([
              { name: b2.name, tensor: tf.tensor1d(gb) },
              { name: a2.name, tensor: tf.tensor1d(ga) },
            ]),
          );
        }
        // b alone for one more step: a must not move, and b must continue its own trajectory
        tf.tidy(() => o1.applyGradients({ [b1.name]: tf.tensor1d(c.grads[3].slice(k)) }));
        tf.tidy(() => o2.applyGradients({ [b2.name]: tf.tensor1d(c.grads[3].slice(k)) }));
        expectClose(a2.dataSync(), a1.dataSync(), 0, 0, "a");
        expectClose(b2.dataSync(), b1.dataSync(), 0, 0, "b");
        assert.equal(o1.variableStep(a1.name), 3);
        assert.equal(o1.variableStep(b1.name), 4);
        const { rtol, atol } = c.tolerance;
        expectClose(a1.dataSync(), c.expected[2].slice(0, k), rtol, atol, `a vs ${c.id} step 3`);
        expectClose(b1.dataSync(), c.expected[3].slice(k), rtol, atol, `b vs ${c.id} step 4`);
        // then a alone: its 4th step, at the optimizer's 5th call
        tf.tidy(() => o1.applyGradients({ [a1.name]: tf.tensor1d(c.grads[3].slice(0, k)) }));
        assert.equal(o1.variableStep(a1.name), 4);
        expectClose(a1.dataSync(), c.expected[3].slice(0, k), rtol, atol, `a vs ${c.id} step 4`);
        expectClose(b1.dataSync(), c.expected[3].slice(k), rtol, atol, "b did not move");
        [a1, b1, a2, b2].forEach((v) => v.dispose());
        o1.dispose();
        o2.dispose();
      });

      test("an unknown variable name is refused before anything changes", () => {
        const x = tf.variable(tf.tensor1d([1]));
        const opt = createOptimizer(row.name, row.options);
        assert.throws(() => opt.applyGradients({ [x.name]: tf.tensor1d([1]), no_such_variable: tf.tensor1d([1]) }), {
          message: `${row.name}.applyGradients: no variable named "no_such_variable" is registered`,
        });
        assert.deepEqual(Array.from(x.dataSync()), [1]);
        assert.equal(opt.iterations, 0);
        x.dispose();
        opt.dispose();
      });

      test("a step-decay schedule scales each step of the reference trajectory by lr_t/lr₀", () => {
        // Milestones [2, 4], γ = 0.1, one step per "epoch": lr_t/lr₀ = 1, 1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01.
        const c = goldenCase(row);
        const scale = [1, 1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01];
        const expected = scaledReference(c, scale);
        const opt = createOptimizer(row.name, c.options);
        const x = tf.variable(tf.tensor1d(c.x0));
        const { rtol, atol } = c.tolerance;
        for (let t = 0; t < scale.length; t++) {
          applyStepDecay(opt, { milestones: [2, 4], gamma: 0.1 }, t);
          tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d(c.grads[t]) }));
          expectClose(x.dataSync(), expected[t], rtol, atol, `${c.id} step ${t + 1}`);
        }
        const lr0 = c.options.learningRate as number;
        assert.ok(
          Math.abs(opt.getLearningRate() - 0.01 * lr0) <= 1e-12 * lr0,
          `lr ${opt.getLearningRate()} = 0.01·${lr0}`,
        );
        x.dispose();
        opt.dispose();
      });

      test("model.fit lowers the loss of a small network", async () => {
        const { X, y } = regressionData(7);
        const model = tinyModel(3);
        const opt = createOptimizer(row.name, { ...row.options, learningRate: row.fitLr });
        model.compile({ optimizer: opt, loss: "meanSquaredError" });
        const before = (model.evaluate(X, y) as tf.Scalar).dataSync()[0];
        const hist = await model.fit(X, y, { epochs: 40, batchSize: 32, shuffle: false, verbose: 0 });
        const after = (model.evaluate(X, y) as tf.Scalar).dataSync()[0];
        assert.ok(Number.isFinite(after), "finite loss");
        assert.ok(after < 0.7 * before, `loss ${before} -> ${after} after ${hist.epoch.length} epochs`);
        assert.equal(opt.iterations, 40);
        model.dispose();
        opt.dispose();
        X.dispose();
        y.dispose();
      });

      test("save with the optimizer -> load -> continue equals the uninterrupted run", async () => {
        const { X, y } = regressionData(11);
        const fitArgs = { epochs: 5, batchSize: 8, shuffle: false, verbose: 0 as const };
        const a = tinyModel(5);
        const optA = createOptimizer(row.name, { ...row.options, learningRate: row.fitLr });
        a.compile({ optimizer: optA, loss: "meanSquaredError" });
        await a.fit(X, y, fitArgs);
        optA.setLearningRate(row.fitLr / 2); // the saved state includes the scheduled rate
        let saved: tf.io.ModelArtifacts | undefined;
        await a.save(
          tf.io.withSaveHandler(async (artifacts) => {
            saved = artifacts;
            return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
          }),
          { includeOptimizer: true },
        );
        await a.fit(X, y, fitArgs);
        const uninterrupted = a.getWeights().map((w) => Array.from(w.dataSync()));
        a.dispose();
        optA.dispose();

        const b = await tf.loadLayersModel(tf.io.fromMemory(saved!));
        const optB = b.optimizer as RuleOptimizer;
        assert.equal(optB.constructor, optA.constructor, "optimizer class restored");
        assert.deepEqual(optB.getConfig(), optA.getConfig());
        assert.equal(optB.getLearningRate(), row.fitLr / 2);
        assert.equal(optB.iterations, 20);
        await b.fit(X, y, fitArgs);
        const resumed = b.getWeights().map((w) => Array.from(w.dataSync()));
        for (let i = 0; i < resumed.length; i++) expectClose(resumed[i], uninterrupted[i], 0, 0, `weight ${i}`);
        b.dispose();
        optB.dispose();
        X.dispose();
        y.dispose();
      });
    });
  }
});

/** Invalid options: each row is the options and the exact message users see. */
const BAD_OPTIONS: { name: string; options: Record<string, unknown>; message: string }[] = [
  {
    name: "padam",
    options: { partial: 0.7 },
    message: 'padam: option "partial" = 0.7 is out of range; allowed: 0 <= partial <= 0.5',
  },
  {
    name: "padam",
    options: { partial: -0.1 },
    message: 'padam: option "partial" = -0.1 is out of range; allowed: 0 <= partial <= 0.5',
  },
  {
    name: "padam",
    options: { learningRate: -0.1 },
    message: 'padam: option "learningRate" = -0.1 is out of range; allowed: learningRate >= 0',
  },
  {
    name: "padam",
    options: { beta1: 1 },
    message: 'padam: option "beta1" = 1 is out of range; allowed: 0 <= beta1 < 1',
  },
  {
    name: "padam",
    options: { beta2: -0.5 },
    message: 'padam: option "beta2" = -0.5 is out of range; allowed: 0 <= beta2 < 1',
  },
  {
    name: "padam",
    options: { epsilon: 0 },
    message: 'padam: option "epsilon" = 0 is out of range; allowed: epsilon > 0',
  },
  { name: "padam", options: { amsgrad: "yes" }, message: 'padam: option "amsgrad" must be true or false, got "yes"' },
  { name: "padam", options: { partial: "1/8" }, message: 'padam: option "partial" must be a number, got "1/8"' },
  {
    name: "padam",
    options: { lr: 0.1 },
    message:
      'padam: unknown option "lr"; known options: learningRate, beta1, beta2, epsilon, weightDecay, partial, amsgrad, biasCorrection',
  },
  {
    name: "padam",
    options: { biasCorrection: "adam" },
    message: 'padam: option "biasCorrection" = "adam" is not allowed; allowed: "official", "consistent"',
  },
  {
    name: "sgd",
    options: {},
    message: 'sgd: option "learningRate" is required (the reference implementation has no default)',
  },
  {
    name: "sgd",
    options: { learningRate: 0.1, nesterov: true },
    message: 'sgd: option "nesterov" = true needs momentum > 0 and dampening = 0; got momentum = 0, dampening = 0',
  },
  {
    name: "sgd",
    options: { learningRate: 0.1, momentum: -0.9 },
    message: 'sgd: option "momentum" = -0.9 is out of range; allowed: momentum >= 0',
  },
  {
    name: "adam",
    options: { weightDecay: -1e-4 },
    message: 'adam: option "weightDecay" = -0.0001 is out of range; allowed: weightDecay >= 0',
  },
  {
    name: "adam",
    options: { learningRate: Infinity },
    message: 'adam: option "learningRate" = Infinity is out of range; allowed: learningRate >= 0',
  },
  {
    name: "amsgrad",
    options: { amsgrad: false },
    message:
      'amsgrad: option "amsgrad" = false is not allowed; allowed: true (use the "adam" optimizer for amsgrad = false)',
  },
  {
    name: "adamw",
    options: { beta2: 1.5 },
    message: 'adamw: option "beta2" = 1.5 is out of range; allowed: 0 <= beta2 < 1',
  },
  {
    name: "yogi",
    options: { initialAccumulator: -1 },
    message: 'yogi: option "initialAccumulator" = -1 is out of range; allowed: initialAccumulator >= 0',
  },
  {
    name: "adabound",
    options: { gamma: 1 },
    message: 'adabound: option "gamma" = 1 is out of range; allowed: 0 <= gamma < 1',
  },
  {
    name: "adabound",
    options: { finalLr: -0.1 },
    message: 'adabound: option "finalLr" = -0.1 is out of range; allowed: finalLr >= 0',
  },
  {
    name: "amsbound",
    options: { amsbound: false },
    message:
      'amsbound: option "amsbound" = false is not allowed; allowed: true (use the "adabound" optimizer for amsbound = false)',
  },
  {
    name: "rmsprop",
    options: {},
    message:
      'createOptimizer: unknown optimizer "rmsprop"; known optimizers: padam, sgd, adam, amsgrad, adamw, yogi, adabound, amsbound',
  },
];

describe("invalid options are refused at construction with an exact message", () => {
  // As JSON configs meet it: a name and options that no type vouches for.
  const createFromJson = createOptimizer as (name: string, options: Record<string, unknown>) => RuleOptimizer;
  for (const row of BAD_OPTIONS) {
    test(`${row.name} ${JSON.stringify(row.options)}`, () => {
      const before = tf.memory().numTensors;
      assert.throws(() => createFromJson(row.name, row.options), { message: row.message });
      assert.equal(tf.memory().numTensors, before, "no tensor was made");
    });
  }

  test("setLearningRate refuses negative and non-finite rates", () => {
    const opt = createOptimizer("padam");
    assert.throws(() => opt.setLearningRate(-1), {
      message: "padam: learning rate = -1 is out of range; allowed: finite learningRate >= 0",
    });
    assert.throws(() => opt.setLearningRate(NaN), {
      message: "padam: learning rate = NaN is out of range; allowed: finite learningRate >= 0",
    });
    assert.equal(opt.getLearningRate(), 0.1);
  });
});
