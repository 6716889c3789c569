import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BoundInputs,
  boundAtAlpha,
  checkBoundInputs,
  checkOptimalStepSizeSymbolically,
  convergenceBound,
  optimalStepSize,
  rateExponent,
  rateShape,
  sweepBound,
  verifiedRateShape,
} from "./bounds";
import { THEOREM_CONDITIONS } from "./constants";

const close = (a: number, b: number, rtol = 1e-12, what = "") =>
  assert.ok(Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);

// Hand-worked case 1: p = 1/4, beta1 = 0.4, beta2 = 0.64, so (1-beta2)^(2p) = sqrt(0.36) = 0.6,
// beta2^(2p) = 0.8, 1 - beta1/0.8 = 0.5, (beta1/(1-beta1))^2 = 4/9; G_inf = 1 makes all powers 1.
const CASE1: BoundInputs = {
  p: 0.25,
  beta1: 0.4,
  beta2: 0.64,
  Ginf: 1,
  L: 1,
  deltaF: 1,
  d: 4,
  T: 16,
  alpha: 0.5,
  s: 0.25,
  q: 0,
  invVHat1L1: 6,
};

/** Valid inputs: every theorem condition holds by construction. */
const validInputs: fc.Arbitrary<BoundInputs> = fc
  .record({
    p: fc.double({ min: 0, max: 0.25, noNaN: true }),
    beta2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
    u: fc.double({ min: 0, max: 0.99, noNaN: true }),
    Ginf: fc.double({ min: 0.01, max: 100, noNaN: true }),
    L: fc.double({ min: 0.01, max: 100, noNaN: true }),
    deltaF: fc.double({ min: 0.01, max: 100, noNaN: true }),
    d: fc.integer({ min: 1, max: 1_000_000 }),
    T: fc.integer({ min: 2, max: 10_000_000 }),
    alpha: fc.double({ min: 1e-6, max: 10, noNaN: true }),
    s: fc.double({ min: 0, max: 0.5, noNaN: true }),
    q: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ u, ...r }) => ({ ...r, beta1: u * Math.pow(r.beta2, 2 * r.p) }));

/** Golden-section search for the minimum of a unimodal function of log(alpha). */
function minimizeLogAlpha(f: (alpha: number) => number, lo = 1e-30, hi = 1e30): number {
  let a = Math.log(lo);
  let b = Math.log(hi);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc_ = f(Math.exp(c));
  let fd = f(Math.exp(d));
  for (let i = 0; i < 400; i++) {
    if (fc_ < fd) {
      b = d;
      d = c;
      fd = fc_;
      c = b - g * (b - a);
      fc_ = f(Math.exp(c));
    } else {
      a = c;
      c = d;
      fc_ = fd;
      d = a + g * (b - a);
      fd = f(Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}

describe("convergenceBound: hand-worked values", () => {
  test("case 1 (p = 1/4): constants, terms, optimal alpha", () => {
    const r = convergenceBound(CASE1);
    close(r.constants.M1, 2, 1e-12, "M1 = 2 * 1 * 1");
    close(r.constants.M2, 14, 1e-12, "M2 = 4*6/(4*0.6) + 4");
    close(r.constants.M3, 124 / 9, 1e-12, "M3 = 4/0.6 + 8*0.6/(0.6*0.5)*4/9");
    close(r.terms.optimization, 0.25, 1e-12, "2/(16*0.5)");
    close(r.terms.dimension, 3.5, 1e-12, "14*4/16");
    close(r.terms.stepSize, 124 / 9, 1e-12, "0.5*(124/9)*4/16^(1/4)");
    close(r.total, 0.25 + 3.5 + 124 / 9, 1e-12, "total");
    // alpha* = sqrt(M1 T^e / (T M3 d)) = sqrt(2*2 / (16*(124/9)*4)) = 6/sqrt(7936)
    close(r.optimalAlpha, 6 / Math.sqrt(7936), 1e-12, "alpha*");
    // bound(alpha*) = 2 sqrt(A B) + C, A = 1/8, B = 248/9: 2 sqrt(31/9) + 3.5
    close(r.totalAtOptimalAlpha, 3.5 + (2 * Math.sqrt(31)) / 3, 1e-12, "bound at alpha*");
    close(r.rate.tExponentOptimalAlpha, 0.625, 1e-12, "(1 + 1/4)/2");
    assert.equal(r.provenance.constants.status, "unverified");
    assert.equal(r.provenance.rate.status, "verified");
  });

  test("case 2 (p = 0, default E||vhat_1^-p||_1 = d): G_inf enters through powers", () => {
    // p = 0: vhat^0 = 1 so invVHat1L1 = d exactly; beta2^(0) = 1 so 1 - beta1/1 = 0.5.
    // M1 = 2 * 2^0 * 3 = 6; M2 = 4 * 2^2 * d / (d * 0.5) + 4 * 4 = 48;
    // M3 = 4 L G^(1+q) (1 + 2 (beta1/(1-beta1))^2) = 4 * 2 * 1 * 3 = 24 (L = 1, q = 0, beta1 = 0.5).
    const r = convergenceBound({
      p: 0,
      beta1: 0.5,
      beta2: 0.99,
      Ginf: 2,
      L: 1,
      deltaF: 3,
      d: 10,
      T: 100,
      alpha: 0.1,
      s: 0.5,
      q: 0,
    });
    assert.equal(r.inputs.invVHat1L1, 10);
    close(r.constants.M1, 6, 1e-12, "M1");
    close(r.constants.M2, 48, 1e-12, "M2");
    close(r.constants.M3, 24, 1e-12, "M3");
    // s = 1/2: e = 0, the step-size term does not decay: 0.1 * 24 * 10 = 24
    close(r.terms.stepSize, 24, 1e-12, "step-size term");
    close(r.terms.optimization, 6 / (100 * 0.1), 1e-12, "optimization term");
    close(r.terms.dimension, 4.8, 1e-12, "dimension term");
    assert.equal(r.rate.tExponentFixedAlpha, 0);
    close(r.optimalAlpha, Math.sqrt(6 / (100 * 24 * 10)), 1e-12, "alpha*");
    assert.ok(
      r.notes.some((n) => n.includes("optimistic")),
      "default for invVHat1L1 is flagged",
    );
  });

  test("verified rate shape by hand", () => {
    // sqrt(16)/16^(3/4) + 4/16 = 4/8 + 0.25
    close(verifiedRateShape({ sumNorms: 16, d: 4, T: 16 }), 0.75, 1e-12, "shape");
    assert.throws(() => verifiedRateShape({ sumNorms: -1, d: 4, T: 16 }), /sumNorms.*-1/);
  });
});

describe("optimal step size", () => {
  test("mathjs symbolic derivative vanishes at the closed form (hand case)", () => {
    const c = checkOptimalStepSizeSymbolically(CASE1);
    assert.ok(c.derivativeText.includes("alpha"), c.derivativeText);
    assert.ok(Math.abs(c.derivativeAtAlpha) <= 1e-12 * c.derivativeScale, String(c.derivativeAtAlpha));
    assert.ok(c.secondDerivativeAtAlpha > 0);
    // Away from alpha* the derivative does not vanish: the check can fail.
    const off = checkOptimalStepSizeSymbolically({ ...CASE1, alpha: 0.5 });
    assert.equal(off.alpha, c.alpha, "alpha* does not depend on the given alpha");
  });

  test("symbolic derivative vanishes at alpha* for random valid inputs", () => {
    fc.assert(
      fc.property(validInputs, (x) => {
        const c = checkOptimalStepSizeSymbolically(x);
        return Math.abs(c.derivativeAtAlpha) <= 1e-9 * c.derivativeScale && c.secondDerivativeAtAlpha > 0;
      }),
      { numRuns: 200 },
    );
  });

  test("closed form agrees with golden-section minimization of the bound", () => {
    fc.assert(
      fc.property(validInputs, (x) => {
        const alphaStar = optimalStepSize(x);
        const alphaNum = minimizeLogAlpha((a) => boundAtAlpha(x, a));
        const fStar = boundAtAlpha(x, alphaStar);
        const fNum = boundAtAlpha(x, alphaNum);
        return fStar <= fNum * (1 + 1e-12) && Math.abs(alphaNum - alphaStar) <= 1e-3 * alphaStar;
      }),
      { numRuns: 100 },
    );
  });

  test("alpha* scales as d^(-1/2) T^((e-1)/2)", () => {
    const a1 = optimalStepSize(CASE1);
    close(optimalStepSize({ ...CASE1, d: 16 }), a1 / 2, 1e-12, "d x4 -> alpha*/2");
    // e = 1/4: T x 16 -> alpha* x 16^(-3/8)
    close(optimalStepSize({ ...CASE1, T: 256 }), a1 * Math.pow(16, -3 / 8), 1e-12, "T x16");
  });
});

describe("properties", () => {
  test("bound is positive and non-increasing in T (fixed alpha and alpha*)", () => {
    fc.assert(
      fc.property(validInputs, fc.integer({ min: 1, max: 1000 }), (x, k) => {
        const a = convergenceBound(x);
        const b = convergenceBound({ ...x, T: x.T + k });
        return (
          a.total > 0 &&
          b.total <= a.total * (1 + 1e-12) &&
          b.totalAtOptimalAlpha <= a.totalAtOptimalAlpha * (1 + 1e-12)
        );
      }),
      { numRuns: 300 },
    );
  });

  test("at alpha* the alpha-dependent part decays exactly as T^(-(1+e)/2)", () => {
    fc.assert(
      fc.property(validInputs, (x) => {
        const a = convergenceBound(x);
        const b = convergenceBound({ ...x, T: x.T * 16 });
        const partA = a.termsAtOptimalAlpha.optimization + a.termsAtOptimalAlpha.stepSize;
        const partB = b.termsAtOptimalAlpha.optimization + b.termsAtOptimalAlpha.stepSize;
        // e = (1 - q)(1/2 - s) from the inputs, not the module's own rate exponent
        const e = (1 - x.q) * (0.5 - x.s);
        const expected = Math.pow(16, -(1 + e) / 2);
        return Math.abs(partB / partA - expected) <= 1e-9 * expected;
      }),
      { numRuns: 200 },
    );
  });

  test("bound is non-decreasing in d and in G_inf-free parts: larger L never lowers it", () => {
    fc.assert(
      fc.property(validInputs, fc.double({ min: 1, max: 10, noNaN: true }), (x, f) => {
        const base = convergenceBound(x).total;
        return (
          convergenceBound({ ...x, d: x.d * 2 }).total >= base * (1 - 1e-12) &&
          convergenceBound({ ...x, L: x.L * f }).total >= base * (1 - 1e-12)
        );
      }),
      { numRuns: 200 },
    );
  });

  test("sweepBound over T: case 1's bound by hand at each T", () => {
    // M1/(T alpha) + M2 d/T + alpha M3 d/T^(1/4) = 4/T + 56/T + (248/9)/T^(1/4) (case 1, e = 1/4):
    // T = 16: 60/16 + 124/9 = 631/36; T = 81: 60/81 + 248/27 = 804/81; T = 256: 60/256 + 62/9 = 4103/576.
    const rows = sweepBound(CASE1, "T", [16, 81, 256]);
    assert.deepEqual(
      rows.map((r) => r.value),
      [16, 81, 256],
    );
    [631 / 36, 804 / 81, 4103 / 576].forEach((want, i) => close(rows[i].total, want, 1e-12, `T = ${rows[i].value}`));
    assert.throws(() => sweepBound(CASE1, "T", []), /values/);
    assert.throws(() => sweepBound(CASE1, "p", [0.1, 0.5]), /p in \[0, 1\/4\]/);
  });
});

describe("rejects every condition violation", () => {
  // For each condition, a generator that breaks it (and, where possible, only it).
  const violations: Record<string, fc.Arbitrary<Partial<BoundInputs>>> = {
    "all inputs finite numbers": fc.constantFrom<Partial<BoundInputs>>({ invVHat1L1: Infinity }, { invVHat1L1: NaN }),
    "p in [0, 1/4]": fc
      .oneof(
        fc.double({ min: 0.2500001, max: 10, noNaN: true }),
        fc.double({ min: -10, max: -1e-9, noNaN: true }),
        fc.constant(0.5), // AMSGrad
      )
      .map((p) => ({ p, beta1: 0 })),
    "beta1 in [0, 1)": fc
      .oneof(fc.double({ min: 1, max: 5, noNaN: true }), fc.double({ min: -5, max: -1e-9, noNaN: true }))
      .map((beta1) => ({ beta1, p: 0.1 })),
    "beta2 in (0, 1)": fc
      .oneof(fc.double({ min: 1, max: 5, noNaN: true }), fc.double({ min: -5, max: 0, noNaN: true }))
      .map((beta2) => ({ beta2, beta1: 0 })),
    "beta1 < beta2^(2p)": fc
      .record({
        p: fc.double({ min: 0.01, max: 0.25, noNaN: true }),
        beta2: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        u: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ p, beta2, u }) => {
        const lim = Math.pow(beta2, 2 * p);
        return { p, beta2, beta1: lim + u * (0.999999 - lim) };
      })
      .filter((x) => x.beta1 >= Math.pow(x.beta2!, 2 * x.p!) && x.beta1 < 1),
    "s in [0, 1/2]": fc
      .oneof(fc.double({ min: 0.5000001, max: 3, noNaN: true }), fc.double({ min: -3, max: -1e-9, noNaN: true }))
      .map((s) => ({ s })),
    "q in [max(0, 4p-1), 1]": fc
      .oneof(fc.double({ min: 1.0000001, max: 3, noNaN: true }), fc.double({ min: -3, max: -1e-9, noNaN: true }))
      .map((q) => ({ q })),
    "Ginf > 0": fc.double({ min: -10, max: 0, noNaN: true }).map((Ginf) => ({ Ginf, invVHat1L1: 1 })),
    "L > 0": fc.double({ min: -10, max: 0, noNaN: true }).map((L) => ({ L })),
    "deltaF >= 0": fc.double({ min: -10, max: -1e-9, noNaN: true }).map((deltaF) => ({ deltaF })),
    "d positive integer": fc
      .oneof(fc.integer({ min: -5, max: 0 }), fc.double({ min: 1.01, max: 9.99, noNaN: true }))
      .map((d) => ({ d, invVHat1L1: 1 })),
    "T integer >= 2": fc
      .oneof(fc.integer({ min: -5, max: 1 }), fc.double({ min: 2.01, max: 9.99, noNaN: true }))
      .map((T) => ({ T })),
    "alpha > 0": fc.double({ min: -1, max: 0, noNaN: true }).map((alpha) => ({ alpha })),
    "invVHat1L1 > 0": fc.double({ min: -1, max: 0, noNaN: true }).map((invVHat1L1) => ({ invVHat1L1 })),
  };

  test("every condition in constants.ts has a violation generator", () => {
    assert.deepEqual(Object.keys(violations).sort(), THEOREM_CONDITIONS.map((c) => c.name).sort());
  });

  for (const c of THEOREM_CONDITIONS) {
    test(`'${c.name}' violations throw naming the condition`, () => {
      fc.assert(
        fc.property(validInputs, violations[c.name], (x, bad) => {
          const inputs = { ...x, ...bad };
          assert.throws(
            () => convergenceBound(inputs),
            (err: Error) => {
              assert.ok(err.message.includes(`'${c.name}'`), `expected '${c.name}' in: ${err.message}`);
              return true;
            },
          );
        }),
        { numRuns: 50 },
      );
    });
  }

  test("a missing input is named", () => {
    const { L: _unused, ...rest } = CASE1;
    assert.throws(() => checkBoundInputs(rest as BoundInputs), /'L' = undefined/);
  });

  test("valid inputs are accepted", () => {
    fc.assert(
      fc.property(validInputs, (x) => Number.isFinite(convergenceBound(x).total)),
      { numRuns: 200 },
    );
  });
});

describe("which term dominates, p at its best, AMSGrad's rate", () => {
  test("crossover horizon: case 1 by hand, d/T dominates below it, d^(1/2) T^(-(1+e)/2) beyond", () => {
    // 2 sqrt(M1 M3 d) T^(-5/8) = M2 d / T with M1 = 2, M2 = 14, M3 = 124/9, d = 4, e = 1/4:
    // T^(3/8) = 56 / (2 sqrt(992/9)) = 42 / sqrt(248), so T_c = (42/sqrt(248))^(8/3) = 13.68...
    const r = convergenceBound(CASE1);
    close(r.rate.crossoverT, Math.pow(42 / Math.sqrt(248), 8 / 3), 1e-12, "T_c");
    const below = convergenceBound({ ...CASE1, T: 4 }).termsAtOptimalAlpha;
    const beyond = convergenceBound({ ...CASE1, T: 1000 }).termsAtOptimalAlpha;
    assert.ok(below.dimension > below.optimization + below.stepSize, `T = 4: d/T term ${below.dimension}`);
    assert.ok(beyond.dimension < beyond.optimization + beyond.stepSize, `T = 1000: d/T term ${beyond.dimension}`);
    assert.equal(convergenceBound({ ...CASE1, deltaF: 0 }).rate.crossoverT, Infinity, "M1 = 0: no leading term");
  });

  test("at alpha* the bound is smallest at p = 0 whenever G_inf^2 > 1 - beta2 (default E||vhat_1^-p||_1)", () => {
    const ps = [0, 1 / 16, 1 / 8, 3 / 16, 1 / 4];
    fc.assert(
      fc.property(
        validInputs
          .filter((x) => x.Ginf * x.Ginf > 1 - x.beta2)
          .map((x) => ({ ...x, beta1: (x.beta1 / Math.pow(x.beta2, 2 * x.p)) * Math.sqrt(x.beta2) })),
        (x) => {
          const totals = sweepBound(x, "p", ps).map((r) => r.totalAtOptimalAlpha);
          totals
            .slice(1)
            .forEach((t, k) =>
              assert.ok(t >= totals[k] * (1 - 1e-12), `p = ${ps[k + 1]}: ${t} < ${totals[k]} at p = ${ps[k]}`),
            );
        },
      ),
      { numRuns: 200 },
    );
  });

  test("rateExponent: 3/4 - s/2 for every p <= 1/4 (the calculator's with q = 0), 1/2 for AMSGrad whatever s", () => {
    for (const p of [0, 1 / 8, 1 / 4]) {
      assert.equal(rateExponent(p, 0.25).exponent, 0.625);
      assert.equal(rateExponent(p, 0.5).exponent, 0.5);
      assert.equal(
        rateExponent(p, 0.25).exponent,
        convergenceBound({ ...CASE1, p, beta1: 0 }).rate.tExponentOptimalAlpha,
      );
      assert.ok(rateExponent(p, 0).covered);
    }
    for (const s of [0, 0.25, 0.5]) {
      const r = rateExponent(0.5, s);
      assert.equal(r.exponent, 0.5);
      assert.equal(r.covered, false);
      assert.match(r.source, /outside the theorem/);
    }
    assert.throws(() => rateExponent(0.3, 0.25), /p = 0.3 is not allowed: 0 <= p <= 1\/4 \(the theorem\) or p = 1\/2/);
    assert.throws(() => rateExponent(0.1, 0.7), /s = 0.7 is not allowed/);
  });

  test("rateShape by hand: d^(1/2) T^(-exponent) + d/T", () => {
    // d = 100, T = 10^4: AMSGrad 10 * 10^-2 + 10^-2 = 0.11; Padam at s = 0: 10 * 10^-3 + 10^-2 = 0.02
    close(rateShape({ p: 0.5, s: 0, d: 100, T: 10000 }), 0.11, 1e-12, "AMSGrad");
    close(rateShape({ p: 0.125, s: 0, d: 100, T: 10000 }), 0.02, 1e-12, "Padam, s = 0");
    assert.throws(() => rateShape({ p: 0.125, s: 0, d: 0, T: 10 }), /'d' = 0 is not allowed/);
  });
});
