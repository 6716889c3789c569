/**
 * Checks of assignment A3 "The convergence bound". The bound of notebooks/03 (src/theory/bounds.ts)
 * has the shape
 *
 *     F(α) = A/α + C + B·α,   A = M1/T,  C = M2·d/T,  B = M3·d/T^e,  e = (1−q)(1/2−s),
 *
 * so α* = sqrt(A/B), F(α*) = 2·sqrt(A·B) + C, and at α* the bound decays as T^(−(1+e)/2)
 * (q = s = 0: T^(−3/4)). The student answers with mathjs expressions; the checks differentiate
 * them symbolically (mathjs `derivative`) and compare numerically with a direct minimization of F
 * and with the measured slope of log F(α*(T)) against log T, not with these closed forms.
 */
import { MathNode, derivative, parse } from "mathjs";
import { CheckFailure, call, fmt, passed } from "./checks";

const BOUND = "A / alpha + C + B * alpha";

/** Parses a student's expression; the symbols must be among `allowed`. */
export function parseAnswer(name: string, text: unknown, allowed: string[]): MathNode {
  if (typeof text !== "string" || text.trim() === "")
    throw new CheckFailure(
      `${name} should return a mathjs expression as a string, e.g. "sqrt(x / y)", got ${JSON.stringify(text)}`,
    );
  let node: MathNode;
  try {
    node = parse(text);
  } catch (err) {
    throw new CheckFailure(`${name}: mathjs cannot parse ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
  const unknown = node
    .filter((n) => (n as unknown as { isSymbolNode?: boolean }).isSymbolNode === true)
    .map((n) => (n as unknown as { name: string }).name)
    .filter((s) => !allowed.includes(s) && !["sqrt", "pow", "exp", "log", "abs"].includes(s));
  if (unknown.length > 0)
    throw new CheckFailure(
      `${name}: ${JSON.stringify(text)} uses ${[...new Set(unknown)].join(", ")}; allowed symbols: ${allowed.join(", ")}`,
    );
  return node;
}

function evalAt(node: MathNode, scope: Record<string, number>, what: string): number {
  const v = node.evaluate(scope) as unknown;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new CheckFailure(`${what} evaluates to ${String(v)} at ${JSON.stringify(scope)}`);
  return v;
}

/** Points (A, B, C) where the answers are compared: several orders of magnitude. */
const SCOPES = [
  { A: 2, B: 0.5, C: 0.1 },
  { A: 1e-3, B: 40, C: 3 },
  { A: 7, B: 7, C: 0 },
];

/** α* minimizes F: F'(α*) = 0 symbolically differentiated, F''(α*) > 0, and no better α nearby. */
/** More points for the hidden checks: extreme ratios of A and B. */
const HIDDEN_SCOPES = [
  { A: 1e6, B: 1e-6, C: 5 },
  { A: 3e-9, B: 2e3, C: 1e-4 },
];

export function checkBestStepSize(bestStepSize: () => string, level: { hidden?: boolean } = {}): void {
  const node = parseAnswer("bestStepSize()", call("bestStepSize", bestStepSize), ["A", "B", "C"]);
  const f = parse(BOUND);
  const d1 = derivative(f, "alpha");
  const d2 = derivative(d1, "alpha");
  const scopes = level.hidden ? [...SCOPES, ...HIDDEN_SCOPES] : SCOPES;
  for (const s of scopes) {
    const alpha = evalAt(node, s, "bestStepSize()");
    if (!(alpha > 0))
      throw new CheckFailure(`at A = ${s.A}, B = ${s.B}: α* = ${fmt(alpha)}, but a step size must be positive`);
    const slope = evalAt(d1, { ...s, alpha }, "F'(α)");
    const scale = s.A / alpha ** 2 + s.B; // size of the two terms of F'(α) = −A/α² + B
    if (Math.abs(slope) > 1e-9 * scale) {
      const hint =
        Math.abs(alpha - Math.sqrt(s.B / s.A)) < 1e-9 * alpha
          ? " — this is sqrt(B/A); solve −A/α² + B = 0 for α"
          : " — set F'(α) = −A/α² + B to zero";
      throw new CheckFailure(
        `at A = ${s.A}, B = ${s.B}: F'(α*) = ${fmt(slope)} at α* = ${fmt(alpha)}, expected 0${hint}`,
      );
    }
    if (!(evalAt(d2, { ...s, alpha }, "F''(α)") > 0))
      throw new CheckFailure(`at A = ${s.A}, B = ${s.B}: F''(α*) ≤ 0, so α* is not a minimum`);
  }
  passed(`bestStepSize: F'(α*) = 0 and F''(α*) > 0 (mathjs derivative) at ${scopes.length} points`);
}

/** The smallest value of F on α > 0 by golden-section search on log α (no closed form used). */
export function minimizeNumerically(s: { A: number; B: number; C: number }): number {
  const F = (la: number) => s.A / Math.exp(la) + s.C + s.B * Math.exp(la);
  let [lo, hi] = [-300, 300]; // log α: wide enough for α* at T = 1e40
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 300; k++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (F(a) < F(b)) hi = b;
    else lo = a;
  }
  return F((lo + hi) / 2);
}

export function checkBoundAtBest(boundAtBest: () => string, level: { hidden?: boolean } = {}): void {
  const node = parseAnswer("boundAtBest()", call("boundAtBest", boundAtBest), ["A", "B", "C"]);
  const scopes = level.hidden ? [...SCOPES, ...HIDDEN_SCOPES] : SCOPES;
  for (const s of scopes) {
    const a = evalAt(node, s, "boundAtBest()");
    const e = minimizeNumerically(s);
    if (Math.abs(a - e) > 1e-7 * Math.abs(e)) {
      const hint =
        Math.abs(a - (Math.sqrt(s.A * s.B) + s.C)) < 1e-9 * e
          ? " — both terms A/α* and B·α* equal sqrt(A·B)"
          : Math.abs(a - 2 * Math.sqrt(s.A * s.B)) < 1e-9 * e
            ? " — the constant C is still there"
            : "";
      throw new CheckFailure(
        `at A = ${s.A}, B = ${s.B}, C = ${s.C}: ${fmt(a)}, expected the minimum of F, ${fmt(e)}${hint}`,
      );
    }
  }
  passed(`boundAtBest: equals the numerically minimized bound at ${scopes.length} points`);
}

/**
 * The measured decay exponent of the bound at α*(T): −slope of log F against log T between two
 * very large horizons, with M1 = M2 = M3 = d = 1 (the d/T term is then negligible).
 */
export function measuredRate(q: number, s: number): number {
  const e = (1 - q) * (0.5 - s);
  const at = (T: number) => minimizeNumerically({ A: 1 / T, C: 1 / T, B: 1 / T ** e });
  const [t1, t2] = [1e30, 1e40];
  return -(Math.log(at(t2)) - Math.log(at(t1))) / (Math.log(t2) - Math.log(t1));
}

export function checkRateExponent(rateExponent: () => string): void {
  const node = parseAnswer("rateExponent()", call("rateExponent", rateExponent), ["q", "s"]);
  // Hand-worked anchor: q = s = 0 gives the paper's O(1/T^(3/4)).
  const points = [
    { q: 0, s: 0 },
    { q: 0, s: 0.25 },
    { q: 0.5, s: 0.1 },
    { q: 1, s: 0.3 },
  ];
  for (const p of points) {
    const a = evalAt(node, p, "rateExponent()");
    const e = measuredRate(p.q, p.s);
    if (Math.abs(a - e) > 1e-3) {
      const ee = (1 - p.q) * (0.5 - p.s);
      const hint =
        Math.abs(a - ee) < 1e-3
          ? " — that is e, the exponent of B; at α* the bound is 2·sqrt(A·B)"
          : ee !== 0 && Math.abs(a - (1 - ee) / 2) < 1e-3
            ? " — check the sign of e in sqrt(A·B) = sqrt(M1·M3·d)·T^(−(1+e)/2)"
            : "";
      throw new CheckFailure(
        `at q = ${p.q}, s = ${p.s}: exponent ${fmt(a)}, expected ${fmt(e)} (the measured slope of log bound against log T)${hint}`,
      );
    }
  }
  passed("rateExponent: matches the measured slope of log F(α*(T)) at 4 (q, s) points, 3/4 at q = s = 0");
}
