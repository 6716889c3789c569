/**
 * Figures drawn by plotly.js in headless Chromium: axis titles keep clear of the tick labels, also
 * with category labels wider than the default margin (02's lr × p heatmap: "p = 1/16" ticks under
 * the title "p").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findChromium, heatmapFigure } from "./index";
import { plotlyBundlePath } from "./plotly";
import { withOfflinePage } from "./offline_page";

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

test(
  "axis titles do not overlap the tick labels",
  { skip: findChromium() ? false : "no Chromium on this machine (apt-get install chromium)" },
  async () => {
    const fig = heatmapFigure(
      ["0.001", "0.01", "0.1"],
      ["p = 1/16", "p = 1/8", "p = 1/4", "p = 1/2"],
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
        [1, 2, 3],
      ],
      {
        title: "grid",
        xTitle: "base learning rate",
        yTitle: "p",
        zTitle: "acc",
      },
    );
    await withOfflinePage(
      () => false,
      async ({ page, refused }) => {
        await page.setContent(
          "<!DOCTYPE html><html><body><div id='f' style='width:800px;height:420px'></div></body></html>",
        );
        await page.addScriptTag({ path: plotlyBundlePath() });
        // A string, not a function: tsx would wrap named functions in a helper the page lacks.
        const boxes = (await page.evaluate(`(async () => {
      const fig = ${JSON.stringify({ data: fig.data, layout: { ...fig.layout, width: 800, height: 420 } })};
      await Plotly.newPlot(document.getElementById("f"), fig.data, fig.layout);
      const box = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
      const yTitle = document.querySelector(".g-ytitle text");
      const xTitle = document.querySelector(".g-xtitle text");
      return {
        yTitle: yTitle ? box(yTitle) : null,
        xTitle: xTitle ? box(xTitle) : null,
        yTicks: Array.from(document.querySelectorAll(".ytick text")).map(box),
        xTicks: Array.from(document.querySelectorAll(".xtick text")).map(box),
      };
    })()`)) as { yTitle: Box | null; xTitle: Box | null; yTicks: Box[]; xTicks: Box[] };
        assert.deepEqual(refused, []);
        assert.ok(boxes.yTitle && boxes.xTitle, "both axis titles are drawn");
        assert.equal(boxes.yTicks.length, 4);
        assert.equal(boxes.xTicks.length, 3);
        const leftmostTick = Math.min(...boxes.yTicks.map((b) => b.left));
        assert.ok(
          boxes.yTitle.right <= leftmostTick,
          `y title ends at x = ${boxes.yTitle.right}, the tick labels start at ${leftmostTick}`,
        );
        const lowestTick = Math.max(...boxes.xTicks.map((b) => b.bottom));
        assert.ok(
          boxes.xTitle.top >= lowestTick,
          `x title starts at y = ${boxes.xTitle.top}, the tick labels end at ${lowestTick}`,
        );
      },
    );
  },
);
