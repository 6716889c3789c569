/** Padam's warm-up factors against values worked out by hand (β1 = 0.9, β2 = 0.999). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { padamStepFactor, warmupRows } from "./warmup";

test("official and consistent factors at t = 160 and t = 2,000", () => {
  // 1 − 0.999^160 = 0.147924, 1 − 0.9^160 ≈ 1: sqrt → 0.38461; ^(1/8) → 0.78751.
  // 1 − 0.999^2000 = 0.864800: sqrt → 0.92995; ^(1/8) → 0.98201.
  const [early, late] = warmupRows([160, 2000]);
  assert.equal(early.step, 160);
  for (const [got, want] of [[early.official, 0.38461], [early.consistent, 0.78751], [late.official, 0.92995], [late.consistent, 0.98201]]) {
    assert.ok(Math.abs(got - want) < 5e-5, `${got} vs ${want}`);
  }
  // t = 1: sqrt(0.001)/0.1 = 0.31623 (official); 0.001^(1/4)/0.1 = 1.77828 at p = 1/4 (consistent).
  assert.ok(Math.abs(padamStepFactor(1) - 0.31623) < 5e-5);
  assert.ok(Math.abs(padamStepFactor(1, { partial: 0.25, biasCorrection: "consistent" }) - 1.77828) < 5e-5);
  assert.throws(() => padamStepFactor(0), /t = 0 is invalid; allowed: an integer >= 1/);
});
