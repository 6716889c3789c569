/**
 * Checks of assignment A5 "When Adam fails": the online convex problem of Reddi et al. (2018,
 * "On the convergence of Adam and beyond", Theorem 1). On x ∈ [−1, 1], with C > 2,
 *
 *     f_t(x) = C·x  if t mod 3 = 1,   f_t(x) = −x  otherwise          (t = 1, 2, ...)
 *
 * so the best fixed point is x* = −1. With β1 = 0, β2 = 1/(1 + C²) and step α/√t, Adam
 * (v̂ = v) is pushed to x = +1 and its average regret stays positive, while AMSGrad (v̂ = max v)
 * and Padam (the same with the power p instead of 1/2) converge to −1. All in float64:
 *
 *     v ← β2·v + (1−β2)·g² ;  v̂ ← v (Adam) or max(v̂, v) ;  x ← Π_[−1,1](x − α/√t · g / v̂^p)
 */
import { CheckFailure, FLOAT64, asNumber, asVector, call, close, fmt, fmtPair, passed, worstIndex } from "./checks";

export type Method = "adam" | "amsgrad" | "padam";

export interface ReddiSetup {
  C: number;
  alpha: number;
  x0: number;
  T: number;
  /** Padam's p (Adam and AMSGrad use 1/2). */
  partial: number;
}

export const REDDI_DEFAULTS: ReddiSetup = { C: 3, alpha: 0.5, x0: 1, T: 3000, partial: 0.125 };

/** ∇f_t (t ≥ 1). */
function grad(t: number, C: number): number {
  return t % 3 === 1 ? C : -1;
}

/**
 * The check's own run: the points x_1 … x_T at which f_1 … f_T are evaluated (x_1 = x0).
 * `variant` alters one rule to recognize a student's mistake.
 */
export function reddiRun(
  method: Method,
  s: ReddiSetup,
  variant: "" | "noProjection" | "noSqrtT" | "noMax" | "withMax" | "halfPower" = "",
): number[] {
  const b2 = 1 / (1 + s.C * s.C);
  const p = method === "padam" && variant !== "halfPower" ? s.partial : 0.5;
  const keepMax = (method !== "adam" && variant !== "noMax") || variant === "withMax";
  let [x, v, vh] = [s.x0, 0, 0];
  const xs: number[] = [];
  for (let t = 1; t <= s.T; t++) {
    xs.push(x);
    const g = grad(t, s.C);
    v = b2 * v + (1 - b2) * g * g;
    vh = keepMax ? Math.max(vh, v) : v;
    x -= ((variant === "noSqrtT" ? s.alpha : s.alpha / Math.sqrt(t)) * g) / vh ** p;
    if (variant !== "noProjection") x = Math.min(1, Math.max(-1, x));
  }
  return xs;
}

/** Average regret (1/T)·Σ_t f_t(x_t) − f_t(−1). */
export function averageRegretOf(xs: readonly number[], C: number): number {
  return xs.reduce((acc, x, k) => acc + grad(k + 1, C) * (x + 1), 0) / xs.length;
}

export function checkGradient(gradient: (t: number, x: number, C: number) => number): void {
  // Hand-worked: t = 1, 4, 7 give C; t = 2, 3, 5, 6 give −1, whatever x.
  const cases: [number, number, number, number][] = [
    [1, 0.5, 3, 3],
    [2, 0.5, 3, -1],
    [3, -1, 3, -1],
    [4, 1, 3, 3],
    [7, 0, 5, 5],
    [6, 0, 5, -1],
  ];
  for (const [t, x, C, e] of cases) {
    const a = asNumber(call("gradient", gradient, t, x, C), "gradient(...)");
    if (!close(a, e, 0, 1e-12)) {
      const hint =
        t % 3 === 0 && a === C
          ? " — the big gradient comes at t mod 3 = 1 (t = 1, 4, 7, ...), with t starting at 1"
          : "";
      throw new CheckFailure(`gradient(t = ${t}, x = ${x}, C = ${C}): ${fmt(a)}, expected ${fmt(e)}${hint}`);
    }
  }
  passed(`gradient: ${cases.length} hand-worked values match`);
}

const HINTS: Record<string, string> = {
  noProjection: "the iterate left [−1, 1]: project (clip) x after every step",
  noSqrtT: "the step size is α/√t, not α",
  noMax: "AMSGrad and Padam divide by the running max v̂ = max(v̂, v)",
  withMax: "Adam divides by v itself, not by the running max",
  halfPower: "Padam raises v̂ to the power p, not 1/2",
};

type RunFn = (method: Method, setup: ReddiSetup) => number[];

/** The student's run against the check's own, step by step (T = 30 and a second setup). */
export function checkRun(run: RunFn, method: Method, level: { hidden?: boolean } = {}): void {
  const setups: ReddiSetup[] = [
    { ...REDDI_DEFAULTS, T: 30 },
    { C: 5, alpha: 0.2, x0: 0, T: 30, partial: 0.25 },
  ];
  if (level.hidden) setups.push({ C: 2.5, alpha: 1, x0: -0.3, T: 90, partial: 0.0625 });
  for (const s of setups) {
    const xs = asVector(call("run", run, method, { ...s }), s.T, `run("${method}", ...)`);
    const e = reddiRun(method, s);
    for (let k = 0; k < s.T; k++) {
      if (worstIndex([xs[k]], [e[k]], FLOAT64) < 0) continue;
      const variant = Object.keys(HINTS).find((v) => {
        const alt = reddiRun(method, s, v as Parameters<typeof reddiRun>[2]);
        return close(xs[k], alt[k], FLOAT64.rtol, FLOAT64.atol) && !close(alt[k], e[k], FLOAT64.rtol, FLOAT64.atol);
      });
      const [fa, fe] = fmtPair(xs[k], e[k]);
      const where = k === 0 ? "x_1 (the start, x0)" : `x_${k + 1} (after step ${k})`;
      throw new CheckFailure(
        `${method}, C = ${s.C}, α = ${s.alpha}, x0 = ${s.x0}: ${where} is ${fa}, expected ${fe}${variant ? ` — ${HINTS[variant]}` : ""}`,
      );
    }
  }
  passed(`run("${method}"): ${setups.map((x) => x.T).join(" + ")} iterates match`);
}

export function checkAverageRegret(averageRegret: (xs: number[], C: number) => number): void {
  // Hand-worked: xs = [1, 0, −1], C = 3: (3·1 − 3·(−1)) + (−0 − 1) + (1 − 1) = 6 − 1 + 0 = 5, average 5/3.
  const cases: [number[], number, number][] = [
    [[1, 0, -1], 3, 5 / 3],
    [[-1, -1, -1, -1], 4, 0],
  ];
  for (const [xs, C, e] of cases) {
    const a = asNumber(call("averageRegret", averageRegret, [...xs], C), "averageRegret(...)");
    if (!close(a, e, 1e-12, 1e-12)) {
      const hint = close(a, e * xs.length, 1e-12, 1e-12)
        ? " — that is the total regret; divide by T"
        : " — regret compares with the best fixed point x* = −1: f_t(x_t) − f_t(−1)";
      throw new CheckFailure(`averageRegret([${xs.join(", ")}], C = ${C}): ${fmt(a)}, expected ${fmt(e)}${hint}`);
    }
  }
  passed("averageRegret: hand-worked values match");
}

/** With the student's own code at T = 3000: Adam's average regret stays large, the others' vanish. */
export function checkCounterexample(run: RunFn, averageRegret: (xs: number[], C: number) => number): void {
  const s = REDDI_DEFAULTS;
  const r: Record<Method, number> = { adam: 0, amsgrad: 0, padam: 0 };
  for (const m of ["adam", "amsgrad", "padam"] as Method[]) {
    const xs = asVector(call("run", run, m, { ...s }), s.T, `run("${m}", ...)`);
    r[m] = asNumber(call("averageRegret", averageRegret, xs, s.C), "averageRegret(...)");
  }
  const text = `average regret after T = ${s.T}: Adam ${fmt(r.adam)}, AMSGrad ${fmt(r.amsgrad)}, Padam ${fmt(r.padam)}`;
  if (!(r.adam > 0.5))
    throw new CheckFailure(
      `${text} — Adam should stay far from x* = −1 here (average regret > 0.5); check β2 = 1/(1 + C²) and β1 = 0`,
    );
  if (!(r.amsgrad < 0.05 && r.padam < 0.05))
    throw new CheckFailure(`${text} — AMSGrad and Padam should approach x* = −1 (average regret < 0.05)`);
  passed(text);
}
