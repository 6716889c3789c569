import { test } from "node:test";
import assert from "node:assert/strict";
import { binPanels, facetHistogramFigure } from "./step_histograms";

test("binPanels: shared bins over all panels, fractions per group, log10 drops non-positive values", () => {
  const b = binPanels([
    { title: "a", groups: [{ name: "g", values: [1, 10, 100, 0, -1] }] },
    { title: "b", groups: [{ name: "g", values: [1000] }, { name: "h", values: [] }] },
  ], 3, true);
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
  const panels = ["conv1", "conv2", "fc1"].map((title, i) => ({ title, groups: [{ name: "p = 1/2", values: [i + 1, 2 * (i + 1)] }, { name: "p = 1/8", values: [3] }] }));
  const fig = facetHistogramFigure(panels, { columns: 2, title: "steps" });
  assert.equal(fig.data.length, 6);
  assert.deepEqual(fig.data.filter((t) => t.showlegend).map((t) => t.name), ["p = 1/2", "p = 1/8"]);
  assert.deepEqual(fig.data.map((t) => t.xaxis), ["x", "x", "x2", "x2", "x3", "x3"]);
  assert.ok(fig.layout.xaxis3 && fig.layout.yaxis3 && !fig.layout.xaxis4);
  assert.equal((fig.layout.annotations as unknown[]).length, 3);
  assert.throws(() => facetHistogramFigure(panels, { columns: 0 }), /columns = 0 is invalid/);
});
