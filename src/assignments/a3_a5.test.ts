/**
 * The A3 and A5 checks accept correct answers (written here from the formulas) and reject typical
 * mistakes with feedback naming them. A3's expected values come from mathjs derivatives and a
 * numerical minimization; A5's from hand-worked values and Reddi et al.'s qualitative result.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkBestStepSize, checkBoundAtBest, checkRateExponent, measuredRate, minimizeNumerically } from "./a3";
import {
  averageRegretOf,
  checkAverageRegret,
  checkCounterexample,
  checkGradient,
  checkRun,
  Method,
  REDDI_DEFAULTS,
  reddiRun,
  ReddiSetup,
} from "./a5";

describe("A3 checks", () => {
  it("measure the paper's rate 3/4 at q = s = 0 and minimize F numerically", () => {
    assert.ok(Math.abs(measuredRate(0, 0) - 0.75) < 1e-6);
    // F(α) = 2/α + 0.1 + 0.5α has its minimum 2·sqrt(2·0.5) + 0.1 = 2.1 at α = 2 (hand-worked).
    assert.ok(Math.abs(minimizeNumerically({ A: 2, B: 0.5, C: 0.1 }) - 2.1) < 1e-12);
  });
  it("accept the derivation and name the usual slips", () => {
    checkBestStepSize(() => "sqrt(A / B)");
    checkBestStepSize(() => "(A/B)^(1/2)");
    checkBoundAtBest(() => "2 * sqrt(A * B) + C");
    checkRateExponent(() => "(1 + (1 - q) * (1/2 - s)) / 2");
    assert.throws(
      () => checkBestStepSize(() => "sqrt(B / A)"),
      /F'\(α\*\) = -7\.5 at α\* = 0\.5, expected 0 — this is sqrt\(B\/A\)/,
    );
    assert.throws(() => checkBoundAtBest(() => "2 * sqrt(A * B)"), /the constant C is still there/);
    assert.throws(
      () => checkRateExponent(() => "(1 - q) * (1/2 - s)"),
      /at q = 0, s = 0: exponent 0\.5, expected 0\.75 .* that is e/,
    );
    assert.throws(() => checkRateExponent(() => "3/4 + T"), /uses T; allowed symbols: q, s/);
    assert.throws(() => checkBestStepSize(() => "sqrt(A / "), /mathjs cannot parse/);
  });
});

describe("A5 checks", () => {
  const run = (m: Method, s: ReddiSetup) => reddiRun(m, s);
  it("reproduce Reddi et al.: Adam goes to the worst point, AMSGrad and Padam to x* = -1", () => {
    const end = (m: Method) => reddiRun(m, REDDI_DEFAULTS).slice(-300);
    assert.ok(
      end("adam").every((x) => x > 0.9),
      "Adam near +1",
    );
    assert.ok(
      end("amsgrad").every((x) => x < -0.9) && end("padam").every((x) => x < -0.9),
      "AMSGrad and Padam near -1",
    );
  });
  it("accept a correct solution", () => {
    checkGradient((t, _x, C) => (t % 3 === 1 ? C : -1));
    for (const m of ["adam", "amsgrad", "padam"] as Method[]) checkRun(run, m);
    checkAverageRegret(averageRegretOf);
    checkCounterexample(run, averageRegretOf);
  });
  it("name a missing running max, a missing projection and a total instead of an average", () => {
    assert.throws(
      () => checkRun((m, s) => reddiRun(m, s, "noMax"), "amsgrad"),
      /amsgrad, .*x_3 \(after step 2\) is 0\.7433, expected 0\.5972 — .*running max/,
    );
    assert.throws(() => checkRun((m, s) => reddiRun(m, s, "noProjection"), "adam"), /project \(clip\) x/);
    assert.throws(() => checkRun((m, s) => reddiRun(m, s, "halfPower"), "padam"), /power p, not 1\/2/);
    assert.throws(
      () => checkAverageRegret((xs, C) => averageRegretOf(xs, C) * xs.length),
      /5, expected 1\.667 — that is the total regret/,
    );
    assert.throws(() => checkGradient((t, _x, C) => (t % 3 === 0 ? C : -1)), /gradient\(t = 1, .*: -1, expected 3/);
    // Adam given AMSGrad's max converges, so the counterexample check says Adam should not.
    assert.throws(
      () => checkCounterexample((m, s) => reddiRun(m === "adam" ? "amsgrad" : m, s), averageRegretOf),
      /Adam should stay far from x\* = −1/,
    );
  });
});
