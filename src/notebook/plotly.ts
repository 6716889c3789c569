/**
 * Plotly figures for tslab notebooks that render in JupyterLab and in offline nbconvert HTML.
 *
 * Scheme (docs/notebook-stack.md, section 5):
 * 1. {@link initPlotly} displays plotly.js (the cartesian v3 bundle, which sets `window.Plotly` and
 *    needs no require.js) once per notebook as a `<script>` element;
 * 2. every figure is one mime bundle: `application/vnd.plotly.v1+json` (JupyterLab with the Plotly
 *    extension, VS Code, nteract), `text/html` (a div plus a script that waits for `window.Plotly`
 *    and calls `Plotly.newPlot` with the figure inlined) and `text/plain` (a one-line summary);
 * 3. {@link showFigure} also exports the figure to `figures/<notebook>/<name>.svg|png` (export.ts).
 *
 * The builders ({@link lineFigure}, {@link histogramFigure}, {@link heatmapFigure},
 * {@link barFigure}) return plain `{data, layout}` objects, so a notebook can adjust a figure before
 * showing it. Used by every notebook.
 */
import * as fs from "fs";
import { displayBundle, DisplayTarget, jsonForScript, newDisplayId } from "./display";
import { exportFigure } from "./export";
import { notebookName } from "./env";

/** A Plotly trace (plain JSON). */
export type Trace = Record<string, unknown>;

/** A Plotly figure as plain JSON: what `Plotly.newPlot(el, data, layout, config)` takes. */
export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Default figure height in pixels (also the export height). */
export const DEFAULT_HEIGHT = 420;
/** Default export width in pixels. */
export const DEFAULT_EXPORT_WIDTH = 800;

/**
 * A qualitative palette (Plotly's D3 category colors) so a run keeps its color across the figures
 * of a notebook when callers pass the same index.
 */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

export function colorAt(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** Path of the plotly.js bundle that {@link initPlotly} embeds and the exporter loads. */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-cartesian-dist-min");
}

let plotlyEmbedded = false;

/**
 * Embeds plotly.js into the notebook output once (about 1.4 MB, stored once per notebook).
 * Later calls do nothing unless `force` is set (e.g. after clearing all outputs without a kernel
 * restart). Figure helpers call it on first use, so calling it explicitly only fixes where the
 * script lands (the import cell). Returns true when the script was displayed now.
 */
export function initPlotly(opts: { force?: boolean } = {}): boolean {
  if (plotlyEmbedded && !opts.force) return false;
  const source = fs.readFileSync(plotlyBundlePath(), "utf8");
  // A literal "</script" inside the bundle would end the element early; "<\/script" is the same
  // string to the JavaScript parser.
  const safe = source.replace(/<\/script/gi, "<\\/script");
  const shown = displayBundle({
    "text/html": `<script type="text/javascript">${safe}</script>`,
    "text/plain": "plotly.js loaded",
  });
  plotlyEmbedded = shown;
  return shown;
}

/** The HTML part of a figure's bundle: a div and a script that draws into it once Plotly exists. */
export function figureHtml(fig: Figure, divId: string = newDisplayId()): string {
  const height = Number(fig.layout.height ?? DEFAULT_HEIGHT);
  const payload = jsonForScript({
    data: fig.data,
    layout: fig.layout,
    config: { responsive: true, displaylogo: false, ...fig.config },
  });
  return (
    `<div id="${divId}" class="padam-plot" style="width:100%;height:${height}px;"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var fig = ${payload};\n` +
    `  var tries = 0;\n` +
    `  function draw() {\n` +
    `    var el = document.getElementById(${JSON.stringify(divId)});\n` +
    `    if (el && window.Plotly) { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); return; }\n` +
    `    if (tries++ < 200) { setTimeout(draw, 50); return; }\n` +
    `    if (el) el.textContent = "plotly.js is not loaded: run the cell that calls initPlotly() (or initNotebook())";\n` +
    `  }\n` +
    `  draw();\n` +
    `})();</script>`
  );
}

/** A one-line text summary of a figure (the `text/plain` part). */
export function figureSummary(fig: Figure): string {
  const title = titleText(fig.layout.title);
  const types = Array.from(new Set(fig.data.map((t) => String(t.type ?? "scatter"))));
  const names = fig.data.map((t) => t.name).filter((n) => typeof n === "string" && n !== "") as string[];
  const shown = names.slice(0, 6).join(", ") + (names.length > 6 ? `, … (${names.length})` : "");
  return `Figure${title ? ` "${title}"` : ""}: ${fig.data.length} ${types.join("/")} trace(s)${shown ? ` [${shown}]` : ""}`;
}

function titleText(title: unknown): string {
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string") {
    return (title as { text: string }).text;
  }
  return "";
}

/** The full mime bundle of a figure. */
export function figureBundle(fig: Figure, divId?: string): Record<string, unknown> {
  return {
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout, config: fig.config ?? {} },
    "text/html": figureHtml(fig, divId),
    "text/plain": figureSummary(fig),
  };
}

/** Options of {@link showFigure}. */
export interface ShowFigureOptions {
  /** File name (without extension) for `figures/<notebook>/<name>.svg|png`; no export without it. */
  name?: string;
  /** Set false to display only. Default: export when `name` is given. */
  export?: boolean;
  /** Export size in pixels; height defaults to the layout height. */
  width?: number;
  height?: number;
  /** In-place display (used by live curves). */
  target?: DisplayTarget;
}

/**
 * Displays a figure as one mime bundle and, when `opts.name` is given, exports it to
 * `figures/<notebook>/<name>.svg` and `.png` (the export's log line names the files). Resolves
 * to nothing, so a notebook cell that ends with `await showFigure(...)` echoes no value (with this
 * machine's paths) into the report; {@link exportFigure} returns the files.
 */
export async function showFigure(fig: Figure, opts: ShowFigureOptions = {}): Promise<void> {
  if (opts.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.name)) {
    throw new Error(
      `showFigure: name ${JSON.stringify(opts.name)} is not a valid file name; use letters, digits, '.', '_' and '-'`,
    );
  }
  initPlotly();
  displayBundle(figureBundle(fig), opts.target ?? {});
  if (!opts.name || opts.export === false) return;
  await exportFigure(fig, {
    notebook: notebookName(),
    name: opts.name,
    width: opts.width ?? DEFAULT_EXPORT_WIDTH,
    height: opts.height ?? Number(fig.layout.height ?? DEFAULT_HEIGHT),
  });
}

/** Pixels between an axis' tick labels and its title. */
export const AXIS_TITLE_STANDOFF = 12;

/** Shared layout defaults. */
export function baseLayout(opts: {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  height?: number;
}): Record<string, unknown> {
  return {
    title: { text: opts.title ?? "" },
    height: opts.height ?? DEFAULT_HEIGHT,
    margin: { l: 64, r: 24, t: opts.title ? 56 : 24, b: 56 },
    // automargin with a set standoff: plotly.js grows the margin to fit the tick labels and puts
    // the title that far beyond them, so a title never sits on long tick labels (category labels
    // such as "p = 1/16" are wider than the 64 px margin; without a standoff the title stays put).
    xaxis: { title: { text: opts.xTitle ?? "", standoff: AXIS_TITLE_STANDOFF }, zeroline: false, automargin: true },
    yaxis: { title: { text: opts.yTitle ?? "", standoff: AXIS_TITLE_STANDOFF }, zeroline: false, automargin: true },
    hovermode: "closest",
    legend: { orientation: "v" },
  };
}

/** One line of a line plot. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Legend group: series with the same group toggle together (e.g. one run's train and test). */
  group?: string;
  color?: string;
  dash?: "solid" | "dot" | "dash" | "dashdot";
  mode?: "lines" | "markers" | "lines+markers";
  /** Symmetric error bars (e.g. the spread over seeds). */
  error?: ArrayLike<number>;
  /** Hide from the legend (e.g. the second split of a run). */
  showLegend?: boolean;
}

export interface LineFigureOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
  yRange?: [number, number];
  height?: number;
}

/** Line plot of several series (training curves of several runs, bounds against T, …). */
export function lineFigure(series: LineSeries[], opts: LineFigureOptions = {}): Figure {
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) {
      throw new Error(
        `lineFigure: series ${i} (${JSON.stringify(s.name)}) has ${s.x.length} x values but ${s.y.length} y values; they must match`,
      );
    }
  });
  const layout = baseLayout(opts);
  if (opts.logX) (layout.xaxis as Record<string, unknown>).type = "log";
  if (opts.logY) (layout.yaxis as Record<string, unknown>).type = "log";
  if (opts.yRange) (layout.yaxis as Record<string, unknown>).range = opts.yRange;
  const data = series.map((s, i) => {
    const trace: Trace = {
      type: "scatter",
      mode: s.mode ?? "lines",
      name: s.name,
      x: Array.from(s.x, finiteOrNull),
      y: Array.from(s.y, finiteOrNull),
      line: { color: s.color ?? colorAt(i), dash: s.dash ?? "solid", width: 2 },
      marker: { color: s.color ?? colorAt(i) },
    };
    if (s.group !== undefined) trace.legendgroup = s.group;
    if (s.showLegend === false) trace.showlegend = false;
    if (s.error) trace.error_y = { type: "data", array: Array.from(s.error, finiteOrNull), visible: true };
    return trace;
  });
  return { data, layout };
}

/** JSON has no NaN/Infinity; Plotly draws a gap for null. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** One group of a histogram. */
export interface HistogramGroup {
  name: string;
  values: ArrayLike<number>;
  color?: string;
}

export interface HistogramOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Number of equal-width bins over the common range of all groups (default 60). */
  bins?: number;
  /** Bin log10 of the values (non-positive values are dropped and counted in the legend). */
  log10?: boolean;
  /** "count" (default) or "fraction" of each group's values per bin. */
  normalize?: "count" | "fraction";
  height?: number;
}

/**
 * Equal-width bins spanning every finite value of every group (a unit range when there is none,
 * a unit-wide range around a single value), so that several groups share one x axis.
 */
export function sharedBins(
  groups: Iterable<ArrayLike<number>>,
  bins: number,
): { lo: number; hi: number; width: number; centers: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of groups) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  return { lo, hi, width, centers: Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * width) };
}

/**
 * Histograms of several groups over shared bins, drawn as overlaid bars. Binning happens here,
 * not in the browser, so a histogram of millions of values (per-coordinate step sizes of a network)
 * stores only the bin counts in the notebook.
 */
export function histogramFigure(groups: HistogramGroup[], opts: HistogramOptions = {}): Figure {
  const bins = opts.bins ?? 60;
  if (!Number.isInteger(bins) || bins < 1 || bins > 10000) {
    throw new Error(`histogramFigure: bins is ${bins}; allowed: an integer from 1 to 10000`);
  }
  const prepared = groups.map((g) => {
    const out: number[] = [];
    let dropped = 0;
    for (let i = 0; i < g.values.length; i++) {
      const v = g.values[i];
      if (!Number.isFinite(v) || (opts.log10 && v <= 0)) {
        dropped++;
        continue;
      }
      out.push(opts.log10 ? Math.log10(v) : v);
    }
    return { group: g, values: out, dropped };
  });
  const { lo, width, centers } = sharedBins(
    prepared.map((p) => p.values),
    bins,
  );
  const data: Trace[] = prepared.map((p, gi) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of p.values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    const y = opts.normalize === "fraction" && p.values.length > 0 ? counts.map((c) => c / p.values.length) : counts;
    const name =
      p.dropped > 0
        ? `${p.group.name} (${p.dropped} ${opts.log10 ? "non-positive/" : ""}non-finite dropped)`
        : p.group.name;
    return {
      type: "bar",
      name,
      x: centers,
      y,
      width,
      marker: { color: p.group.color ?? colorAt(gi) },
      opacity: groups.length > 1 ? 0.6 : 0.9,
    };
  });
  const layout = baseLayout({
    ...opts,
    xTitle: opts.xTitle ?? (opts.log10 ? "log10(value)" : "value"),
    yTitle: opts.yTitle ?? (opts.normalize === "fraction" ? "fraction" : "count"),
  });
  layout.barmode = "overlay";
  layout.bargap = 0;
  return { data, layout };
}

export interface HeatmapOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  zTitle?: string;
  /** Write each cell's value on the cell with this d3 format (e.g. ".3f"); none if omitted. */
  textFormat?: string;
  colorscale?: string;
  reverseScale?: boolean;
  height?: number;
}

/** Heatmap of a grid, e.g. final accuracy over learning rate × p; `z[row][col]` with rows along y. */
export function heatmapFigure(
  x: (string | number)[],
  y: (string | number)[],
  z: number[][],
  opts: HeatmapOptions = {},
): Figure {
  if (z.length !== y.length || z.some((row) => row.length !== x.length)) {
    throw new Error(
      `heatmapFigure: z must have ${y.length} rows (one per y) of ${x.length} values (one per x); got ${z.length} rows of lengths ${z.map((r) => r.length).join(",")}`,
    );
  }
  const trace: Trace = {
    type: "heatmap",
    x: x.map(String),
    y: y.map(String),
    z: z.map((row) => row.map(finiteOrNull)),
    colorscale: opts.colorscale ?? "Viridis",
    reversescale: Boolean(opts.reverseScale),
    colorbar: { title: { text: opts.zTitle ?? "" } },
    hoverongaps: false,
  };
  if (opts.textFormat) trace.texttemplate = `%{z:${opts.textFormat}}`;
  const layout = baseLayout(opts);
  (layout.xaxis as Record<string, unknown>).type = "category";
  (layout.yaxis as Record<string, unknown>).type = "category";
  return { data: [trace], layout };
}

/** One group of bars (e.g. one optimizer across networks). */
export interface BarGroup {
  name: string;
  x: string[];
  y: ArrayLike<number>;
  error?: ArrayLike<number>;
  color?: string;
}

export interface BarOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  barmode?: "group" | "stack";
  yRange?: [number, number];
  height?: number;
}

/** Grouped (or stacked) bar chart, e.g. test error per network and optimizer against the paper. */
export function barFigure(groups: BarGroup[], opts: BarOptions = {}): Figure {
  groups.forEach((g, i) => {
    if (g.x.length !== g.y.length) {
      throw new Error(
        `barFigure: group ${i} (${JSON.stringify(g.name)}) has ${g.x.length} labels but ${g.y.length} values; they must match`,
      );
    }
  });
  const data = groups.map((g, i) => {
    const trace: Trace = {
      type: "bar",
      name: g.name,
      x: g.x,
      y: Array.from(g.y, finiteOrNull),
      marker: { color: g.color ?? colorAt(i) },
    };
    if (g.error) trace.error_y = { type: "data", array: Array.from(g.error, finiteOrNull), visible: true };
    return trace;
  });
  const layout = baseLayout(opts);
  layout.barmode = opts.barmode ?? "group";
  if (opts.yRange) (layout.yaxis as Record<string, unknown>).range = opts.yRange;
  return { data, layout };
}
