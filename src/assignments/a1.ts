/**
 * Checks of assignment A1 "Implement Padam". Expected values come from hand-worked numbers (the
 * literals below, each with its formula) and from the reference trajectories of the official
 * Padam code and of PyTorch's AMSGrad and SGD (src/testing/fixtures, float64).
 *
 * The update the student builds, in the official code's form (Chen et al., uclaml/Padam):
 *
 *     g ← g + λ·x                                  (coupled weight decay: L2 added to the gradient)
 *     m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²   (moments)
 *     v̂ ← max(v̂, v)                                (running max, when amsgrad)
 *     x ← x − lr·sqrt(1−β2^t)/(1−β1^t) · m / (sqrt(v̂) + ε)^(2p)
 *
 * p = 1/2 is AMSGrad; as p → 0 the denominator is 1 and Padam is heavy-ball SGD on the scaled
 * momentum m = (1−β1)·buf.
 */
import { biasCorrections } from "../optim/moments";
import { GoldenCase, goldenGradient, loadGoldenCases } from "../testing/golden";
import {
  CheckFailure,
  Diagnosis,
  Tolerance,
  asNumber,
  asVector,
  call,
  close,
  expectVector,
  fmt,
  fmtPair,
  passed,
  worstIndex,
} from "./checks";

/** Hyper-parameters, named as in the reference trajectories' options. */
export interface PadamHyper {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  partial: number;
  amsgrad: boolean;
}

export interface PadamState {
  m: number[];
  v: number[];
  vMax: number[];
}

export type MomentsFn = (
  m: number[],
  v: number[],
  g: number[],
  beta1: number,
  beta2: number,
) => { m: number[]; v: number[] };
export type RunningMaxFn = (vMax: number[], v: number[]) => number[];
export type StepFactorFn = (hp: PadamHyper, t: number) => number;
export type DenominatorFn = (vHat: number[], epsilon: number, partial: number) => number[];
export type PadamStepFn = (
  x: number[],
  g: number[],
  state: PadamState,
  hp: PadamHyper,
  factor: number,
) => { x: number[]; state: PadamState };

export interface CheckLevel {
  /** Run the instructor's additional cases (hidden tests). */
  hidden?: boolean;
}

const HAND: Tolerance = { rtol: 1e-9, atol: 1e-15 };
/** Student float64 code against float64 reference runs (the last digits differ by summation order). */
const TRAJ: Tolerance = { rtol: 1e-7, atol: 1e-10 };

let golden: GoldenCase[] | null = null;
/** A reference case by id, with a clear error when the fixture lacks it. */
export function goldenCase(id: string): GoldenCase {
  golden ??= loadGoldenCases();
  const c = golden.find((x) => x.id === id);
  if (!c)
    throw new Error(
      `reference case ${JSON.stringify(id)} not found in the golden trajectories (${golden.length} cases)`,
    );
  return c;
}

// ---------------------------------------------------------------------------------------------
// moments

export function checkMoments(moments: MomentsFn, level: CheckLevel = {}): void {
  // Hand-worked, β = (0.9, 0.999), from zero: m = 0.1·g, v = 0.001·g²; then a second gradient:
  // m = 0.9·[0.1, −0.2, 0] + 0.1·[0.5, 1, −3] = [0.14, −0.08, −0.3],
  // v = 0.999·[0.001, 0.004, 0] + 0.001·[0.25, 1, 9] = [0.001249, 0.004996, 0.009].
  const cases = [
    { m: [0, 0, 0], v: [0, 0, 0], g: [1, -2, 0], b1: 0.9, b2: 0.999, em: [0.1, -0.2, 0], ev: [0.001, 0.004, 0] },
    {
      m: [0.1, -0.2, 0],
      v: [0.001, 0.004, 0],
      g: [0.5, 1, -3],
      b1: 0.9,
      b2: 0.999,
      em: [0.14, -0.08, -0.3],
      ev: [0.001249, 0.004996, 0.009],
    },
  ];
  // Hidden: other betas. β = (0.5, 0.75), m = 2, v = 4, g = −2: m = 1 − 1 = 0, v = 3 + 1 = 4; g = 6: m = 4, v = 3 + 9 = 12.
  if (level.hidden) cases.push({ m: [2, 2], v: [4, 4], g: [-2, 6], b1: 0.5, b2: 0.75, em: [0, 4], ev: [4, 12] });
  cases.forEach((c, k) => {
    const out = call<{ m: unknown; v: unknown }>("moments", moments, [...c.m], [...c.v], [...c.g], c.b1, c.b2);
    if (!out || typeof out !== "object") throw new CheckFailure(`moments should return { m, v }, got ${String(out)}`);
    const m = asVector(out.m, c.g.length, "moments(...).m");
    const v = asVector(out.v, c.g.length, "moments(...).v");
    const where = `update ${k + 1} (β1 = ${c.b1}, β2 = ${c.b2})`;
    expectVector(m, c.em, HAND, `${where}, m`, [
      {
        hint: "β1 and 1−β1 look swapped: m ← β1·m + (1−β1)·g",
        values: c.m.map((mi, i) => (1 - c.b1) * mi + c.b1 * c.g[i]),
      },
      {
        hint: "m should be an average: m ← β1·m + (1−β1)·g (the factor 1−β1 is missing)",
        values: c.m.map((mi, i) => c.b1 * mi + c.g[i]),
      },
    ]);
    expectVector(v, c.ev, HAND, `${where}, v`, [
      {
        hint: "v averages the squared gradient g², not g",
        values: c.v.map((vi, i) => c.b2 * vi + (1 - c.b2) * c.g[i]),
      },
      {
        hint: "β2 and 1−β2 look swapped: v ← β2·v + (1−β2)·g²",
        values: c.v.map((vi, i) => (1 - c.b2) * vi + c.b2 * c.g[i] ** 2),
      },
    ]);
  });
  passed(`moments: ${cases.length} hand-worked updates match`);
}

// ---------------------------------------------------------------------------------------------
// running max

export function checkRunningMax(runningMax: RunningMaxFn, level: CheckLevel = {}): void {
  const cases = [{ vMax: [0.5, 0.1, 0], v: [0.2, 0.3, 0], e: [0.5, 0.3, 0] }];
  if (level.hidden) cases.push({ vMax: [1e-12, 7], v: [2e-12, 7], e: [2e-12, 7] });
  cases.forEach((c, k) => {
    const out = asVector(call("runningMax", runningMax, [...c.vMax], [...c.v]), c.v.length, "runningMax(...)");
    expectVector(out, c.e, HAND, `case ${k + 1}`, [
      { hint: "this is the latest v; keep the running maximum max(v̂, v) instead", values: c.v },
      { hint: "this is the old maximum; it must grow when v exceeds it", values: c.vMax },
    ]);
  });
  passed(`runningMax: ${cases.length} case(s) match`);
}

// ---------------------------------------------------------------------------------------------
// step factor

/** The step factor variants a student may write, as diagnoses. */
function factorDiagnoses(hp: PadamHyper, t: number): Diagnosis<readonly number[]>[] {
  const { learningRate: lr, beta1: b1, beta2: b2, partial: p } = hp;
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  return [
    {
      hint: "this is lr·(1−β2^t)^p/(1−β1^t); the official Padam code uses sqrt(1−β2^t) for every p — is the bias factor the official one?",
      values: [(lr * bc2 ** p) / bc1],
    },
    { hint: "is the bias factor applied? Expected lr·sqrt(1−β2^t)/(1−β1^t)", values: [lr] },
    { hint: "the second-moment correction sqrt(1−β2^t) is missing", values: [lr / bc1] },
    { hint: "the first-moment correction 1/(1−β1^t) is missing", values: [lr * Math.sqrt(bc2)] },
    { hint: "take the square root of 1−β2^t", values: [(lr * bc2) / bc1] },
  ];
}

export function checkStepFactor(stepFactor: StepFactorFn, level: CheckLevel = {}): void {
  const base: PadamHyper = {
    learningRate: 0.1,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0,
    partial: 0.125,
    amsgrad: true,
  };
  // Hand-worked: t = 1: 0.1·sqrt(0.001)/0.1 = 0.0316228; t = 10: 0.1·sqrt(1−0.999^10)/(1−0.9^10) = 0.0153189.
  const cases: { hp: PadamHyper; t: number; e: number }[] = [
    { hp: base, t: 1, e: 0.03162277660168381 },
    { hp: base, t: 10, e: 0.01531890739511824 },
  ];
  if (level.hidden) {
    // lr 0.01, β = (0.8, 0.99), p = 1/4: t = 1: 0.01·0.1/0.2 = 0.005; t = 3: 0.01·sqrt(1−0.99³)/(1−0.8³); t = 100.
    const hp = { ...base, learningRate: 0.01, beta1: 0.8, beta2: 0.99, partial: 0.25 };
    cases.push({ hp, t: 1, e: 0.005 }, { hp, t: 3, e: 0.003531552882499703 }, { hp, t: 100, e: 0.007962208606819177 });
  }
  for (const c of cases) {
    const a = asNumber(call("stepFactor", stepFactor, { ...c.hp }, c.t), "stepFactor(...)");
    const where = `step ${c.t} (lr ${c.hp.learningRate}, β1 ${c.hp.beta1}, β2 ${c.hp.beta2}, p ${c.hp.partial})`;
    if (close(a, c.e, HAND.rtol, HAND.atol)) continue;
    const d = factorDiagnoses(c.hp, c.t).find((x) => close(a, x.values[0], HAND.rtol, HAND.atol));
    const [fa, fe] = fmtPair(a, c.e);
    throw new CheckFailure(
      `${where}: ${fa}, expected ${fe}${d ? ` — ${d.hint}` : " — expected lr·sqrt(1−β2^t)/(1−β1^t)"}`,
    );
  }
  passed(`stepFactor: ${cases.length} hand-worked values match`);
}

// ---------------------------------------------------------------------------------------------
// denominator

export function checkDenominator(denominator: DenominatorFn, level: CheckLevel = {}): void {
  // Hand-worked (ε added to sqrt(v̂) before the power 2p): p = 1/4, ε = 1e−8:
  // v̂ = 0.04 → (0.2 + 1e−8)^0.5 = 0.44721361; v̂ = 1e−20 → (1e−10 + 1e−8)^0.5 = 1.004988e−4;
  // v̂ = 0 → (1e−8)^0.5 = 1e−4; v̂ = 4 → (2 + 1e−8)^0.5 = 1.41421357.
  const cases = [
    {
      v: [0.04, 1e-20, 0, 4],
      eps: 1e-8,
      p: 0.25,
      e: [0.4472136066802977, 0.0001004987562112089, 0.0001, 1.414213565908629],
    },
  ];
  // Hidden: p = 1/8 (power 1/4) and p = 1/2 (power 1), ε = 1e−6: v̂ = 0.09 → 0.300001^0.25 = 0.74008342.
  if (level.hidden) {
    cases.push(
      { v: [0.09, 1e-12, 0], eps: 1e-6, p: 0.125, e: [0.7400834212271847, 0.03760603093086393, 0.03162277660168379] },
      { v: [0.09, 1e-12, 0], eps: 1e-6, p: 0.5, e: [0.30000099999999996, 2e-6, 1e-6] },
    );
  }
  cases.forEach((c) => {
    const out = asVector(call("denominator", denominator, [...c.v], c.eps, c.p), c.v.length, "denominator(...)");
    expectVector(out, c.e, HAND, `p = ${c.p}, ε = ${c.eps}`, [
      {
        hint: "ε is added after the power; the official code adds ε to sqrt(v̂) before raising to 2p",
        values: c.v.map((v) => Math.sqrt(v) ** (2 * c.p) + c.eps),
      },
      {
        hint: "the power is 2p on sqrt(v̂) (that is v̂^p), not p",
        values: c.v.map((v) => (Math.sqrt(v) + c.eps) ** c.p),
      },
      { hint: "ε is missing: add it to sqrt(v̂) before the power", values: c.v.map((v) => Math.sqrt(v) ** (2 * c.p)) },
      { hint: "the power 2p applies to sqrt(v̂) + ε, not to v̂ + ε", values: c.v.map((v) => (v + c.eps) ** (2 * c.p)) },
    ]);
  });
  passed(`denominator: ${cases.length} hand-worked case(s) match`);
}

// ---------------------------------------------------------------------------------------------
// the full step, against the reference trajectories

/** The reference case's options as PadamHyper (defaults for what the case leaves out). */
export function hyperOf(c: GoldenCase, overrides: Partial<PadamHyper> = {}): PadamHyper {
  const o = c.options as Record<string, number | boolean | undefined>;
  return {
    learningRate: Number(o.learningRate),
    beta1: Number(o.beta1 ?? o.momentum ?? 0.9),
    beta2: Number(o.beta2 ?? 0.999),
    epsilon: Number(o.epsilon ?? 1e-8),
    weightDecay: Number(o.weightDecay ?? 0),
    partial: Number(o.partial ?? 0.125),
    amsgrad: o.amsgrad === undefined ? true : Boolean(o.amsgrad),
    ...overrides,
  };
}

/** The official step factor lr·sqrt(1−β2^t)/(1−β1^t) (given to padamStep by the checks). */
export function officialFactor(hp: PadamHyper, t: number): number {
  const { bc1, bc2 } = biasCorrections(t, hp.beta1, hp.beta2);
  return (hp.learningRate * Math.sqrt(bc2)) / bc1;
}

type Variant = "official" | "decoupled" | "noDecay" | "noMax" | "epsAfter" | "alwaysMax";
const VARIANT_HINTS: Record<Exclude<Variant, "official">, string> = {
  decoupled:
    "this is decoupled weight decay (x shrunk by lr·λ); Padam's is coupled: add λ·x to the gradient before the moments",
  noDecay: "weight decay is missing: add λ·x to the gradient before the moments",
  noMax: "the running max is not used: with amsgrad the denominator uses v̂ = max(v̂, v)",
  alwaysMax: "with amsgrad = false the denominator uses v itself, not the running max",
  epsAfter: "ε is added after the power; add it to sqrt(v̂) before raising to 2p",
};

/** One step of a deliberately altered update (to name the student's mistake). */
function variantStep(
  x: number[],
  g0: number[],
  s: PadamState,
  hp: PadamHyper,
  factor: number,
  variant: Variant,
): { x: number[]; state: PadamState } {
  const wd = variant === "noDecay" || variant === "decoupled" ? 0 : hp.weightDecay;
  const g = g0.map((gi, i) => gi + wd * x[i]);
  const m = s.m.map((mi, i) => hp.beta1 * mi + (1 - hp.beta1) * g[i]);
  const v = s.v.map((vi, i) => hp.beta2 * vi + (1 - hp.beta2) * g[i] * g[i]);
  const vMax = s.vMax.map((a, i) => Math.max(a, v[i]));
  const useMax = variant === "alwaysMax" || (hp.amsgrad && variant !== "noMax");
  const vHat = useMax ? vMax : v;
  const shrink = variant === "decoupled" ? 1 - hp.learningRate * hp.weightDecay : 1;
  const den = vHat.map((vh) =>
    variant === "epsAfter"
      ? Math.sqrt(vh) ** (2 * hp.partial) + hp.epsilon
      : (Math.sqrt(vh) + hp.epsilon) ** (2 * hp.partial),
  );
  return { x: x.map((xi, i) => shrink * xi - (factor * m[i]) / den[i]), state: { m, v, vMax } };
}

interface Trajectory {
  c: GoldenCase;
  hp: PadamHyper;
  factorAt: (t: number) => number;
  /** Expected parameters after each step (default: the case's). */
  expected?: number[][];
  tol?: Tolerance;
}

/**
 * Runs the student's padamStep along a reference case (gradients replayed, or computed at the
 * student's own iterate in function mode) and compares every step; names the likely mistake.
 */
function followTrajectory(step: PadamStepFn, tr: Trajectory, label: string): void {
  const { c, hp } = tr;
  const d = c.x0.length;
  const zero = () => new Array<number>(d).fill(0);
  let x = [...c.x0];
  let state: PadamState = { m: zero(), v: zero(), vMax: zero() };
  const expected = tr.expected ?? c.expected;
  const tol = tr.tol ?? TRAJ;
  for (let t = 0; t < c.steps; t++) {
    const g = c.mode === "function" && c.function ? goldenGradient(c.function, x) : c.grads[t];
    const factor = tr.factorAt(t + 1);
    const out = call<{ x: unknown; state: PadamState }>(
      "padamStep",
      step,
      [...x],
      [...g],
      cloneState(state),
      { ...hp },
      factor,
    );
    if (!out || typeof out !== "object")
      throw new CheckFailure(`padamStep should return { x, state }, got ${String(out)}`);
    const nx = asVector(out.x, d, `${label}, step ${t + 1}: x`);
    const miss = worstIndex(nx, expected[t], tol);
    if (miss >= 0) {
      // A variant names the mistake only if the student's step matches it and it is not the formula itself.
      const official = variantStep(x, g, state, hp, factor, "official").x;
      const same = (a: number[], b: readonly number[]) => a.every((ai, i) => close(b[i], ai, tol.rtol, tol.atol));
      const hint = (Object.keys(VARIANT_HINTS) as Exclude<Variant, "official">[]).find((v) => {
        const alt = variantStep(x, g, state, hp, factor, v).x;
        return same(alt, nx) && !same(alt, official);
      });
      const [fa, fe] = fmtPair(nx[miss], expected[t][miss]);
      const text = `${label}, step ${t + 1}, coordinate ${miss + 1}: ${fa}, expected ${fe}`;
      throw new CheckFailure(
        `${text} — ${hint ? VARIANT_HINTS[hint] : "compare each line with the formulas above (moments, max, denominator, weight decay)"}`,
      );
    }
    if (!out.state || !Array.isArray(out.state.m) || !Array.isArray(out.state.v) || !Array.isArray(out.state.vMax)) {
      throw new CheckFailure(`${label}, step ${t + 1}: padamStep should return state = { m, v, vMax } (arrays)`);
    }
    x = nx;
    state = cloneState(out.state);
  }
}

function cloneState(s: PadamState): PadamState {
  return { m: [...s.m], v: [...s.v], vMax: [...s.vMax] };
}

function describeCase(c: GoldenCase): string {
  const o = c.options as Record<string, unknown>;
  return `reference case ${c.id} (p = ${String(o.partial)}, λ = ${String(o.weightDecay)}, amsgrad ${String(o.amsgrad)})`;
}

/** padamStep against the official code's trajectories (the step factor is supplied by the check). */
export function checkPadamStep(step: PadamStepFn, level: CheckLevel = {}): void {
  const ids = level.hidden
    ? [
        "pub-padam-weight-decay-10",
        "pub-padam-no-amsgrad-06",
        "pub-padam-rosenbrock-13",
        "pub-padam-logistic-14",
        "pub-padam-weight-decay-12",
      ]
    : ["pub-padam-partial-02", "pub-padam-partial-03"];
  for (const id of ids) {
    const c = goldenCase(id);
    const hp = hyperOf(c);
    followTrajectory(step, { c, hp, factorAt: (t) => officialFactor(hp, t) }, describeCase(c));
  }
  passed(`padamStep follows ${ids.length} reference trajectories of the official Padam code (${ids.join(", ")})`);
}

/** The p = 1/2 limit: padamStep with limitHalf(hp) against PyTorch's AMSGrad. */
export function checkLimitHalf(
  limitHalf: (hp: PadamHyper) => PadamHyper,
  step: PadamStepFn,
  level: CheckLevel = {},
): void {
  // PyTorch adds ε to sqrt(v̂/(1−β2^t)), the official Padam code to sqrt(v̂): the runs differ by
  // ~1e−10 on Rosenbrock and ~1e−4 (relative) on the quadratic, hence each case's tolerance.
  const cases: [string, Tolerance][] = [["pub-amsgrad-rosenbrock-38", { rtol: 1e-7, atol: 1e-9 }]];
  if (level.hidden) cases.push(["pub-amsgrad-quadratic-37", { rtol: 2e-4, atol: 1e-6 }]);
  const ids = cases.map(([id]) => id);
  for (const [id, tol] of cases) {
    const c = goldenCase(id);
    const given = hyperOf(c, { partial: 0.125 });
    const hp = call<PadamHyper>("limitHalf", limitHalf, { ...given });
    if (!hp || typeof hp !== "object")
      throw new CheckFailure(`limitHalf should return the hyper-parameters (an object), got ${String(hp)}`);
    if (hp.partial !== 0.5)
      throw new CheckFailure(
        `limitHalf(...).partial is ${String(hp.partial)}, expected the value of p at which (v̂)^p = sqrt(v̂), AMSGrad's denominator`,
      );
    followTrajectory(step, { c, hp, factorAt: (t) => officialFactor(hp, t), tol }, `AMSGrad reference case ${id}`);
  }
  passed(`p = 1/2: padamStep reproduces PyTorch's AMSGrad (${ids.join(", ")})`);
}

/**
 * The p → 0 limit: with p = 0 the denominator is 1, and padamStep with step factor
 * limitZeroFactor(lrSgd, β1) must reproduce heavy-ball SGD (PyTorch: buf ← μ·buf + g, x ← x − lr·buf)
 * with momentum μ = β1. Since m = (1−β1)·buf, the factor is lrSgd/(1−β1).
 */
export function checkLimitZero(
  limitZeroFactor: (lrSgd: number, beta1: number) => number,
  step: PadamStepFn,
  level: CheckLevel = {},
): void {
  const ids = level.hidden ? ["pub-sgd-weight-decay-18", "pub-sgd-rosenbrock-23"] : ["pub-sgd-momentum-16"];
  for (const id of ids) {
    const c = goldenCase(id);
    const o = c.options as Record<string, number | boolean>;
    const lrSgd = Number(o.learningRate);
    const mu = Number(o.momentum);
    const factor = asNumber(call("limitZeroFactor", limitZeroFactor, lrSgd, mu), "limitZeroFactor(...)");
    const e = lrSgd / (1 - mu);
    if (!close(factor, e, HAND.rtol, HAND.atol)) {
      const hint = close(factor, lrSgd, HAND.rtol, 0)
        ? "Padam's m is an average, m = (1−β1)·buf, so the factor must undo 1−β1"
        : close(factor, lrSgd * (1 - mu), HAND.rtol, 0)
          ? "divide by 1−β1 instead of multiplying"
          : "m = (1−β1)·buf, and SGD steps by lr·buf";
      throw new CheckFailure(
        `SGD lr ${lrSgd}, momentum ${mu}: limitZeroFactor gives ${fmt(factor)}, expected ${fmt(e)} — ${hint}`,
      );
    }
    const hp: PadamHyper = {
      learningRate: lrSgd,
      beta1: mu,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: Number(o.weightDecay),
      partial: 0,
      amsgrad: true,
    };
    followTrajectory(step, { c, hp, factorAt: () => factor }, `SGD reference case ${id} (padamStep with p = 0)`);
  }
  passed(`p → 0: padamStep with factor lr/(1−β1) reproduces PyTorch's heavy-ball SGD (${ids.join(", ")})`);
}

/**
 * Not graded: the student's pieces put together (their own step factor) against one reference
 * trajectory; prints how far each step is, without throwing.
 */
export function compareWithReference(step: PadamStepFn, factor: StepFactorFn, id = "pub-padam-defaults-00"): void {
  const c = goldenCase(id);
  const hp = hyperOf(c);
  let x = [...c.x0];
  let state: PadamState = { m: c.x0.map(() => 0), v: c.x0.map(() => 0), vMax: c.x0.map(() => 0) };
  let worst = 0;
  try {
    for (let t = 0; t < c.steps; t++) {
      const out = step([...x], [...c.grads[t]], cloneState(state), { ...hp }, factor({ ...hp }, t + 1));
      x = out.x;
      state = out.state;
      c.expected[t].forEach((e, i) => (worst = Math.max(worst, Math.abs(x[i] - e) / Math.max(Math.abs(e), 1e-12))));
    }
  } catch (err) {
    console.log(`your Padam stopped with an error: ${(err as Error).message}`);
    return;
  }
  console.log(
    `your Padam on ${describeCase(c)}, ${c.steps} steps: largest relative difference ${fmt(worst)} (${worst < 1e-6 ? "matches the official code" : "does not match yet"})`,
  );
}
