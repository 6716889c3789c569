/** Padam's warm-up factors against values worked out by hand (β1 = 0.9, β2 = 0.999). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { presetConfig } from "../experiment/presets";
import { padamStepFactor, warmupRows, warmupSentence } from "./warmup";

test("official and consistent factors at t = 160 and t = 2,000", () => {
  // 1 − 0.999^160 = 0.147924, 1 − 0.9^160 ≈ 1: sqrt → 0.38461; ^(1/8) → 0.78751.
  // 1 − 0.999^2000 = 0.864800: sqrt → 0.92995; ^(1/8) → 0.98201.
  const [early, late] = warmupRows([160, 2000]);
  assert.equal(early.step, 160);
  for (const [got, want] of [
    [early.official, 0.38461],
    [early.consistent, 0.78751],
    [late.official, 0.92995],
    [late.consistent, 0.98201],
  ]) {
    assert.ok(Math.abs(got - want) < 5e-5, `${got} vs ${want}`);
  }
  // t = 1: sqrt(0.001)/0.1 = 0.31623 (official); 0.001^(1/4)/0.1 = 1.77828 at p = 1/4 (consistent).
  assert.ok(Math.abs(padamStepFactor(1) - 0.31623) < 5e-5);
  assert.ok(Math.abs(padamStepFactor(1, { partial: 0.25, biasCorrection: "consistent" }) - 1.77828) < 5e-5);
  assert.throws(() => padamStepFactor(0), /t = 0 is invalid; allowed: an integer >= 1/);
});

test("the measured pair in one sentence: factors at the last step, accuracies, and the test-set noise", () => {
  const config = (biasCorrection: "official" | "consistent") =>
    presetConfig("fmnist-cnn", "padam", { testLimit: 1000, optimizerOptions: { biasCorrection } });
  const run = (acc: number, loss: number) => [
    { epoch: 0, step: 160, split: "train" as const, loss, acc: 0.9, lr: 0.1, wallMs: 1 },
    { epoch: 0, step: 160, split: "test" as const, loss: 0.4, acc, lr: 0.1, wallMs: 2 },
  ];
  // 80 % vs 85 % on 1,000 images: se = 100·sqrt(0.8·0.2/1000 + 0.85·0.15/1000) = 1.6956; 5 > 2·1.70.
  const far = warmupSentence(
    { config: config("official"), metrics: run(0.8, 0.5) },
    { config: config("consistent"), metrics: run(0.85, 0.4) },
  );
  assert.equal(
    far,
    "After t = 160 steps the official factor is 0.38 and the consistent one 0.79; final test accuracy 80.00 % (official) vs 85.00 % (consistent), " +
      "+5.00 points for the consistent factor, more than twice the test-set standard error of the difference (1.70); final training loss 0.500 vs 0.400.",
  );
  const near = warmupSentence(
    { config: config("official"), metrics: run(0.8, 0.5) },
    { config: config("consistent"), metrics: run(0.81, 0.5) },
  );
  assert.match(
    near,
    /\+1\.00 points for the consistent factor, within twice the test-set standard error of the difference \(1\.77\): not distinguishable on this test set;/,
  );
});
