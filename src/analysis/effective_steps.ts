/**
 * Per-coordinate effective step sizes of the adaptive methods: the factor that multiplies the
 * first moment m in the update x ← x − step ⊙ m (docs/paper-notes.md §1.2, §2.2, §5).
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
 * The exact applied factors (what the optimizers of src/optim compute) add bias corrections:
 *
 *     Padam (official):   lr · sqrt(bc2)/bc1 / (sqrt(v̂) + ε)^(2p)
 *     Padam (consistent): lr · bc2^p/bc1     / (sqrt(v̂) + ε)^(2p)
 *     Adam / AMSGrad:     lr / bc1 / (sqrt(v̂)/sqrt(bc2) + ε)          (torch 1.13 placement of ε)
 *
 * with bc1 = 1 − β1^t, bc2 = 1 − β2^t and v̂ the running maximum (AMSGrad, Padam) or v (Adam).
 * Used by notebook 02-small-learning-rate-dilemma.
 */
import * as tf from "@tensorflow/tfjs";
import type { RuleOptimizer } from "../optim/rule_optimizer";

export interface EffectiveStepOptions {
  /** Learning rate α. */
  lr: number;
  /** Partial exponent p in [0, 1/2] (1/2: AMSGrad-like, 0: momentum SGD). */
  p: number;
  /** ε added to sqrt(v̂) before the power (default 1e-8, Padam's and torch's default). */
  epsilon?: number;
  /** A common factor, e.g. the bias correction {@link padamBiasFactor} (default 1). */
  scale?: number;
}

function checkFinite(what: string, value: unknown, allowed: string, ok: (v: number) => boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`${what} = ${String(value)} is invalid; allowed: ${allowed}`);
  }
}

/**
 * step_i = scale · lr / (sqrt(v̂_i) + ε)^(2p) for every coordinate of `vHat` (paper §5, with ε
 * inside the power as the official code places it). Negative or non-finite v̂ is rejected.
 */
export function effectiveSteps(vHat: ArrayLike<number>, options: EffectiveStepOptions): Float32Array {
  const { lr, p } = options;
  const epsilon = options.epsilon ?? 1e-8;
  const scale = options.scale ?? 1;
  checkFinite("effectiveSteps: lr", lr, "a finite number >= 0", (v) => v >= 0);
  checkFinite("effectiveSteps: p", p, "a number in [0, 0.5]", (v) => v >= 0 && v <= 0.5);
  checkFinite("effectiveSteps: epsilon", epsilon, "a finite number > 0", (v) => v > 0);
  checkFinite("effectiveSteps: scale", scale, "a finite number >= 0", (v) => v >= 0);
  const out = new Float32Array(vHat.length);
  const exponent = 2 * p;
  for (let i = 0; i < vHat.length; i++) {
    const v = vHat[i];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new Error(`effectiveSteps: vHat[${i}] = ${v} is invalid; allowed: finite second moments >= 0`);
    }
    out[i] = (scale * lr) / Math.pow(Math.sqrt(v) + epsilon, exponent);
  }
  return out;
}

/** Padam's official bias factor sqrt(1 − β2^t) / (1 − β1^t) (paper.md §1.2, point 1). */
export function padamBiasFactor(t: number, beta1: number, beta2: number): number {
  checkFinite("padamBiasFactor: t", t, "an integer >= 1", (v) => Number.isInteger(v) && v >= 1);
  return Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
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
      throw new Error(`secondMoments: optimizer "${optimizer.optimizerName}" keeps no second moment (slots: ${Object.keys(slots).join(", ")}); allowed: adam, amsgrad, padam, adamw, yogi, adabound, amsbound`);
    }
    const name = w.originalName ?? weightName(w.name);
    out.push({ weight: name, layer: name.split("/")[0], shape: [...variable.shape], t: optimizer.variableStep(variable.name), vHat: source.dataSync() as Float32Array });
  }
  if (out.length === 0) throw new Error(`secondMoments: optimizer "${optimizer.optimizerName}" holds no state for any weight of the model (not trained yet?)`);
  return out;
}

/**
 * The factor the optimizer itself applies to m for each coordinate, from its hyper-parameters,
 * the weight's step count t and the learning rate `lr` (the scheduled rate in force):
 * see the module comment. Supports padam, adam and amsgrad (the methods of the dilemma).
 */
export function appliedSteps(optimizer: RuleOptimizer, moments: WeightMoments, lr: number): Float32Array {
  const hp = optimizer.hyperparameters as unknown as Record<string, unknown>;
  const beta1 = hp.beta1 as number;
  const beta2 = hp.beta2 as number;
  const epsilon = hp.epsilon as number;
  const t = moments.t;
  const bc1 = 1 - Math.pow(beta1, t);
  const bc2 = 1 - Math.pow(beta2, t);
  switch (optimizer.optimizerName) {
    case "padam": {
      const p = hp.partial as number;
      const factor = hp.biasCorrection === "consistent" ? Math.pow(bc2, p) : Math.sqrt(bc2);
      return effectiveSteps(moments.vHat, { lr, p, epsilon, scale: factor / bc1 });
    }
    case "adam":
    case "amsgrad": {
      checkFinite("appliedSteps: lr", lr, "a finite number >= 0", (v) => v >= 0);
      const out = new Float32Array(moments.vHat.length);
      const sb = Math.sqrt(bc2);
      for (let i = 0; i < out.length; i++) out[i] = lr / bc1 / (Math.sqrt(moments.vHat[i]) / sb + epsilon);
      return out;
    }
    default:
      throw new Error(`appliedSteps: optimizer "${optimizer.optimizerName}" is not supported; allowed: padam, adam, amsgrad`);
  }
}

/** Concatenates the values of the weights of each layer, in model order. */
export function byLayer(moments: WeightMoments[], values: (m: WeightMoments) => ArrayLike<number>): { layer: string; values: Float32Array }[] {
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
  return { count: sorted.length, min: sorted[0], p01, median: q(0.5), p99, max: sorted[sorted.length - 1], decades: Math.log10(p99 / p01) };
}
