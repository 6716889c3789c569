/** Tiny numeric assertion helpers for tests. */
import assert from "node:assert/strict";

/** Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise, naming the first offending index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = "value",
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= atol + rtol * Math.abs(expected[i]))) {
      assert.fail(
        `${what}[${i}] = ${actual[i]}, expected ${expected[i]} (|diff| ${d.toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`,
      );
    }
  }
}
