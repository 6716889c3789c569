import { test } from "node:test";
import assert from "node:assert/strict";
import { layerUpdates } from "./effective_steps";
import {
  binPanels,
  facetHistogramFigure,
  panelSummaries,
  stepPanels,
  updateRatioFigure,
  updateVariant,
} from "./step_histograms";

test("binPanels: shared bins over all panels, fractions per group, log10 drops non-positive values", () => {
  const b = binPanels(
    [
      { title: "a", groups: [{ name: "g", values: [1, 10, 100, 0, -1] }] },
      {
        title: "b",
        groups: [
          { name: "g", values: [1000] },
          { name: "h", values: [] },
        ],
      },
    ],
    3,
    true,
  );
  assert.equal(b.width, 1);
  assert.deepEqual(b.centers, [0.5, 1.5, 2.5]);
  assert.deepEqual(b.panels[0].groups[0].fractions, [1 / 3, 1 / 3, 1 / 3]);
  assert.equal(b.panels[0].groups[0].dropped, 2);
  assert.deepEqual(b.panels[1].groups[0].fractions, [0, 0, 1], "the maximum falls into the last bin");
  assert.deepEqual(b.panels[1].groups[1].fractions, [0, 0, 0]);
  assert.throws(() => binPanels([], 3, true), /panels is empty/);
  assert.throws(() => binPanels([{ title: "a", groups: [] }], 0, true), /bins = 0 is invalid/);
});

test("facetHistogramFigure: one axis pair per panel, one legend entry per group", () => {
  const panels = ["conv1", "conv2", "fc1"].map((title, i) => ({
    title,
    groups: [
      { name: "p = 1/2", values: [i + 1, 2 * (i + 1)] },
      { name: "p = 1/8", values: [3] },
    ],
  }));
  const fig = facetHistogramFigure(panels, { columns: 2, title: "steps" });
  assert.equal(fig.data.length, 6);
  assert.deepEqual(
    fig.data.filter((t) => t.showlegend).map((t) => t.name),
    ["p = 1/2", "p = 1/8"],
  );
  assert.deepEqual(
    fig.data.map((t) => t.xaxis),
    ["x", "x", "x2", "x2", "x3", "x3"],
  );
  assert.ok(fig.layout.xaxis3 && fig.layout.yaxis3 && !fig.layout.xaxis4);
  assert.equal((fig.layout.annotations as unknown[]).length, 3);
  assert.throws(() => facetHistogramFigure(panels, { columns: 0 }), /columns = 0 is invalid/);
});

test("stepPanels groups by layer with one group per variant; panelSummaries summarizes each", () => {
  const mk = (weight: string, vals: number[]) => ({
    weight,
    layer: weight.split("/")[0],
    shape: [vals.length],
    t: 1,
    vHat: Float32Array.from(vals),
  });
  const moments = [mk("a/kernel", [1, 4]), mk("a/bias", [16]), mk("b/kernel", [100])];
  const panels = stepPanels([
    { name: "sqrt", moments, steps: (m) => Array.from(m.vHat, Math.sqrt) },
    { name: "same", moments, steps: (m) => m.vHat },
  ]);
  assert.deepEqual(
    panels.map((p) => p.title),
    ["a", "b"],
  );
  assert.deepEqual(Array.from(panels[0].groups[0].values), [1, 2, 4]);
  assert.deepEqual(Array.from(panels[1].groups[1].values), [100]);
  const rows = panelSummaries(panels);
  assert.deepEqual(
    rows.map((r) => [r.layer, r.group, r.median]),
    [
      ["a", "sqrt", 2],
      ["a", "same", 4],
      ["b", "sqrt", 10],
      ["b", "same", 100],
    ],
  );
  assert.throws(
    () =>
      stepPanels([
        { name: "x", moments, steps: (m) => m.vHat },
        { name: "y", moments: moments.slice(0, 2), steps: (m) => m.vHat },
      ]),
    /variant "y" has no layer "b"/,
  );
});

test("updateVariant bins |dx| per layer; updateRatioFigure shows ||dx||/||x|| per layer on a log axis", () => {
  const mk = (weight: string, before: number[], dx: number[]) => ({
    weight,
    layer: weight.split("/")[0],
    shape: [dx.length],
    t: 3,
    vHat: new Float32Array(dx.length),
    before: Float32Array.from(before),
    dx: Float32Array.from(dx),
  });
  const updates = [mk("a/kernel", [3, 0], [-0.03, 0.04]), mk("a/bias", [4], [0]), mk("b/kernel", [-2], [0.5])];
  const [a, b] = stepPanels([updateVariant("run", updates)]);
  assert.deepEqual(Array.from(a.groups[0].values), [0.03, 0.04, 0].map(Math.fround));
  assert.deepEqual(Array.from(b.groups[0].values), [0.5]);
  // layer a: ||dx|| = 0.05, ||x|| = 5 (3, 0, 4), ratio 0.01; layer b: 0.5 / 2 = 0.25
  const rows = layerUpdates(updates);
  assert.deepEqual(
    rows.map((r) => r.layer),
    ["a", "b"],
  );
  assert.ok(Math.abs(rows[0].ratio - 0.01) < 1e-8 && Math.abs(rows[1].ratio - 0.25) < 1e-8);
  const fig = updateRatioFigure([{ name: "run", layers: rows }]);
  assert.deepEqual(fig.data[0].x, ["a", "b"]);
  assert.equal((fig.layout.yaxis as Record<string, unknown>).type, "log");
  assert.throws(() => updateRatioFigure([]), /runs is empty/);
});
