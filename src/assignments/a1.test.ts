/**
 * The A1 checks accept a correct Padam (written here from the formulas) and reject typical
 * mistakes with feedback that names the mistake. Expected values inside the checks come from
 * hand-worked numbers and the reference trajectories.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkDenominator,
  checkLimitHalf,
  checkLimitZero,
  checkMoments,
  checkPadamStep,
  checkRunningMax,
  checkStepFactor,
  PadamHyper,
  PadamState,
} from "./a1";

const moments = (m: number[], v: number[], g: number[], b1: number, b2: number) => ({
  m: m.map((mi, i) => b1 * mi + (1 - b1) * g[i]),
  v: v.map((vi, i) => b2 * vi + (1 - b2) * g[i] ** 2),
});
const runningMax = (a: number[], v: number[]) => a.map((ai, i) => Math.max(ai, v[i]));
const stepFactor = (hp: PadamHyper, t: number) =>
  (hp.learningRate * Math.sqrt(1 - hp.beta2 ** t)) / (1 - hp.beta1 ** t);
const denominator = (vh: number[], eps: number, p: number) => vh.map((x) => (Math.sqrt(x) + eps) ** (2 * p));
function padamStep(x: number[], grad: number[], s: PadamState, hp: PadamHyper, factor: number) {
  const g = grad.map((gi, i) => gi + hp.weightDecay * x[i]);
  const { m, v } = moments(s.m, s.v, g, hp.beta1, hp.beta2);
  const vMax = runningMax(s.vMax, v);
  const den = denominator(hp.amsgrad ? vMax : v, hp.epsilon, hp.partial);
  return { x: x.map((xi, i) => xi - (factor * m[i]) / den[i]), state: { m, v, vMax } };
}
const notImplemented = () => {
  throw new Error("not implemented yet: a1-factor (replace this line with your code)");
};

describe("A1 checks", () => {
  it("accept a correct implementation, visible and hidden cases", () => {
    for (const hidden of [false, true]) {
      checkMoments(moments, { hidden });
      checkRunningMax(runningMax, { hidden });
      checkStepFactor(stepFactor, { hidden });
      checkDenominator(denominator, { hidden });
      checkPadamStep(padamStep, { hidden });
      checkLimitHalf((hp) => ({ ...hp, partial: 0.5 }), padamStep, { hidden });
      checkLimitZero((lr, b1) => lr / (1 - b1), padamStep, { hidden });
    }
  });

  it("name the bias factor (1-b2^t)^p as not the official one, with the step and both values", () => {
    const wrong = (hp: PadamHyper, t: number) =>
      (hp.learningRate * (1 - hp.beta2 ** t) ** hp.partial) / (1 - hp.beta1 ** t);
    // t = 1, p = 1/8: 0.1·0.001^(1/8)/0.1 = 0.4217 instead of 0.03162
    assert.throws(() => checkStepFactor(wrong), /step 1 .*: 0\.4217, expected 0\.03162 — .*official/);
  });

  it("ask whether the bias factor is applied when it is missing", () => {
    assert.throws(
      () => checkStepFactor((hp) => hp.learningRate),
      /step 1 .*: 0\.1, expected 0\.03162 — is the bias factor applied/,
    );
  });

  it("say that a stub is not implemented yet", () => {
    assert.throws(() => checkStepFactor(notImplemented), /stepFactor is not implemented yet/);
  });

  it("spot eps added after the power and the power p instead of 2p", () => {
    assert.throws(
      () => checkDenominator((vh, eps, p) => vh.map((x) => Math.sqrt(x) ** (2 * p) + eps)),
      /coordinate 3: 1e-8, expected 1e-4 — ε is added after the power/,
    );
    assert.throws(() => checkDenominator((vh, eps, p) => vh.map((x) => (Math.sqrt(x) + eps) ** p)), /the power is 2p/);
  });

  it("spot swapped betas and v averaging g instead of g²", () => {
    assert.throws(
      () =>
        checkMoments((m, v, g, b1, b2) => ({
          m: m.map((mi, i) => (1 - b1) * mi + b1 * g[i]),
          v: moments(m, v, g, b1, b2).v,
        })),
      /update 1 .*, m, coordinate 2: -1\.8, expected -0\.2 — β1 and 1−β1 look swapped/,
    );
    assert.throws(
      () =>
        checkMoments((m, v, g, b1, b2) => ({
          m: moments(m, v, g, b1, b2).m,
          v: v.map((vi, i) => b2 * vi + (1 - b2) * g[i]),
        })),
      /v averages the squared gradient/,
    );
  });

  it("name decoupled weight decay and a missing running max in the full step", () => {
    const decoupled = (x: number[], g: number[], s: PadamState, hp: PadamHyper, f: number) => {
      const r = padamStep(x, g, s, { ...hp, weightDecay: 0 }, f);
      return { ...r, x: r.x.map((xi, i) => xi - hp.learningRate * hp.weightDecay * x[i]) };
    };
    assert.throws(
      () => checkPadamStep(decoupled, { hidden: true }),
      /pub-padam-weight-decay-10.*step 1, coordinate \d+: .* — this is decoupled weight decay/,
    );
    const noMax = (x: number[], g: number[], s: PadamState, hp: PadamHyper, f: number) =>
      padamStep(x, g, s, { ...hp, amsgrad: false }, f);
    assert.throws(() => checkPadamStep(noMax), /pub-padam-partial-02.* — the running max is not used/);
  });

  it("explain the p -> 0 factor when the momentum average is forgotten", () => {
    assert.throws(
      () => checkLimitZero((lr) => lr, padamStep),
      /limitZeroFactor gives 0\.01, expected 0\.1 — Padam's m is an average/,
    );
    assert.throws(() => checkLimitHalf((hp) => hp, padamStep), /partial is 0\.125/);
  });
});
