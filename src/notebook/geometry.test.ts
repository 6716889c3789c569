/**
 * Optimizer geometry: hand-worked first steps, the p = 1/2 limit against AMSGrad, the sliders'
 * wiring, and the figure drawn with both sliders in headless Chromium with every request refused.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { geometryFigure, illConditionedQuadratic, rosenbrock, trajectory } from "./geometry";
import { findChromium } from "./export";
import { withOfflinePage } from "./offline_page";
import { figureHtml, plotlyBundlePath } from "./plotly";

const quad = illConditionedQuadratic(50);

describe("optimizer geometry", () => {
  it("starts at the start point and takes the hand-worked first SGD step", () => {
    // g(−4, 1.2) = (−4, 60); first momentum step x1 = x0 − 0.01·g = (−3.96, 0.6).
    const t = trajectory(quad, { optimizer: "sgd", options: { learningRate: 0.01, momentum: 0.9 } }, 3);
    assert.deepEqual([t.x[0], t.y[0]], [-4, 1.2]);
    assert.ok(Math.abs(t.x[1] + 3.96) < 1e-12 && Math.abs(t.y[1] - 0.6) < 1e-12, `${t.x[1]}, ${t.y[1]}`);
    // Rosenbrock: ∇f(−1.5, 2) = (−2·2.5 − 400·(−1.5)·(2 − 2.25), 200·(−0.25)) = (−155, −50).
    const r = trajectory(rosenbrock(), { optimizer: "sgd", options: { learningRate: 1e-3, momentum: 0.9 } }, 1);
    assert.ok(Math.abs(r.x[1] - (-1.5 + 0.155)) < 1e-12 && Math.abs(r.y[1] - (2 + 0.05)) < 1e-12);
  });

  it("draws Padam at p = 1/2 on top of AMSGrad", () => {
    const a = trajectory(quad, { optimizer: "padam", options: { learningRate: 0.05, partial: 0.5 } }, 200);
    const b = trajectory(quad, { optimizer: "amsgrad", options: { learningRate: 0.05 } }, 200);
    a.x.forEach((x, i) => assert.ok(Math.abs(x - b.x[i]) < 1e-6 && Math.abs(a.y[i] - b.y[i]) < 1e-6, `step ${i}`));
  });

  it("wires each slider to its own panel's traces", () => {
    const fig = geometryFigure({ surface: quad, steps: 50, partials: [0.125, 0.5], lrScales: [0.5, 1, 2] });
    const sliders = fig.layout.sliders as { steps: { method: string; args: [{ x: number[][] }, number[]] }[] }[];
    assert.equal(sliders.length, 2);
    assert.deepEqual(
      sliders.map((s) => s.steps.length),
      [2, 3],
    );
    const [p, lr] = sliders;
    assert.deepEqual(p.steps[0].args[1], [2]);
    assert.deepEqual(lr.steps[0].args[1], [3, 4, 5, 6]);
    assert.ok(p.steps.every((s) => s.method === "restyle" && s.args[0].x[0].length === 51));
    assert.throws(
      () => geometryFigure({ surface: quad, partials: [0.75] }),
      /partial 0\.75 not allowed; allowed: 0 < p <= 1\/2/,
    );
  });

  it(
    "renders with both sliders in headless Chromium, offline",
    { skip: findChromium() ? false : "no Chromium installed (Debian package chromium)" },
    async () => {
      const fig = geometryFigure({ surface: rosenbrock(), steps: 100 });
      const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><script>${fs.readFileSync(plotlyBundlePath(), "utf8")}</script></head><body>${figureHtml(fig, "geo")}</body></html>`;
      await withOfflinePage(
        () => false,
        async ({ page, refused }) => {
          await page.setContent(html, { waitUntil: "load" });
          await page.waitForFunction(`!!document.querySelector("#geo .main-svg")`, { timeout: 30_000 });
          const r = (await page.evaluate(
            `({ sliders: document.querySelectorAll("#geo .slider-group").length, contours: document.querySelectorAll("#geo .contour").length, lines: document.querySelectorAll("#geo .scatterlayer .trace").length })`,
          )) as { sliders: number; contours: number; lines: number };
          assert.deepEqual(refused, []);
          assert.equal(r.sliders, 2);
          assert.ok(r.contours >= 2, `contours drawn: ${r.contours}`);
          assert.ok(r.lines >= 5, `trajectories drawn: ${r.lines}`);
        },
      );
    },
  );
});
