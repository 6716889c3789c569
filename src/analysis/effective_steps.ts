/**
 * Per-coordinate effective step sizes of the adaptive methods: the factor that multiplies the
 * first moment m in the update x ← x − step ⊙ m (docs/paper-notes.md §1.2, §2.2, §5), and the
 * update a step actually applies, dx.
 *
 * The paper's argument (§5, "the small-learning-rate dilemma") is about the spread of
 *
 *     step_i = lr / (sqrt(v̂_i) + ε)^(2p)
 *
 * over the coordinates i of a network: with p = 1/2 (Adam/AMSGrad) coordinates whose second
 * moment v̂_i is tiny get huge steps at an SGD-scale lr, so lr must be small; a smaller p
 * compresses the range of 1/v̂^p, so lr = 0.1 becomes usable. Note the report's caveat: for
 * v̂ > 1 a smaller p *increases* the step.
 *
 * The factors the optimizers of src/optim apply (bias corrections, the placement of ε) are not
 * written here: they come from the update rule's own `coefficients()` (`AdaptiveCoefficients`
 * in optim/moments.ts, the one source the optimizers' own paths use) through `appliedStep`.
 * Used by notebook 02-small-learning-rate-dilemma.
 */
import * as tf from "@tensorflow/tfjs";
import { appliedStep, type AdaptiveCoefficients } from "../optim/moments";
import type { RuleOptimizer } from "../optim/rule_optimizer";

export interface EffectiveStepOptions {
  /** Learning rate α. */
  lr: number;
  /** Partial exponent p in [0, 1/2] (1/2: AMSGrad-like, 0: momentum SGD). */
  p: number;
  /** ε added to sqrt(v̂) before the power (default 1e-8, Padam's and torch's default). */
  epsilon?: number;
  /** A common factor, e.g. a bias correction (default 1). */
  scale?: number;
}

function checkFinite(what: string, value: unknown, allowed: string, ok: (v: number) => boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`${what} = ${String(value)} is invalid; allowed: ${allowed}`);
  }
}

function checkSecondMoments(what: string, vHat: ArrayLike<number>): void {
  for (let i = 0; i < vHat.length; i++) {
    const v = vHat[i];
    if (!(v >= 0) || !Number.isFinite(v))
      throw new Error(`${what}: vHat[${i}] = ${v} is invalid; allowed: finite second moments >= 0`);
  }
}

/**
 * step_i = scale · lr / (sqrt(v̂_i) + ε)^(2p) for every coordinate of `vHat` (paper §5, with ε
 * inside the power as the official code places it): `appliedStep` with exponent 2p and step
 * scale·lr. Negative or non-finite v̂ is rejected.
 */
export function effectiveSteps(vHat: ArrayLike<number>, options: EffectiveStepOptions): Float32Array {
  const { lr, p } = options;
  const epsilon = options.epsilon ?? 1e-8;
  const scale = options.scale ?? 1;
  checkFinite("effectiveSteps: lr", lr, "a finite number >= 0", (v) => v >= 0);
  checkFinite("effectiveSteps: p", p, "a number in [0, 0.5]", (v) => v >= 0 && v <= 0.5);
  checkFinite("effectiveSteps: epsilon", epsilon, "a finite number > 0", (v) => v > 0);
  checkFinite("effectiveSteps: scale", scale, "a finite number >= 0", (v) => v >= 0);
  checkSecondMoments("effectiveSteps", vHat);
  const c = { epsilon, exponent: 2 * p, step: scale * lr };
  return Float32Array.from(vHat as ArrayLike<number>, (v) => appliedStep(c, v));
}

/** The second moment of one weight, as an optimizer holds it. */
export interface WeightMoments {
  /** Weight name without the process-specific variable suffix, e.g. "conv1/kernel". */
  weight: string;
  /** Layer name (the part before the first "/"), e.g. "conv1". */
  layer: string;
  shape: number[];
  /** The optimizer's step count t of this weight. */
  t: number;
  /** v̂: the running maximum `vMax` when the optimizer keeps one (AMSGrad, Padam), else `v`. */
  vHat: Float32Array;
}

/** "conv1/kernel" from a tfjs variable name such as "conv1/kernel_3" or "model_1/conv1/kernel". */
function weightName(layerWeightName: string): string {
  return layerWeightName.replace(/_\d+$/, "");
}

/**
 * Reads v̂ of every trainable weight of `model` from `optimizer` (a live RuleOptimizer, e.g. in
 * `runExperiment`'s `onEpochEnd`, or one restored by {@link withRunState}). Throws when the
 * optimizer keeps no second moment (SGD), naming it.
 */
export function secondMoments(model: tf.LayersModel, optimizer: RuleOptimizer): WeightMoments[] {
  const out: WeightMoments[] = [];
  for (const w of model.trainableWeights) {
    const variable = w.read() as tf.Variable;
    const slots = optimizer.variableSlots(variable.name);
    if (!slots) continue; // never updated (no gradient reached it)
    const source = slots.vMax ?? slots.v;
    if (!source) {
      throw new Error(
        `secondMoments: optimizer "${optimizer.optimizerName}" keeps no second moment (slots: ${Object.keys(slots).join(", ")}); allowed: adam, amsgrad, padam, adamw, yogi, adabound, amsbound`,
      );
    }
    const name = w.originalName ?? weightName(w.name);
    out.push({
      weight: name,
      layer: name.split("/")[0],
      shape: [...variable.shape],
      t: optimizer.variableStep(variable.name),
      vHat: source.dataSync() as Float32Array,
    });
  }
  if (out.length === 0)
    throw new Error(
      `secondMoments: optimizer "${optimizer.optimizerName}" holds no state for any weight of the model (not trained yet?)`,
    );
  return out;
}

/**
 * The coefficients `optimizer` applies at a weight's step count t with learning rate `lr`, from
 * its update rule's `coefficients()`. Throws, naming the optimizer, for rules outside the
 * adaptive-moment family (SGD, Yogi, AdaBound: no `coefficients()`).
 */
export function stepCoefficients(optimizer: RuleOptimizer, t: number, lr: number): AdaptiveCoefficients {
  const coefficients = optimizer.rule.coefficients;
  if (coefficients === undefined) {
    throw new Error(
      `appliedSteps: optimizer "${optimizer.optimizerName}" is not supported (its rule has no coefficients()); allowed: padam, adam, amsgrad, adamw`,
    );
  }
  checkFinite("appliedSteps: lr", lr, "a finite number >= 0", (v) => v >= 0);
  checkFinite("appliedSteps: t", t, "an integer >= 1 (the weight's step count)", (v) => Number.isInteger(v) && v >= 1);
  return coefficients.call(optimizer.rule, optimizer.hyperparameters, {
    t,
    lr,
    initialLr: optimizer.hyperparameters.learningRate,
  });
}

/**
 * The factor the optimizer itself applies to m for each coordinate, step / (sqrt(v̂) + ε)^e,
 * with its coefficients at the weight's step count t and the learning rate `lr` (the scheduled
 * rate in force): Padam official lr·sqrt(bc2)/bc1 and e = 2p, consistent lr·bc2^p/bc1, Adam and
 * AMSGrad lr·sqrt(bc2)/bc1 with ε·sqrt(bc2) and e = 1 (see `AdaptiveCoefficients`). AdamW's
 * decoupled decay, which shrinks x besides, is not part of this factor (see `appliedUpdates`).
 */
export function appliedSteps(optimizer: RuleOptimizer, moments: WeightMoments, lr: number): Float32Array {
  const c = stepCoefficients(optimizer, moments.t, lr);
  checkSecondMoments("appliedSteps", moments.vHat);
  return Float32Array.from(moments.vHat, (v) => appliedStep(c, v));
}

/** The update one step applied to a weight, next to its second moment. */
export interface WeightUpdate extends WeightMoments {
  /** The weight before the step, x_{t−1}. */
  before: Float32Array;
  /** The applied update dx = x_t − x_{t−1} per coordinate. */
  dx: Float32Array;
}

/**
 * The update the last step of every trained weight applied, rebuilt from the optimizer's state
 * after that step (m_t, v̂_t, t; a finished run's state from {@link withRunState}) and `lr`, the
 * rate that step used (default: the optimizer's current rate, which is the last step's when the
 * schedule changes the rate only between epochs). With the coefficients c of step t:
 *
 *     x_t = shrink·x_{t−1} − c_step · m_t / (sqrt(v̂_t) + ε)^e
 *     ⇒ dx = x_t − x_{t−1} = x_t − (x_t + a ⊙ m_t)/shrink,   a = appliedSteps(…)
 *
 * (shrink = 1 except AdamW, whose decay shrinks x as well).
 */
export function appliedUpdates(
  model: tf.LayersModel,
  optimizer: RuleOptimizer,
  lr = optimizer.getLearningRate(),
): WeightUpdate[] {
  return secondMoments(model, optimizer).map((moments) => {
    const variable = model.trainableWeights
      .find((w) => (w.originalName ?? weightName(w.name)) === moments.weight)!
      .read() as tf.Variable;
    const x = variable.dataSync() as Float32Array;
    const m = optimizer.variableSlots(variable.name)!.m.dataSync() as Float32Array;
    const a = appliedSteps(optimizer, moments, lr);
    const { shrink } = stepCoefficients(optimizer, moments.t, lr);
    if (!(shrink > 0)) {
      throw new Error(
        `appliedUpdates: "${moments.weight}" was shrunk by ${shrink} (lr = ${lr}), which erases x_{t−1}; allowed: lr·weightDecay < 1`,
      );
    }
    const before = Float32Array.from(x, (xi, i) => (xi + a[i] * m[i]) / shrink);
    return { ...moments, before, dx: Float32Array.from(x, (xi, i) => xi - before[i]) };
  });
}

/** Per layer: the norms of the applied update and of the weights it was applied to. */
export interface LayerUpdate {
  layer: string;
  count: number;
  /** ||dx||_2 over the layer's coordinates. */
  dxNorm: number;
  /** ||x_{t−1}||_2: the weights before the step. */
  xNorm: number;
  /** ||dx||_2 / ||x_{t−1}||_2: the relative size of the step (NaN when the weights are all 0). */
  ratio: number;
  /** Median over coordinates of |dx_i|. */
  medianAbsDx: number;
}

/** One row per layer (model order): ||dx||, ||x||, their ratio and the median |dx_i| ({@link appliedUpdates}). */
export function layerUpdates(updates: WeightUpdate[]): LayerUpdate[] {
  const dx = byLayer(updates, (u) => u.dx);
  const before = byLayer(updates, (u) => u.before);
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  return dx.map(({ layer, values }, k) => {
    const dxNorm = norm(values);
    const xNorm = norm(before[k].values);
    return {
      layer,
      count: values.length,
      dxNorm,
      xNorm,
      ratio: xNorm > 0 ? dxNorm / xNorm : NaN,
      medianAbsDx: summarizeSteps(values.map(Math.abs)).median,
    };
  });
}

/** Concatenates the values of the weights of each layer, in model order. */
export function byLayer<M extends WeightMoments>(
  moments: M[],
  values: (m: M) => ArrayLike<number>,
): { layer: string; values: Float32Array }[] {
  const order: string[] = [];
  const parts = new Map<string, ArrayLike<number>[]>();
  for (const m of moments) {
    if (!parts.has(m.layer)) {
      parts.set(m.layer, []);
      order.push(m.layer);
    }
    parts.get(m.layer)!.push(values(m));
  }
  return order.map((layer) => {
    const list = parts.get(layer)!;
    const out = new Float32Array(list.reduce((n, a) => n + a.length, 0));
    let k = 0;
    for (const a of list) for (let i = 0; i < a.length; i++) out[k++] = a[i];
    return { layer, values: out };
  });
}

export interface StepSummary {
  count: number;
  min: number;
  /** 1st percentile, median and 99th percentile. */
  p01: number;
  median: number;
  p99: number;
  max: number;
  /** log10(p99 / p01): how many decades the central 98% of the steps span. */
  decades: number;
}

/** Quantile summary of positive step sizes (nearest-rank quantiles on a sorted copy). */
export function summarizeSteps(values: ArrayLike<number>): StepSummary {
  if (values.length === 0) throw new Error("summarizeSteps: values is empty; allowed: at least one value");
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(f * sorted.length) - 1))];
  const p01 = q(0.01);
  const p99 = q(0.99);
  return {
    count: sorted.length,
    min: sorted[0],
    p01,
    median: q(0.5),
    p99,
    max: sorted[sorted.length - 1],
    decades: Math.log10(p99 / p01),
  };
}
