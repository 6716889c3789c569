/**
 * Training curves: a figure builder over metric records, and a live, in-place updating version
 * that the experiment runner feeds while it trains.
 *
 * Records have the runner's fixed key set `{epoch, step?, split, loss, acc?, ppl?, lr}` (style.md,
 * recommendation 7). Several runs share one figure: one color per run, one dash style per split
 * (train solid, test dashed, others dotted), one panel per metric.
 *
 * Used by 00-quickstart and every notebook that trains.
 */
import { canDisplay, displayBundle, newDisplayId } from "./display";
import { baseLayout, colorAt, DEFAULT_HEIGHT, Figure, figureBundle, initPlotly, showFigure, Trace } from "./plotly";

/** One logged measurement (per step or per epoch). */
export interface MetricRecord {
  epoch: number;
  step?: number;
  /** "train", "test", "val", … */
  split: string;
  loss: number;
  acc?: number;
  ppl?: number;
  lr: number;
  wallMs?: number;
}

export type CurveMetric = "loss" | "acc" | "ppl";

/**
 * x axis: "step" (records without a step sit at the last step seen in their run, so epoch-end test
 * records line up with training), "epoch", or "auto" (step if the run logged any step, else epoch).
 */
export type CurveX = "auto" | "step" | "epoch";

export interface CurveRun {
  name: string;
  records: readonly MetricRecord[];
}

export interface CurvesOptions {
  /** One panel per metric, side by side (default: loss, plus acc and/or ppl when logged). */
  metrics?: CurveMetric[];
  /** Splits to draw (default: all). */
  splits?: string[];
  x?: CurveX;
  title?: string;
  logLoss?: boolean;
  height?: number;
  /** Keep at most this many points per trace, evenly thinned, always keeping the last (default 2000). */
  maxPoints?: number;
}

const METRIC_TITLES: Record<CurveMetric, string> = { loss: "loss", acc: "accuracy", ppl: "perplexity" };

function dashFor(split: string): "solid" | "dash" | "dot" {
  if (split === "train") return "solid";
  if (split === "test" || split === "val" || split === "valid" || split === "validation") return "dash";
  return "dot";
}

/** Metrics present in the records, in panel order. */
export function metricsPresent(runs: CurveRun[]): CurveMetric[] {
  const out: CurveMetric[] = ["loss"];
  if (runs.some((r) => r.records.some((rec) => rec.acc !== undefined))) out.push("acc");
  if (runs.some((r) => r.records.some((rec) => rec.ppl !== undefined))) out.push("ppl");
  return out;
}

/** The x values of one run's records under the given mode. */
export function xValues(records: readonly MetricRecord[], mode: CurveX): number[] {
  const useStep = mode === "step" || (mode === "auto" && records.some((r) => r.step !== undefined));
  if (!useStep) return records.map((r) => r.epoch);
  let last = 0;
  return records.map((r) => {
    if (r.step !== undefined) last = r.step;
    return last;
  });
}

function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const stride = Math.ceil(items.length / max);
  const out = items.filter((_, i) => i % stride === 0);
  if (out[out.length - 1] !== items[items.length - 1]) out.push(items[items.length - 1]);
  return out;
}

/** Training curves of several runs: one panel per metric, a color per run, a dash per split. */
export function curvesFigure(runs: CurveRun[], opts: CurvesOptions = {}): Figure {
  const metrics = opts.metrics ?? metricsPresent(runs);
  if (metrics.length === 0) throw new Error("curvesFigure: metrics is empty; give at least one of loss, acc, ppl");
  for (const m of metrics) {
    if (!(m in METRIC_TITLES))
      throw new Error(`curvesFigure: metric ${JSON.stringify(m)} is not allowed; allowed: loss, acc, ppl`);
  }
  const xMode = opts.x ?? "auto";
  const maxPoints = opts.maxPoints ?? 2000;
  const layout = baseLayout({ title: opts.title, height: opts.height });
  const gap = 0.08;
  const width = (1 - gap * (metrics.length - 1)) / metrics.length;
  const anyStep = runs.some((r) => r.records.some((rec) => rec.step !== undefined));
  const xTitle = xMode === "epoch" || (xMode === "auto" && !anyStep) ? "epoch" : "step";
  const data: Trace[] = [];
  metrics.forEach((metric, pi) => {
    const suffix = pi === 0 ? "" : String(pi + 1);
    const xaxis: Record<string, unknown> = {
      domain: [pi * (width + gap), pi * (width + gap) + width],
      title: { text: xTitle },
      anchor: `y${suffix}`,
    };
    const yaxis: Record<string, unknown> = { title: { text: METRIC_TITLES[metric] }, anchor: `x${suffix}` };
    if (metric === "loss" && opts.logLoss) yaxis.type = "log";
    layout[`xaxis${suffix}`] = xaxis;
    layout[`yaxis${suffix}`] = yaxis;
    runs.forEach((run, ri) => {
      const xs = xValues(run.records, xMode);
      const splits = Array.from(new Set(run.records.map((r) => r.split))).filter(
        (s) => !opts.splits || opts.splits.includes(s),
      );
      for (const split of splits) {
        const points: [number, number | null][] = [];
        run.records.forEach((rec, i) => {
          if (rec.split !== split) return;
          const v = rec[metric];
          if (v === undefined) return;
          points.push([xs[i], Number.isFinite(v) ? v : null]);
        });
        if (points.length === 0) continue;
        const kept = thin(points, maxPoints);
        data.push({
          type: "scatter",
          mode: kept.length === 1 ? "markers" : kept.length <= 30 ? "lines+markers" : "lines",
          name: `${run.name} · ${split}`,
          legendgroup: `${run.name} · ${split}`,
          showlegend: pi === 0,
          x: kept.map((p) => p[0]),
          y: kept.map((p) => p[1]),
          xaxis: `x${suffix}`,
          yaxis: `y${suffix}`,
          line: { color: colorAt(ri), dash: dashFor(split), width: 2 },
          marker: { color: colorAt(ri) },
        });
      }
    });
  });
  placeLongLegend(layout, data.filter((t) => t.showlegend).length, opts.height);
  return { data, layout };
}

/** Legend entries a vertical legend beside the panels holds at the default height before it is cut. */
const VERTICAL_LEGEND_ENTRIES = 10;

/**
 * Puts a legend of more than {@link VERTICAL_LEGEND_ENTRIES} entries below the panels, in rows,
 * and makes the figure taller by those rows, so no entry is cut off in an export.
 */
function placeLongLegend(layout: Record<string, unknown>, entries: number, height?: number): void {
  if (entries <= VERTICAL_LEGEND_ENTRIES) return;
  const rows = Math.ceil(entries / 3);
  layout.legend = { orientation: "h", x: 0, xanchor: "left", y: -0.18, yanchor: "top" };
  layout.height = (height ?? DEFAULT_HEIGHT) + 22 * rows;
}

/** What the experiment runner calls while it trains. */
export interface ProgressHook {
  /** Called for every logged record of the current run. */
  onRecord(record: MetricRecord): void;
  /** Called when a run starts; later records belong to it. */
  startRun?(run: string): void;
  /** Called when a run ends. */
  endRun?(run: string): void;
}

export interface LiveCurvesOptions extends CurvesOptions {
  /** Minimum time between redraws of the live display (default 500 ms); non-train records always redraw. */
  minIntervalMs?: number;
}

/**
 * An in-place training-curve display. Outside a kernel it only collects records (no output, no
 * error), so code that reports progress runs unchanged in tests and scripts.
 */
export interface LiveProgress extends ProgressHook {
  /** Adds a record to `run` (default: the current run from startRun, else "run"). */
  push(record: MetricRecord, run?: string): void;
  /** A callback bound to one run: `runner({ onProgress: live.hook("padam") })`. */
  hook(run: string): (record: MetricRecord) => void;
  /** The collected runs, in order of first appearance. */
  runs(): CurveRun[];
  /** The current figure. */
  figure(): Figure;
  /** Redraws now. */
  flush(): void;
  /** Final redraw; with `name`, also exports the final figure to figures/<notebook>/<name>.svg|png. */
  finish(opts?: { name?: string }): Promise<void>;
  /** Later records without an explicit run belong to `run`. */
  startRun(run: string): void;
  /** Redraws if records arrived since the last redraw. */
  endRun(run: string): void;
  /** Number of redraws sent so far (0 outside a kernel). */
  readonly redraws: number;
}

function checkRecord(record: MetricRecord): void {
  const bad = (field: string, allowed: string): never => {
    throw new Error(
      `live curves: record.${field} is ${JSON.stringify((record as unknown as Record<string, unknown>)[field])}; allowed: ${allowed} (record ${JSON.stringify(record)})`,
    );
  };
  if (record === null || typeof record !== "object")
    throw new Error(
      `live curves: record is ${JSON.stringify(record)}; allowed: an object {epoch, step?, split, loss, acc?, ppl?, lr}`,
    );
  if (typeof record.epoch !== "number" || Number.isNaN(record.epoch)) bad("epoch", "a number");
  if (record.step !== undefined && (typeof record.step !== "number" || Number.isNaN(record.step)))
    bad("step", "a number or undefined");
  if (typeof record.split !== "string" || record.split === "")
    bad("split", 'a non-empty string such as "train" or "test"');
  if (typeof record.loss !== "number") bad("loss", "a number (NaN/Infinity are drawn as gaps)");
  if (typeof record.lr !== "number") bad("lr", "a number");
  if (record.acc !== undefined && typeof record.acc !== "number") bad("acc", "a number or undefined");
  if (record.ppl !== undefined && typeof record.ppl !== "number") bad("ppl", "a number or undefined");
}

function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined) return "";
  return Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v);
}

/** One status line per run: its latest record. */
function statusText(runs: CurveRun[]): string {
  return runs
    .map((run) => {
      const r = run.records[run.records.length - 1];
      const parts = [`epoch ${r.epoch}`];
      if (r.step !== undefined) parts.push(`step ${r.step}`);
      parts.push(`${r.split} loss ${fmt(r.loss)}`);
      if (r.acc !== undefined) parts.push(`acc ${fmt(r.acc)}`);
      if (r.ppl !== undefined) parts.push(`ppl ${fmt(r.ppl)}`);
      parts.push(`lr ${fmt(r.lr, 3)}`);
      return `${run.name}: ${parts.join(", ")}`;
    })
    .join("\n");
}

/**
 * Creates live training curves. Typical use in a notebook:
 *
 * ```ts
 * const live = createLiveCurves({ title: "Fashion-MNIST" });
 * for (const opt of ["adam", "padam"]) await train({ ..., progress: live.hook(opt) });
 * await live.finish({ name: "curves" });
 * ```
 */
export function createLiveCurves(opts: LiveCurvesOptions = {}): LiveProgress {
  const minInterval = opts.minIntervalMs ?? 500;
  if (!(minInterval >= 0)) throw new Error(`createLiveCurves: minIntervalMs is ${minInterval}; allowed: a number >= 0`);
  const order: string[] = [];
  const byRun = new Map<string, MetricRecord[]>();
  const displayId = newDisplayId();
  let current = "run";
  let shown = false;
  let lastDraw = 0;
  let redraws = 0;
  let dirty = false;

  const runs = (): CurveRun[] => order.map((name) => ({ name, records: byRun.get(name) as MetricRecord[] }));
  const figure = (): Figure => curvesFigure(runs(), opts);

  const draw = (): void => {
    dirty = false;
    if (order.length === 0 || !canDisplay()) return;
    initPlotly();
    const bundle = figureBundle(figure());
    bundle["text/plain"] = statusText(runs());
    displayBundle(bundle, { displayId, update: shown });
    shown = true;
    redraws++;
    lastDraw = Date.now();
  };

  const push = (record: MetricRecord, run?: string): void => {
    checkRecord(record);
    const name = run ?? current;
    let list = byRun.get(name);
    if (!list) {
      list = [];
      byRun.set(name, list);
      order.push(name);
    }
    list.push({ ...record });
    dirty = true;
    if (record.split !== "train" || Date.now() - lastDraw >= minInterval) draw();
  };

  return {
    push,
    onRecord: (record: MetricRecord) => push(record),
    startRun: (run: string) => {
      current = run;
    },
    endRun: () => {
      if (dirty) draw();
    },
    hook: (run: string) => (record: MetricRecord) => push(record, run),
    runs,
    figure,
    flush: draw,
    finish: async (finishOpts: { name?: string } = {}) => {
      draw();
      if (!finishOpts.name) return;
      // The live display already shows the final state; only the files are written here. Nothing
      // is returned: a notebook cell ending in `await live.finish(...)` would echo it into the
      // report (the files are named in the export's log line).
      await showFigure(figure(), { name: finishOpts.name, target: { displayId, update: shown } });
    },
    get redraws() {
      return redraws;
    },
  };
}
