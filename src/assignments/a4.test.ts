/**
 * The A4 checks: the t quantile against a printed Student-t table, the interval and verdict
 * checks against hand-worked values, and the experiment's pairing (same seed, same problem).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkExperiment,
  checkPairedInterval,
  checkSeeds,
  checkVerdict,
  Interval,
  miniExperiment,
  tQuantile975,
} from "./a4";

/** t_{0.975, df} from a standard printed table (4 decimals). */
const TABLE: Record<number, number> = {
  1: 12.7062,
  2: 4.3027,
  4: 2.7764,
  7: 2.3646,
  10: 2.2281,
  20: 2.086,
  30: 2.0423,
};

const interval = (a: number[], b: number[]): Interval => {
  const d = a.map((x, i) => x - b[i]);
  const m = d.reduce((s, x) => s + x, 0) / d.length;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
  const h = (tQuantile975(d.length - 1) * sd) / Math.sqrt(d.length);
  return { mean: m, low: m - h, high: m + h };
};
const verdict = (iv: Interval) => (iv.high < 0 ? "A" : iv.low > 0 ? "B" : "none") as "A" | "B" | "none";

describe("A4 checks", () => {
  it("use the t quantile of the printed table", () => {
    for (const [df, t] of Object.entries(TABLE)) assert.ok(Math.abs(tQuantile975(Number(df)) - t) < 5e-5, `df ${df}`);
    assert.throws(() => tQuantile975(0), /df = 0; allowed: an integer >= 1/);
  });
  it("accept a correct method", () => {
    checkSeeds(() => [1, 2, 3, 4, 5]);
    checkPairedInterval(interval);
    checkVerdict(verdict);
    checkExperiment(() => [11, 12, 13, 14, 15, 16], interval, verdict);
  });
  it("name too few or repeated seeds, the normal quantile, n instead of n-1, an unpaired interval and an unsupported claim", () => {
    assert.throws(() => checkSeeds(() => [1, 2, 3]), /3 seed\(s\)/);
    assert.throws(() => checkSeeds(() => [1, 1, 2, 3, 4, 5]), /only 5 distinct/);
    const withZ = (a: number[], b: number[]) => {
      const iv = interval(a, b);
      const h = ((iv.high - iv.mean) * 1.96) / tQuantile975(a.length - 1);
      return { mean: iv.mean, low: iv.mean - h, high: iv.mean + h };
    };
    assert.throws(() => checkPairedInterval(withZ), /normal quantile 1\.96/);
    const byN = (a: number[], b: number[]) => {
      const iv = interval(a, b);
      const h = (iv.high - iv.mean) * Math.sqrt((a.length - 1) / a.length);
      return { mean: iv.mean, low: iv.mean - h, high: iv.mean + h };
    };
    assert.throws(() => checkPairedInterval(byN), /divides by n; the sample standard deviation divides by n − 1/);
    const unpaired = (a: number[], b: number[]) => {
      const m = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
      const sd = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + (v - m(x)) ** 2, 0) / (x.length - 1));
      const h = tQuantile975(a.length - 1) * Math.sqrt((sd(a) ** 2 + sd(b) ** 2) / a.length);
      return { mean: m(a) - m(b), low: m(a) - m(b) - h, high: m(a) - m(b) + h };
    };
    assert.throws(() => checkPairedInterval(unpaired), /pair the runs of the same seed/);
    assert.throws(() => checkVerdict((iv) => (iv.mean < 0 ? "A" : "B")), /expected "none": the interval contains 0/);
  });
  it("are reproducible for a seed and differ between seeds", () => {
    assert.equal(miniExperiment("adam", 3), miniExperiment("adam", 3));
    assert.notEqual(miniExperiment("adam", 3), miniExperiment("adam", 4));
    assert.throws(() => miniExperiment("sgd" as "adam", 1), /optimizer is "sgd"; allowed: adam, padam/);
  });
});
