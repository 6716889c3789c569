/**
 * Assignment A2 "The small-learning-rate dilemma": per-coordinate step sizes
 *
 *     step_i = lr / (sqrt(v̂_i) + ε)^(2p)
 *
 * read from the optimizer state of a tiny trained network, and how p changes their spread. With
 * ε negligible, log10 step_i = log10 lr − p·log10 v̂_i, so the spread in decades,
 * log10(max step) − log10(min step), is p·(log10 max v̂ − log10 min v̂): proportional to p.
 * Going from p = 1/2 (AMSGrad) to p = 1/8 divides it by 4, which is why Padam can use an SGD-size
 * learning rate (Chen et al., §5; src/analysis/effective_steps.ts has the tfjs version).
 *
 * The network: a 2–16–1 tanh MLP with a logistic output on 128 synthetic points, trained with
 * Padam (p = 1/8, lr 0.1) for 200 full-batch steps in float64 with the library's update rule.
 */
import { float64Ops } from "../optim/ops";
import { createOptimizer } from "../optim/registry";
import { seededRandom } from "../util/random";
import { CheckFailure, asNumber, asVector, call, close, fmt, fmtPair, passed } from "./checks";

const HIDDEN = 16;

/** Loss and gradient of the MLP with flat parameters [W1 (16×2), b1 (16), w2 (16), b2]. */
function mlp(w: ArrayLike<number>, X: number[][], y: number[]): { loss: number; grad: Float64Array } {
  const g = new Float64Array(w.length);
  let loss = 0;
  const [b1, w2, b2] = [2 * HIDDEN, 3 * HIDDEN, 4 * HIDDEN];
  X.forEach((x, r) => {
    const h = Array.from({ length: HIDDEN }, (_, j) => Math.tanh(w[2 * j] * x[0] + w[2 * j + 1] * x[1] + w[b1 + j]));
    const z = h.reduce((a, hj, j) => a + hj * w[w2 + j], w[b2]);
    loss += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y[r] * z;
    const dz = (1 / (1 + Math.exp(-z)) - y[r]) / X.length;
    g[b2] += dz;
    h.forEach((hj, j) => {
      g[w2 + j] += dz * hj;
      const da = dz * w[w2 + j] * (1 - hj * hj);
      g[2 * j] += da * x[0];
      g[2 * j + 1] += da * x[1];
      g[b1 + j] += da;
    });
  });
  return { loss: loss / X.length, grad: g };
}

export interface TrainedNetwork {
  /** v̂ (Padam's running max of the second moment), one entry per parameter. */
  vHat: number[];
  lossBefore: number;
  lossAfter: number;
  steps: number;
}

/** Trains the tiny network (deterministic for a seed) and returns its optimizer state. */
export function trainTinyNetwork(seed = 1, steps = 200): TrainedNetwork {
  const rng = seededRandom(seed);
  const X = Array.from({ length: 128 }, () => [4 * rng() - 2, 4 * rng() - 2]);
  const y = X.map(([a, b]) => Number(b > Math.sin(2 * a)));
  const opt = createOptimizer("padam", { learningRate: 0.1, partial: 0.125 });
  const hp = opt.hyperparameters as unknown as Record<string, unknown> & { learningRate: number };
  let w = Float64Array.from({ length: 4 * HIDDEN + 1 }, () => rng() - 0.5);
  const slots: Record<string, Float64Array> = {};
  for (const s of opt.rule.slots(hp)) slots[s] = new Float64Array(w.length).fill(opt.rule.initialValue(s, hp));
  const lossBefore = mlp(w, X, y).loss;
  for (let t = 1; t <= steps; t++) {
    const res = opt.rule.step(float64Ops, w, mlp(w, X, y).grad, slots, hp, {
      t,
      lr: hp.learningRate,
      initialLr: hp.learningRate,
    });
    w = res.x;
    Object.assign(slots, res.slots);
  }
  return { vHat: Array.from(slots.vMax ?? slots.v), lossBefore, lossAfter: mlp(w, X, y).loss, steps };
}

type StepSizesFn = (vHat: number[], lr: number, p: number, epsilon: number) => number[];
type SpreadFn = (steps: number[]) => number;

export function checkStepSizes(stepSizes: StepSizesFn, level: { hidden?: boolean } = {}): void {
  // Hand-worked, lr 0.1, ε = 0: v̂ = 1e−4 → p = 1/2: 0.1/0.01 = 10, p = 1/4: 0.1/0.1 = 1; v̂ = 1 → 0.1.
  const cases: [number[], number, number, number, number[]][] = [
    [[1e-4, 1, 0.01], 0.1, 0.5, 0, [10, 0.1, 1]],
    [[1e-4, 1, 0.01], 0.1, 0.25, 0, [1, 0.1, Math.sqrt(0.1)]],
  ];
  // Hidden, with ε: v̂ = 0 → 1/(1e−8)^(1/4) = 100; v̂ = 1e−16 → 1/(2e−8)^(1/4) = 84.0896; p = 1/8, lr 1.
  if (level.hidden) cases.push([[0, 1e-16], 1, 0.125, 1e-8, [100, 84.08964152537145]]);
  for (const [v, lr, p, eps, e] of cases) {
    const a = asVector(call("stepSizes", stepSizes, [...v], lr, p, eps), v.length, "stepSizes(...)");
    const i = e.findIndex((ei, k) => !close(a[k], ei, 1e-9, 0));
    if (i >= 0) {
      const [fa, fe] = fmtPair(a[i], e[i]);
      const hint = close(a[i], lr / (Math.sqrt(v[i]) + eps) ** p, 1e-9, 0)
        ? " — the power is 2p on sqrt(v̂) (v̂^p), not p"
        : close(a[i], lr * (Math.sqrt(v[i]) + eps) ** (2 * p), 1e-9, 0)
          ? " — the step divides by the denominator"
          : "";
      throw new CheckFailure(`v̂ = ${v[i]}, lr ${lr}, p = ${p}: step ${fa}, expected ${fe}${hint}`);
    }
  }
  passed("stepSizes: hand-worked values match");
}

export function checkSpread(spread: SpreadFn): void {
  // Hand-worked: steps 1e−3 … 10 span 4 decades.
  const a = asNumber(call("spread", spread, [0.01, 10, 1e-3, 0.5]), "spread(...)");
  if (!close(a, 4, 1e-9, 0)) {
    const hint = close(a, 1e4, 1e-9, 0) ? " — that is the ratio; give it in decades (log10)" : "";
    throw new CheckFailure(`spread([0.01, 10, 0.001, 0.5]): ${fmt(a)}, expected 4 (decades from 0.001 to 10)${hint}`);
  }
  passed("spread: hand-worked value matches");
}

export function checkPrediction(predictRatio: () => number): void {
  const a = asNumber(call("predictRatio", predictRatio), "predictRatio()");
  // log10 step = log10 lr − p·log10 v̂ (ε negligible): the spread is proportional to p, 1/8 ÷ 1/2 = 1/4.
  if (!close(a, 0.25, 1e-9, 0)) {
    const hint = close(a, 4, 1e-9, 0)
      ? " — the spread shrinks, so the ratio is below 1"
      : close(a, 0.5, 1e-9, 0)
        ? " — log10 step = log10 lr − p·log10 v̂: the spread is proportional to p itself"
        : "";
    throw new CheckFailure(
      `predicted spread(p = 1/8) / spread(p = 1/2) = ${fmt(a)}, expected the value that follows from log10 step = log10 lr − p·log10 v̂${hint}`,
    );
  }
  passed("prediction: the spread is proportional to p");
}

/** The measurement on the trained network with the student's functions, against the prediction. */
export function checkMeasurement(stepSizes: StepSizesFn, spread: SpreadFn, net: TrainedNetwork): void {
  const eps = 1e-8;
  const rows = [0.5, 0.25, 0.125, 0.0625].map((p) => {
    const steps = asVector(call("stepSizes", stepSizes, [...net.vHat], 0.1, p, eps), net.vHat.length, "stepSizes(...)");
    const s = asNumber(call("spread", spread, steps), "spread(...)");
    const expected =
      Math.log10(Math.max(...net.vHat.map((v) => 0.1 / (Math.sqrt(v) + eps) ** (2 * p)))) -
      Math.log10(Math.min(...net.vHat.map((v) => 0.1 / (Math.sqrt(v) + eps) ** (2 * p))));
    if (!close(s, expected, 1e-6, 1e-9))
      throw new CheckFailure(`p = ${p}: spread ${fmt(s)} decades on the network, expected ${fmt(expected)}`);
    return { p, s };
  });
  const ratio = rows[2].s / rows[0].s;
  if (Math.abs(ratio - 0.25) > 0.02)
    throw new CheckFailure(
      `measured spread(1/8)/spread(1/2) = ${fmt(ratio)}, far from 1/4: is ε dominating (v̂ near 0)?`,
    );
  passed(
    `spread of the ${net.vHat.length} step sizes: ${rows.map((r) => `p = ${r.p}: ${fmt(r.s)} decades`).join(", ")}; ratio 1/8 : 1/2 = ${fmt(ratio)}`,
  );
}
