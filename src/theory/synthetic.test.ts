import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PHI_PRIME_MAX, pSlopeCheck, runPaperPadam, syntheticCheck, syntheticProblem } from "./synthetic";

const phi = (u: number) => (u * u) / (1 + u * u);
/** max |phi'|: phi'(u) = 2u/(1 + u²)² peaks at u = 1/sqrt(3), (2/sqrt(3))·(9/16) = 3 sqrt(3)/8. */
const PHI_PRIME_PEAK = (3 * Math.sqrt(3)) / 8;

describe("syntheticProblem", () => {
  test("known constants: |phi'| <= 3 sqrt(3)/8 and |phi''| <= 2 on a fine grid, inf f = 0", () => {
    let maxD1 = 0;
    let maxD2 = 0;
    const h = 1e-4;
    for (let u = -6; u <= 6; u += 1e-3) {
      maxD1 = Math.max(maxD1, Math.abs((phi(u + h) - phi(u - h)) / (2 * h)));
      maxD2 = Math.max(maxD2, Math.abs((phi(u + h) - 2 * phi(u) + phi(u - h)) / (h * h)));
    }
    assert.ok(Math.abs(maxD1 - PHI_PRIME_PEAK) < 1e-6, `max |phi'| = ${maxD1}`);
    assert.ok(Math.abs(PHI_PRIME_MAX - PHI_PRIME_PEAK) < 1e-15, `PHI_PRIME_MAX = ${PHI_PRIME_MAX}`);
    assert.ok(Math.abs(maxD2 - 2) < 1e-3, `max |phi''| = ${maxD2}`);
    const pr = syntheticProblem({ d: 3, scaleDecay: 1, noise: 0.5 });
    assert.equal(pr.L, 2); // w_0 = 1
    assert.ok(Math.abs(pr.Ginf - (PHI_PRIME_PEAK + 0.5)) < 1e-15, `G_inf = ${pr.Ginf}`); // w_0 = 1 times max |phi'|, plus the noise
    assert.equal(pr.f(new Float64Array(3)), 0);
    assert.equal(pr.deltaF, pr.f(pr.x1));
  });

  test("gradNormSq matches central differences of f", () => {
    const pr = syntheticProblem({ d: 4, scaleDecay: 0.5, seed: 3 });
    const x = Float64Array.from(pr.x1);
    let s = 0;
    for (let i = 0; i < 4; i++) {
      const a = Float64Array.from(x);
      const b = Float64Array.from(x);
      a[i] += 1e-6;
      b[i] -= 1e-6;
      const g = (pr.f(a) - pr.f(b)) / 2e-6;
      s += g * g;
    }
    assert.ok(Math.abs(s - pr.gradNormSq(x)) < 1e-8 * Math.max(1, s), `${s} vs ${pr.gradNormSq(x)}`);
  });

  test("bad config is refused naming the field", () => {
    assert.throws(() => syntheticProblem({ d: 0 }), /d = 0/);
    assert.throws(() => syntheticProblem({ noise: -1 }), /noise = -1/);
  });
});

describe("runPaperPadam (Algorithm 1, float64)", () => {
  test("first step by hand: p = 1/4, beta1 = 0.5, beta2 = 0.75, no noise", () => {
    const pr = syntheticProblem({ d: 1, noise: 0, seed: 5 });
    const x1 = pr.x1[0];
    const g = (2 * x1) / Math.pow(1 + x1 * x1, 2);
    // m1 = 0.5 g, vhat1 = 0.25 g^2, x2 = x1 - alpha * 0.5 g / (0.25 g^2)^(1/4) = x1 - alpha sqrt(1/2) sign(g) sqrt|g|
    const alpha = 0.1;
    const x2 = x1 - alpha * Math.SQRT1_2 * Math.sign(g) * Math.sqrt(Math.abs(g));
    const r = runPaperPadam(pr, { p: 0.25, beta1: 0.5, beta2: 0.75, alpha }, 2, 0);
    // T = 2: x_out is x_2 with certainty
    assert.equal(r.drawnT, 2);
    const g2 = (2 * x2) / Math.pow(1 + x2 * x2, 2);
    assert.ok(Math.abs(r.drawnGradNormSq - g2 * g2) < 1e-15, `${r.drawnGradNormSq} vs ${g2 * g2}`);
    assert.ok(Math.abs(r.invVHat1L1 - Math.pow(0.25 * g * g, -0.25)) < 1e-12);
  });

  test("p = 0, beta1 = 0, no noise is gradient descent", () => {
    const pr = syntheticProblem({ d: 5, noise: 0, scaleDecay: 0.5 });
    const alpha = 0.3;
    const T = 50;
    const x = Float64Array.from(pr.x1);
    let acc = 0;
    for (let t = 1; t <= T; t++) {
      if (t >= 2) acc += pr.gradNormSq(x);
      for (let i = 0; i < 5; i++) x[i] -= (alpha * pr.weights[i] * (2 * x[i])) / Math.pow(1 + x[i] * x[i], 2);
    }
    const r = runPaperPadam(pr, { p: 0, beta1: 0, beta2: 0.9, alpha }, T, 9);
    assert.ok(Math.abs(r.meanGradNormSq - acc / (T - 1)) < 1e-14);
    assert.ok(Math.abs(r.finalF - pr.f(x)) < 1e-14);
  });

  test("same seed gives the same run; observed |g| never exceeds the known G_inf", () => {
    const pr = syntheticProblem({ d: 20 });
    const hp = { p: 0.125, beta1: 0.9, beta2: 0.999, alpha: 0.01 };
    const a = runPaperPadam(pr, hp, 300, 4);
    const b = runPaperPadam(pr, hp, 300, 4);
    assert.deepEqual(a, b);
    assert.ok(a.gInfSeen <= pr.Ginf);
    // ||g_{1:T,i}|| <= G_inf sqrt(T): the s = 1/2 envelope always holds
    assert.ok(a.maxNorm <= pr.Ginf * Math.sqrt(300));
  });
});

describe("syntheticCheck", () => {
  test("measured E||grad f(x_out)||^2 decreases with T and stays below the bound", () => {
    const r = syntheticCheck({ horizons: [64, 512, 4096], repeats: 4, alpha: 0.01, problem: { d: 10 } });
    assert.equal(r.rows.length, 3);
    assert.ok(r.measuredSlope < -0.2, `measured slope ${r.measuredSlope}`);
    for (const row of r.rows) {
      assert.ok(row.boundHolds, `T = ${row.T}: ${row.expectedMean} vs bound ${row.bound.total}`);
      assert.equal(row.bound.inputs.s, 0.5);
      assert.ok(row.sEnvelope <= 0.5);
    }
  });

  test("'optimal' alpha is the bound's alpha* and shrinks as T^(-1/2) (s = 1/2, q = 0)", () => {
    const r = syntheticCheck({ horizons: [100, 400], repeats: 2, problem: { d: 5 } });
    const [a, b] = r.rows;
    assert.ok(Math.abs(a.alpha - a.bound.optimalAlpha) <= 1e-12 * a.alpha);
    // alpha* ~ T^(-1/2) exactly up to the measured E||vhat_1^(-p)||_1 entering M2 only (not alpha*)
    assert.ok(Math.abs(b.alpha / a.alpha - 0.5) < 1e-9, `${b.alpha / a.alpha}`);
  });

  test("theorem conditions are enforced before any run", () => {
    assert.throws(() => syntheticCheck({ p: 0.5 }), /p in \[0, 1\/4\]/);
    assert.throws(() => syntheticCheck({ horizons: [1] }), /horizons/);
    assert.throws(() => syntheticCheck({ alpha: -1 }), /alpha = -1/);
  });
});

describe("pSlopeCheck: p changes the measured slope where gradient scales spread", () => {
  test("slopes ordered by p (steeper for larger p) and p = 1/2's slope as with equal scales", () => {
    const spread = pSlopeCheck();
    const slopes = spread.rows.map((r) => r.slope);
    assert.deepEqual(
      spread.rows.map((r) => r.p),
      [0, 0.125, 0.25, 0.5],
    );
    for (const r of spread.rows)
      assert.ok(
        r.expectedMean[2] < r.expectedMean[0],
        `p = ${r.p}: the measured value falls with T (${r.expectedMean})`,
      );
    // Predicted order, with a margin well above rounding: each larger p at least 0.05 steeper.
    slopes
      .slice(1)
      .forEach((s, k) =>
        assert.ok(
          s < slopes[k] - 0.05,
          `p = ${spread.rows[k + 1].p}: slope ${s} vs ${slopes[k]} at p = ${spread.rows[k].p}`,
        ),
      );
    // Predicted equality at p = 1/2: the same slope when every coordinate has the same scale.
    const equal = pSlopeCheck({ problem: { ...spread.config.problem, scaleDecay: 0 }, ps: [0.5] });
    assert.ok(
      Math.abs(equal.rows[0].slope - slopes[3]) < 0.02,
      `p = 1/2: spread ${slopes[3]} vs equal scales ${equal.rows[0].slope}`,
    );
  });

  test("bad config is refused naming the field", () => {
    assert.throws(() => pSlopeCheck({ horizons: [100] }), /horizons = \[100\] is not allowed: at least two/);
    assert.throws(() => pSlopeCheck({ ps: [0.6] }), /ps = \[0.6\] is not allowed/);
    assert.throws(() => pSlopeCheck({ repeats: 0 }), /repeats = 0/);
  });
});
