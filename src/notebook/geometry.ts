/**
 * Optimizer geometry: 2-D trajectories of SGD-momentum, Adam, AMSGrad and Padam on an
 * ill-conditioned quadratic and on Rosenbrock's function, drawn over log-contours, with two
 * sliders that stay interactive in offline HTML and in JupyterLab (Plotly slider steps with the
 * "restyle" method, so no frames or callbacks are needed):
 *
 * - left panel, slider p: Padam at a fixed learning rate for p from 1/16 to 1/2 (p = 1/2 is AMSGrad);
 * - right panel, slider lr: the four optimizers with each base learning rate scaled by ×1/4 … ×4.
 *
 * Trajectories are computed in float64 with the same update rules as the tfjs optimizers
 * (`referenceTrajectory`). Used by the assignments and the workbook: import from
 * "./src/notebook/geometry" and pass the result to `showFigure`.
 */
import { referenceTrajectory } from "../optim/reference";
import type { AnyOptimizerOptions } from "../optim/registry";
import { AXIS_TITLE_STANDOFF, colorAt, Figure, Trace } from "./plotly";

/** A 2-D test function with its gradient, start point and plotting window. */
export interface Surface {
  name: string;
  f: (x: number, y: number) => number;
  grad: (x: number, y: number) => [number, number];
  start: [number, number];
  minimum: [number, number];
  xRange: [number, number];
  yRange: [number, number];
}

/** f = ½·(x² + κ·y²): condition number κ (default 50). */
export function illConditionedQuadratic(kappa = 50): Surface {
  if (!(kappa >= 1)) throw new Error(`illConditionedQuadratic: kappa = ${kappa}; allowed: a number >= 1`);
  return {
    name: `quadratic, condition number ${kappa}`,
    f: (x, y) => 0.5 * (x * x + kappa * y * y),
    grad: (x, y) => [x, kappa * y],
    start: [-4, 1.2],
    minimum: [0, 0],
    xRange: [-4.5, 1.5],
    yRange: [-1.5, 1.5],
  };
}

/** Rosenbrock's f = (1 − x)² + 100·(y − x²)², minimum at (1, 1) in a curved valley. */
export function rosenbrock(): Surface {
  return {
    name: "Rosenbrock",
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    grad: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
    start: [-1.5, 2],
    minimum: [1, 1],
    xRange: [-2, 2],
    yRange: [-1, 3],
  };
}

/** The methods compared and their base settings (learning rates are scaled by the lr slider). */
export interface Method {
  label: string;
  optimizer: "sgd" | "adam" | "amsgrad" | "padam";
  options: AnyOptimizerOptions;
}

export interface GeometryOptions {
  surface: Surface;
  /** Steps per trajectory (default 300). */
  steps?: number;
  /** The four methods with base learning rates (defaults: {@link defaultMethods}). */
  methods?: Method[];
  /** Values of p for the left slider (default 1/16, 1/8, 1/4, 3/8, 1/2). */
  partials?: number[];
  /** Multipliers of the base learning rates for the right slider (default 1/4 … 4). */
  lrScales?: number[];
  /** Padam's learning rate in the left panel (default: Padam's base rate). */
  padamLr?: number;
  height?: number;
}

/** Base settings that make every method move visibly on `surface` within a few hundred steps. */
export function defaultMethods(surface: Surface): Method[] {
  const rb = surface.name === "Rosenbrock";
  return [
    { label: "SGD-momentum", optimizer: "sgd", options: { learningRate: rb ? 1e-3 : 0.01, momentum: 0.9 } },
    { label: "Adam", optimizer: "adam", options: { learningRate: rb ? 0.1 : 0.05 } },
    { label: "AMSGrad", optimizer: "amsgrad", options: { learningRate: rb ? 0.1 : 0.05 } },
    { label: "Padam (p = 1/8)", optimizer: "padam", options: { learningRate: 0.05, partial: 0.125 } },
  ];
}

/** The points x_0 … x_steps of one run (x_0 = the start). Diverging runs stop at the first non-finite point. */
export function trajectory(
  surface: Surface,
  m: Pick<Method, "optimizer" | "options">,
  steps: number,
): { x: number[]; y: number[] } {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`trajectory: steps = ${steps}; allowed: an integer >= 1`);
  const path = referenceTrajectory(m.optimizer, m.options, surface.start, steps, (p) => surface.grad(p[0], p[1]));
  const all = [surface.start, ...path];
  const bad = all.findIndex((q) => !Number.isFinite(q[0]) || !Number.isFinite(q[1]));
  const pts = bad < 0 ? all : all.slice(0, bad);
  return { x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) };
}

function grid(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** log10(f − f_min + 1e−3) on a grid, as a contour trace on the given axes. */
function contour(s: Surface, xaxis: string, yaxis: string): Trace {
  const xs = grid(s.xRange[0], s.xRange[1], 80);
  const ys = grid(s.yRange[0], s.yRange[1], 80);
  const fmin = s.f(s.minimum[0], s.minimum[1]);
  const z = ys.map((y) => xs.map((x) => Math.log10(s.f(x, y) - fmin + 1e-3)));
  return {
    type: "contour",
    x: xs,
    y: ys,
    z,
    xaxis,
    yaxis,
    showscale: false,
    colorscale: "Greys",
    reversescale: true,
    opacity: 0.55,
    ncontours: 25,
    contours: { coloring: "lines" },
    hoverinfo: "skip",
    name: "log10 f",
  };
}

function pathTrace(xy: { x: number[]; y: number[] }, name: string, color: string, xaxis: string, yaxis: string): Trace {
  return {
    type: "scatter",
    mode: "lines+markers",
    x: xy.x,
    y: xy.y,
    name,
    xaxis,
    yaxis,
    line: { color, width: 2 },
    marker: { size: 3, color },
  };
}

const fracLabel = (p: number) =>
  ({ 0.0625: "1/16", 0.125: "1/8", 0.25: "1/4", 0.375: "3/8", 0.5: "1/2" })[p] ?? String(p);

/**
 * The figure: two panels over the same contours, a p slider for the left panel and an lr slider for
 * the right one. Each slider step restyles only its own panel's traces.
 */
export function geometryFigure(opts: GeometryOptions): Figure {
  const s = opts.surface;
  const steps = opts.steps ?? 300;
  const methods = opts.methods ?? defaultMethods(s);
  const partials = opts.partials ?? [0.0625, 0.125, 0.25, 0.375, 0.5];
  const scales = opts.lrScales ?? [0.25, 0.5, 1, 2, 4];
  const padam = methods.find((m) => m.optimizer === "padam");
  const padamLr = opts.padamLr ?? Number(padam?.options.learningRate ?? 0.05);
  for (const p of partials)
    if (!(p > 0 && p <= 0.5)) throw new Error(`geometryFigure: partial ${p} not allowed; allowed: 0 < p <= 1/2`);
  for (const k of scales) if (!(k > 0)) throw new Error(`geometryFigure: lr scale ${k} not allowed; allowed: > 0`);

  const left = partials.map((p) =>
    trajectory(s, { optimizer: "padam", options: { learningRate: padamLr, partial: p } }, steps),
  );
  const right = scales.map((k) =>
    methods.map((m) =>
      trajectory(s, { ...m, options: { ...m.options, learningRate: Number(m.options.learningRate) * k } }, steps),
    ),
  );
  const p0 = Math.max(0, partials.indexOf(0.125));
  const k0 = Math.max(0, scales.indexOf(1));

  const data: Trace[] = [contour(s, "x", "y"), contour(s, "x2", "y2")];
  const leftIdx = data.length;
  data.push(pathTrace(left[p0], `Padam, lr ${padamLr}`, colorAt(3), "x", "y"));
  const rightIdx = methods.map((_, i) => data.length + i);
  methods.forEach((m, i) => data.push(pathTrace(right[k0][i], m.label, colorAt(i), "x2", "y2")));
  data.push({
    type: "scatter",
    mode: "markers",
    x: [s.minimum[0], s.minimum[0]],
    y: [s.minimum[1], s.minimum[1]],
    xaxis: "x",
    yaxis: "y",
    marker: { symbol: "star", size: 12, color: "black" },
    name: "minimum",
    showlegend: false,
  });
  data.push({
    type: "scatter",
    mode: "markers",
    x: [s.minimum[0]],
    y: [s.minimum[1]],
    xaxis: "x2",
    yaxis: "y2",
    marker: { symbol: "star", size: 12, color: "black" },
    name: "minimum",
    showlegend: false,
  });

  const slider = (title: string, x: number, active: number, stepsOf: { label: string; args: unknown[] }[]) => ({
    active,
    x,
    len: 0.45,
    y: -0.08,
    yanchor: "top",
    currentvalue: { prefix: title, visible: true },
    pad: { t: 30 },
    steps: stepsOf.map((st) => ({ method: "restyle", label: st.label, args: st.args })),
  });
  const axis = (range: [number, number], title: string, domain: [number, number], anchor: string) => ({
    range,
    domain,
    anchor,
    title: { text: title, standoff: AXIS_TITLE_STANDOFF },
    zeroline: false,
    automargin: true,
  });
  return {
    data,
    layout: {
      title: { text: `Optimizer geometry on the ${s.name} (${steps} steps from (${s.start.join(", ")}))` },
      height: opts.height ?? 560,
      margin: { l: 64, r: 24, t: 120, b: 140 },
      hovermode: "closest",
      legend: { orientation: "h", y: 1.1, yanchor: "bottom", x: 0 },
      xaxis: axis(s.xRange, "x", [0, 0.47], "y"),
      yaxis: axis(s.yRange, "y", [0, 1], "x"),
      xaxis2: axis(s.xRange, "x", [0.53, 1], "y2"),
      yaxis2: axis(s.yRange, "", [0, 1], "x2"),
      annotations: [
        {
          text: "Padam: slide p (1/2 is AMSGrad)",
          xref: "paper",
          yref: "paper",
          x: 0.0,
          y: 1.01,
          xanchor: "left",
          yanchor: "bottom",
          showarrow: false,
        },
        {
          text: "All four: slide the learning rates",
          xref: "paper",
          yref: "paper",
          x: 0.53,
          y: 1.01,
          xanchor: "left",
          yanchor: "bottom",
          showarrow: false,
        },
      ],
      sliders: [
        slider(
          "p = ",
          0,
          p0,
          partials.map((p, i) => ({ label: fracLabel(p), args: [{ x: [left[i].x], y: [left[i].y] }, [leftIdx]] })),
        ),
        slider(
          "lr × ",
          0.53,
          k0,
          scales.map((k, i) => ({
            label: String(k),
            args: [{ x: right[i].map((t) => t.x), y: right[i].map((t) => t.y) }, rightIdx],
          })),
        ),
      ],
    },
  };
}
