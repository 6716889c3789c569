/**
 * The A2 checks: hand-worked step sizes and spreads, the prediction (spread ∝ p), and the
 * measurement on the trained network, which must show the 1/4 ratio.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkMeasurement, checkPrediction, checkSpread, checkStepSizes, trainTinyNetwork } from "./a2";

const steps = (v: number[], lr: number, p: number, e: number) => v.map((x) => lr / (Math.sqrt(x) + e) ** (2 * p));
const spread = (s: number[]) => Math.log10(Math.max(...s)) - Math.log10(Math.min(...s));

describe("A2 checks", () => {
  const net = trainTinyNetwork();
  it("train the network (the loss falls) and read one v-hat per parameter", () => {
    assert.equal(net.vHat.length, 65);
    assert.ok(net.lossAfter < 0.5 * net.lossBefore, `${net.lossBefore} -> ${net.lossAfter}`);
    assert.ok(net.vHat.every((v) => v > 0));
  });
  it("accept correct answers", () => {
    checkStepSizes(steps);
    checkSpread(spread);
    checkPrediction(() => 1 / 4);
    checkMeasurement(steps, spread, net);
  });
  it("name the usual mistakes", () => {
    assert.throws(
      () => checkStepSizes((v, lr, p, e) => v.map((x) => lr / (Math.sqrt(x) + e) ** p)),
      /v̂ = 0\.0001, lr 0\.1, p = 0\.5: step 1, expected 10 — the power is 2p/,
    );
    assert.throws(() => checkSpread((s) => Math.max(...s) / Math.min(...s)), /that is the ratio; give it in decades/);
    assert.throws(() => checkPrediction(() => 0.5), /spread is proportional to p itself/);
    assert.throws(
      () => checkMeasurement(steps, (s) => spread(s) + 0.1, net),
      /p = 0\.5: spread .* decades on the network, expected/,
    );
  });
});
