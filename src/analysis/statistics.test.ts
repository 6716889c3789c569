import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MetricLine } from "../experiment/store";
import {
  ACCURACY_MARGIN,
  binomialSe,
  difference,
  groupBy,
  logLogSlope,
  runNumbers,
  seedStat,
  testDifference,
  testEquivalence,
  testNonInferiority,
  testSetSize,
  welchDf,
} from "./statistics";

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);

describe("seedStat", () => {
  test("95 % t interval matches the published t table (t_{0.975,2} = 4.303, t_{0.975,4} = 2.776)", () => {
    // [1, 2, 3]: mean 2, s = 1, s/√3 = 0.57735; half width 4.303 · 0.57735 = 2.4842.
    const s = seedStat([1, 2, 3], { seeds: [0, 1, 2] });
    assert.equal(s.mean, 2);
    close(s.std, 1, 1e-12, "std");
    close((s.ci[1] - s.mean) / s.sem, 4.303, 5e-4, "t_{0.975,2}");
    close(s.ci[0], 2 - 2.4842, 1e-3, "lower end");
    close(s.ci[1], 2 + 2.4842, 1e-3, "upper end");
    assert.deepEqual(s.values, [1, 2, 3], "every seed's value is kept");
    assert.deepEqual(s.seeds, [0, 1, 2]);
    const five = seedStat([1, 2, 3, 4, 5]);
    close((five.ci[1] - five.mean) / five.sem, 2.776, 5e-4, "t_{0.975,4}");
  });
  test("one seed has no spread (NaN, not 0) and no interval", () => {
    const s = seedStat([77.7]);
    assert.equal(s.mean, 77.7);
    assert.ok(Number.isNaN(s.std) && Number.isNaN(s.sem) && Number.isNaN(s.ci[0]) && Number.isNaN(s.ci[1]));
  });
  test("accuracies on a known test set carry the binomial standard error", () => {
    // 80 % on 1,000 images: 100 · sqrt(0.8 · 0.2 / 1000) = 1.2649 points.
    close(seedStat([79, 80, 81], { testSetSize: 1000 }).testSe!, 1.2649, 1e-4, "testSe");
    assert.equal(seedStat([79, 80, 81]).testSe, undefined);
  });
  test("bad input is named", () => {
    assert.throws(() => seedStat([]), /values is empty/);
    assert.throws(() => seedStat([1, NaN]), /values\[1\] = NaN is invalid/);
    assert.throws(() => seedStat([1, 2], { seeds: [0] }), /1 seeds for 2 values/);
  });
});

describe("binomialSe and testSetSize", () => {
  test("sqrt(p(1 − p)/n)", () => {
    close(binomialSe(0.8, 1000), 0.012649, 1e-6, "0.8 on 1,000");
    close(binomialSe(0.5, 10000), 0.005, 1e-12, "0.5 on 10,000");
    assert.equal(binomialSe(1, 100), 0);
    assert.throws(() => binomialSe(80, 1000), /p = 80 is invalid; allowed: an accuracy in \[0, 1\]/);
    assert.throws(() => binomialSe(0.5, 0), /n = 0 is invalid/);
  });
  test("the test limit when set, else the full split; none for PTB or an unlimited image folder", () => {
    assert.equal(testSetSize({ dataset: "fashion-mnist", testLimit: 1000 }), 1000);
    assert.equal(testSetSize({ dataset: "cifar10" }), 10000);
    assert.equal(testSetSize({ dataset: "cifar10", testLimit: 0 }), 10000);
    assert.equal(testSetSize({ dataset: "cifar10", testLimit: 50000 }), 10000);
    assert.equal(testSetSize({ dataset: "image-folder" }), undefined);
    assert.equal(testSetSize({ dataset: "image-folder", testLimit: 200 }), 200);
    assert.equal(testSetSize({ dataset: "ptb" }), undefined);
  });
});

describe("Welch's difference", () => {
  test("degrees of freedom and t of a hand-computed example", () => {
    // x = [1, 2, 3]: mean 2, s² = 1, s²/n = 1/3; y = [2, 4, 6, 8]: mean 5, s² = 20/3, s²/n = 5/3.
    // ν = (1/3 + 5/3)² / ((1/3)²/2 + (5/3)²/3) = 4 / (1/18 + 25/27) = 4 / (53/54) = 4.0755.
    // t = (2 − 5)/√2 = −2.1213; |t| lies between t_{0.95,5} = 2.015 and t_{0.95,4} = 2.132, so p ≈ 0.10.
    const d = difference(seedStat([1, 2, 3]), seedStat([2, 4, 6, 8]));
    close(d.df, 216 / 53, 1e-9, "ν");
    close(d.t, -3 / Math.SQRT2, 1e-12, "t");
    assert.ok(d.p > 0.095 && d.p < 0.105, `p = ${d.p}`);
    close(
      welchDf([
        { variance: 1 / 3, df: 2 },
        { variance: 5 / 3, df: 3 },
      ]),
      216 / 53,
      1e-12,
      "welchDf",
    );
  });
  test("known variance terms (test-set noise) have infinite degrees of freedom", () => {
    assert.equal(
      welchDf([
        { variance: 1, df: Infinity },
        { variance: 2, df: Infinity },
      ]),
      Infinity,
    );
    // Two sample terms of 1 (ν = 4 each) plus a known term of 2: ν = 16 / (1/4 + 1/4) = 32.
    close(
      welchDf([
        { variance: 1, df: 4 },
        { variance: 1, df: 4 },
        { variance: 2, df: Infinity },
      ]),
      32,
      1e-12,
      "ν",
    );
  });
  test("lower-is-better flips the sign", () => {
    assert.equal(difference(seedStat([60, 61, 62]), seedStat([70, 71, 72]), { higherIsBetter: false }).diff, 10);
  });
});

// Constructed cases: three seeds per side with s = 1 (or 0.2, 0.1), so s²/n is the same on both
// sides and Welch's ν = 4 exactly; t_{0.975,4} = 2.776, t_{0.95,4} = 2.132.
const win = seedStat([90, 91, 92]); // mean 91
const loss = seedStat([85, 86, 87]); // mean 86; se of 91 − 86 = sqrt(2/3) = 0.8165

describe("decisions on constructed cases", () => {
  test("a clear win: 95 % interval 5 ± 2.776 · 0.8165 = [2.73, 7.27] lies above 0", () => {
    const d = testDifference(win, loss);
    assert.equal(d.verdict, "supported");
    close(d.df, 4, 1e-9, "ν");
    close(d.ci[0], 5 - 2.2666, 1e-3, "lower end");
    close(d.ci[1], 5 + 2.2666, 1e-3, "upper end");
    assert.match(d.reason, /95 % interval \[\+2\.73, \+7\.27\] lies above 0/);
  });
  test("a clear loss is contradicted, not merely unsupported", () => {
    const d = testDifference(loss, win);
    assert.equal(d.verdict, "contradicted");
    close(d.ci[1], -5 + 2.2666, 1e-3, "upper end");
  });
  test("a tie: equivalent within 1 point, no difference either way", () => {
    // mean 80.2 vs 80.3, s = 0.2: se = 0.1633; 90 % interval −0.1 ± 2.132 · 0.1633 = [−0.448, 0.248].
    const a = seedStat([80.0, 80.2, 80.4]);
    const b = seedStat([80.1, 80.3, 80.5]);
    const eq = testEquivalence(a, b, ACCURACY_MARGIN);
    assert.equal(eq.verdict, "supported");
    close(eq.level, 0.9, 1e-12, "TOST level");
    close(eq.ci[0], -0.448, 1e-3, "lower end");
    close(eq.ci[1], 0.248, 1e-3, "upper end");
    assert.ok(eq.p < 0.05, `TOST p = ${eq.p}`);
    assert.equal(testDifference(a, b).verdict, "inconclusive");
  });
  test("equivalence is contradicted when the 90 % interval lies beyond the margin", () => {
    // 5 ± 2.132 · 0.8165 = [3.26, 6.74], wholly above +1.
    const eq = testEquivalence(win, loss, ACCURACY_MARGIN);
    assert.equal(eq.verdict, "contradicted");
    close(eq.ci[0], 3.259, 1e-3, "lower end");
  });
  test("TOST p-value: 0.05 when the 90 % interval ends exactly at the margin", () => {
    // 5 + t_{0.95,4} · 0.8165 = 5 + 2.132 · 0.8165 = 6.741: the upper one-sided test sits at its 5 % point.
    const eq = testEquivalence(win, loss, 5 + 2.132 * Math.sqrt(2 / 3));
    close(eq.p, 0.05, 1e-3, "TOST p");
    close(eq.ci[1], eq.margin!, 1e-3, "upper end at the margin");
  });
  test("a wide interval crossing the margin is inconclusive", () => {
    // 0.5 ± 2.132 · 0.8165 = [−1.24, 2.24].
    assert.equal(
      testEquivalence(seedStat([80, 81, 82]), seedStat([79.5, 80.5, 81.5]), ACCURACY_MARGIN).verdict,
      "inconclusive",
    );
  });
  test("too few seeds gives inconclusive with the reason", () => {
    const d = testDifference(seedStat([95, 96]), loss);
    assert.equal(d.verdict, "inconclusive");
    assert.match(d.reason, /too few seeds \(2 and 3; at least 3 each/);
    assert.equal(testEquivalence(seedStat([80]), seedStat([80]), 1).verdict, "inconclusive");
    assert.equal(
      testDifference(seedStat([95, 96]), seedStat([85, 86]), { minSeeds: 2 }).verdict,
      "supported",
      "10 ± 4.303 · 0.7071 = [6.96, 13.04] with ν = 2",
    );
    assert.throws(
      () => testDifference(win, loss, { minSeeds: 1 }),
      /minSeeds = 1 is invalid; allowed: an integer >= 2/,
    );
  });
  test("non-inferiority: as fast as within the margin", () => {
    // −0.1 ± 2.776 · 0.0816 = [−0.33, 0.13]: lower end above −1.
    assert.equal(
      testNonInferiority(seedStat([71.0, 71.1, 71.2]), seedStat([71.1, 71.2, 71.3]), 1).verdict,
      "supported",
    );
    // −10 ± 2.27: upper end below −1.
    assert.equal(testNonInferiority(seedStat([60, 61, 62]), seedStat([70, 71, 72]), 1).verdict, "contradicted");
    // −0.5 ± 2.27 = [−2.77, 1.77] contains −1.
    assert.equal(testNonInferiority(seedStat([70, 71, 72]), seedStat([70.5, 71.5, 72.5]), 1).verdict, "inconclusive");
    assert.throws(() => testNonInferiority(win, loss, 0), /margin = 0 is invalid/);
  });
  test("test-set noise keeps a 2-point gap on 1,000 images undecided even when seeds agree", () => {
    // Seeds identical (s = 0): se² = 100²(0.8·0.2 + 0.78·0.22)/1000 = 1.6 + 1.716; se = 1.8210;
    // ν = ∞, interval 2 ± 1.960 · 1.8210 = [−1.57, 5.57].
    const d = testDifference(
      seedStat([80, 80, 80], { testSetSize: 1000 }),
      seedStat([78, 78, 78], { testSetSize: 1000 }),
    );
    assert.equal(d.verdict, "inconclusive");
    assert.equal(d.df, Infinity);
    close(d.ci[0], 2 - 3.569, 2e-3, "lower end");
    assert.equal(
      testDifference(seedStat([80, 80, 80], { testSetSize: 100000 }), seedStat([78, 78, 78], { testSetSize: 100000 }))
        .verdict,
      "supported",
    );
  });
});

describe("groupBy", () => {
  test("groups in order of first appearance, items in input order", () => {
    const items = [
      { k: "b", v: 1 },
      { k: "a", v: 2 },
      { k: "b", v: 3 },
      { k: "c|x", v: 4 },
    ];
    assert.deepEqual(
      groupBy(items, (i) => i.k).map((g) => [g.key, g.items.map((i) => i.v)]),
      [
        ["b", [1, 3]],
        ["a", [2]],
        ["c|x", [4]],
      ],
    );
    assert.deepEqual(
      groupBy([], () => "x"),
      [],
    );
    assert.deepEqual(
      groupBy([7], () => "only"),
      [{ key: "only", items: [7] }],
    );
    const odd = ["0123", "123", "1e3", "1000", "true", "", "NaN", "a,b", "123"];
    assert.deepEqual(
      groupBy(odd, (x) => x).map((g) => g.items.length),
      [1, 2, 1, 1, 1, 1, 1, 1],
      "number-like keys stay apart",
    );
  });
});

describe("logLogSlope", () => {
  test("recovers a power law's exponent and skips non-positive points", () => {
    const t = [1, 2, 4, 8, 16, 32];
    close(
      logLogSlope(
        t,
        t.map((v) => 3 * Math.pow(v, 0.37)),
      ),
      0.37,
      1e-12,
      "slope",
    );
    close(logLogSlope([0, 1, 10, 100], [5, 1, 0.1, 0.01]), -1, 1e-12, "x = 0 is skipped");
    assert.ok(Number.isNaN(logLogSlope([4], [2])));
    assert.ok(Number.isNaN(logLogSlope([3, 3], [1, 2])), "no spread in x");
    assert.throws(() => logLogSlope([1, 2], [1]), /2 x values but 1 y values/);
  });
});

describe("runNumbers", () => {
  const run = (accs: number[], lrs: number[]): MetricLine[] =>
    accs.flatMap((acc, epoch) => [
      { epoch, step: 10 * (epoch + 1), split: "train" as const, loss: 2 - acc, lr: lrs[epoch], wallMs: 1000 * epoch },
      {
        epoch,
        step: 10 * (epoch + 1),
        split: "test" as const,
        loss: 2.1 - acc,
        acc,
        lr: lrs[epoch],
        wallMs: 1000 * epoch + 500,
      },
    ]);
  test("final, best, early, the decay and what it bought", () => {
    const n = runNumbers(run([0.5, 0.7, 0.68, 0.8], [0.1, 0.1, 0.1, 0.01]), { earlyEpoch: 1 });
    assert.equal(n.epochs, 4);
    assert.equal(n.finalTestAcc, 80);
    assert.equal(n.bestTestAcc, 80);
    assert.equal(n.earlyTestAcc, 70);
    close(n.earlyTrainLoss!, 1.3, 1e-12, "early train loss");
    assert.equal(n.decayEpoch, 3);
    assert.equal(n.preDecayTestAcc, 68);
    close(n.decayGain!, 12, 1e-9, "decay gain");
    assert.equal(n.wallSeconds, 3.5);
    assert.equal(n.finalTestPpl, undefined);
    assert.throws(() => runNumbers([], { earlyEpoch: 1.5 }), /earlyEpoch = 1.5 is invalid/);
  });
});
