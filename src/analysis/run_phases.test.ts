import { test } from "node:test";
import assert from "node:assert/strict";
import type { MetricLine } from "../experiment/store";
import { runId } from "../experiment/store";
import { lineFigure } from "../notebook/plotly";
import { GAP_PROTOCOL, protocolConfig } from "../experiment/protocols";
import { epochSeries, gridMatrix, markEpochs, phaseSummary } from "./run_phases";

function run(accs: number[], lrs: number[]): MetricLine[] {
  return accs.flatMap((acc, epoch) => [
    {
      epoch,
      step: 10 * (epoch + 1),
      split: "train" as const,
      loss: 2 - acc,
      acc: acc - 0.05,
      lr: lrs[epoch],
      wallMs: 0,
    },
    { epoch, step: 10 * (epoch + 1), split: "test" as const, loss: 2.1 - acc, acc, lr: lrs[epoch], wallMs: 0 },
  ]);
}

test("phaseSummary finds the decay from the lr and reports early, pre-decay, final and best accuracy", () => {
  const s = phaseSummary("padam", run([0.5, 0.7, 0.68, 0.8], [0.1, 0.1, 0.1, 0.01]), { earlyEpoch: 1 });
  assert.equal(s.epochs, 4);
  assert.equal(s.decayEpoch, 3);
  assert.equal(s.earlyTestAcc, 70);
  assert.ok(Math.abs(s.earlyTrainLoss! - 1.3) < 1e-12);
  assert.equal(s.preDecayTestAcc, 68);
  assert.equal(s.finalTestAcc, 80);
  assert.equal(s.bestTestAcc, 80);
  assert.ok(Math.abs(s.decayGain! - 12) < 1e-9);
  const flat = phaseSummary("sgd", run([0.6, 0.5], [0.1, 0.1]));
  assert.equal(flat.decayEpoch, undefined);
  assert.equal(flat.decayGain, undefined);
  assert.equal(flat.bestTestAcc, 60);
  assert.equal(flat.earlyTestAcc, 60);
  assert.throws(() => phaseSummary("x", [], { earlyEpoch: -1 }), /earlyEpoch = -1 is invalid/);
});

test("epochSeries: test error in percent against epochs counted from 1", () => {
  const [s] = epochSeries([{ label: "a", metrics: run([0.5, 0.75], [0.1, 0.1]) }], "test", "error");
  assert.deepEqual(s.x, [1, 2]);
  assert.deepEqual(s.y, [50, 25]);
  const [l] = epochSeries([{ label: "a", metrics: run([0.5, 0.75], [0.1, 0.1]) }], "train", "loss");
  assert.deepEqual(l.y, [1.5, 1.25]);
  assert.throws(
    () => epochSeries([], "test", "ppl" as Parameters<typeof epochSeries>[2]),
    /quantity = "ppl" is invalid/,
  );
});

test("gridMatrix places items by row and column, NaN for holes, errors for outsiders and duplicates", () => {
  const items = [
    { lr: 0.1, p: "1/8", acc: 90 },
    { lr: 0.01, p: "1/2", acc: 80 },
  ];
  const z = gridMatrix(
    items,
    ["1/2", "1/8"],
    [0.01, 0.1],
    (i) => ({ row: i.p, col: i.lr }),
    (i) => i.acc,
  );
  assert.deepEqual(z, [
    [80, NaN],
    [NaN, 90],
  ]);
  assert.throws(
    () =>
      gridMatrix(
        items,
        ["1/2"],
        [0.01, 0.1],
        (i) => ({ row: i.p, col: i.lr }),
        (i) => i.acc,
      ),
    /row "1\/8", column 0.1 is outside the grid/,
  );
  assert.throws(
    () =>
      gridMatrix(
        [...items, items[0]],
        ["1/2", "1/8"],
        [0.01, 0.1],
        (i) => ({ row: i.p, col: i.lr }),
        (i) => i.acc,
      ),
    /two items for row "1\/8"/,
  );
});

test("protocolConfig: equal settings give equal run ids, other p another", () => {
  const a = protocolConfig(GAP_PROTOCOL.quick, "padam");
  assert.equal(a.optimizerOptions.partial, 0.125);
  assert.equal(a.trainLimit, 2000);
  assert.deepEqual(a.schedule, { milestones: [3], gamma: 0.1 });
  assert.equal(runId(protocolConfig(GAP_PROTOCOL.quick, "padam", { partial: 0.125 }), "cpu"), runId(a, "cpu"));
  assert.notEqual(runId(protocolConfig(GAP_PROTOCOL.quick, "padam", { partial: 0.25 }), "cpu"), runId(a, "cpu"));
  assert.equal(protocolConfig(GAP_PROTOCOL.quick, "adam", { learningRate: 0.1 }).optimizerOptions.beta2, 0.99);
});

test("markEpochs adds a dotted line between epochs and keeps existing shapes", () => {
  const fig = lineFigure([{ name: "a", x: [1, 2, 3], y: [1, 2, 3] }]);
  fig.layout.shapes = [{ type: "rect" }];
  markEpochs(fig, [3], "lr x0.1");
  const shapes = fig.layout.shapes as Record<string, unknown>[];
  assert.equal(shapes.length, 2);
  assert.equal(shapes[1].x0, 3.5);
  assert.equal((fig.layout.annotations as Record<string, unknown>[])[0].text, "lr x0.1");
  assert.throws(() => markEpochs(fig, [-1]), /epoch = -1 is invalid/);
});
