/**
 * Building blocks of the assignment checks. A check either prints what it verified ("✓ ...") or
 * throws a {@link CheckFailure} whose message says where the answer differs, by how much, and
 * what the likely cause is ("step 1, coordinate 3: 0.0316, expected 0.0100 — is the bias factor
 * applied?"). The grader counts a grade cell as passed when it runs without an error.
 */

/** A failed check; the message is the feedback the student sees. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailure";
  }
}

/** A number in feedback: 4 significant digits, exponent form for very small or large values. */
export function fmt(x: number): string {
  return fmtDigits(x, 4);
}

/**
 * Two numbers in feedback, with just enough digits (4 to 12 significant) that they read differently
 * when they differ.
 */
export function fmtPair(a: number, e: number): [string, string] {
  for (let digits = 4; digits <= 12; digits++) {
    const fa = fmtDigits(a, digits);
    const fe = fmtDigits(e, digits);
    if (fa !== fe || digits === 12) return [fa, fe];
  }
  return [fmt(a), fmt(e)];
}

function fmtDigits(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  const r = Number(x.toPrecision(digits));
  return a < 1e-3 || a >= 1e5 ? r.toExponential() : String(r);
}

/** |a − e| ≤ atol + rtol·|e|. */
export function close(a: number, e: number, rtol: number, atol: number): boolean {
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const FLOAT64: Tolerance = { rtol: 1e-9, atol: 1e-12 };

/**
 * Calls a student's function; turns the stub's "not implemented yet" and other exceptions into a
 * CheckFailure that names the function.
 */
export function call<R>(name: string, fn: unknown, ...args: unknown[]): R {
  if (typeof fn !== "function")
    throw new CheckFailure(`${name} is not a function (got ${typeof fn}); define it in the exercise cell above`);
  try {
    return fn(...args) as R;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg.includes("not implemented yet"))
      throw new CheckFailure(`${name} is not implemented yet: write it in the exercise cell above (${msg})`);
    throw new CheckFailure(`${name} threw an error: ${msg}`);
  }
}

/** The value as an array of finite numbers of the given length, or a CheckFailure saying what it is. */
export function asVector(value: unknown, length: number, what: string): number[] {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value))
    throw new CheckFailure(`${what} should be an array of ${length} numbers, got ${describe(value)}`);
  const arr = Array.from(value as ArrayLike<unknown>);
  if (arr.length !== length) throw new CheckFailure(`${what} has ${arr.length} entries, expected ${length}`);
  arr.forEach((v, i) => {
    if (typeof v !== "number" || Number.isNaN(v))
      throw new CheckFailure(`${what}, coordinate ${i + 1}: ${describe(v)}, expected a number`);
  });
  return arr as number[];
}

export function asNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value))
    throw new CheckFailure(`${what} should be a number, got ${describe(value)}`);
  return value;
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === "number") return fmt(v);
  const s = JSON.stringify(v);
  return s && s.length > 60 ? `${s.slice(0, 57)}...` : (s ?? typeof v);
}

/** A named alternative answer: if the student's values match it, `hint` explains the mistake. */
export interface Diagnosis<T> {
  hint: string;
  values: T;
}

/**
 * The coordinate where `actual` differs most from `expected` (relative to the tolerance), as
 * feedback text ("<where>, coordinate 3: 0.0316, expected 0.0100"), or null when all match.
 * Coordinates are 1-based.
 */
export function firstMismatch(
  actual: readonly number[],
  expected: readonly number[],
  tol: Tolerance,
  where: string,
): string | null {
  const i = worstIndex(actual, expected, tol);
  if (i < 0) return null;
  const [a, e] = fmtPair(actual[i], expected[i]);
  return `${where}${where ? ", " : ""}coordinate ${i + 1}: ${a}, expected ${e}`;
}

/** Index of the largest violation of the tolerance (NaN counts as the largest), or −1 when none. */
export function worstIndex(actual: readonly number[], expected: readonly number[], tol: Tolerance): number {
  let worst = -1;
  let score = 1;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i] - expected[i]) / (tol.atol + tol.rtol * Math.abs(expected[i]));
    const s = Number.isNaN(r) ? Infinity : r;
    if (s > score) {
      score = s;
      worst = i;
    }
  }
  return worst;
}

/** True if every coordinate of `a` matches `b`. */
export function allClose(a: readonly number[], b: readonly number[], tol: Tolerance): boolean {
  return a.length === b.length && a.every((x, i) => close(x, b[i], tol.rtol, tol.atol));
}

/**
 * Compares a vector answer; on a mismatch throws a CheckFailure with the first differing
 * coordinate and the hint of the first diagnosis the answer matches (else `fallbackHint`).
 */
export function expectVector(
  actual: readonly number[],
  expected: readonly number[],
  tol: Tolerance,
  where: string,
  diagnoses: Diagnosis<readonly number[]>[] = [],
  fallbackHint = "",
): void {
  const miss = firstMismatch(actual, expected, tol, where);
  if (miss === null) return;
  const d = diagnoses.find((x) => allClose(actual, x.values, tol));
  const hint = d?.hint ?? fallbackHint;
  throw new CheckFailure(hint ? `${miss} — ${hint}` : miss);
}

/** Prints a passed check. */
export function passed(what: string): void {
  console.log(`✓ ${what}`);
}
