/**
 * Early progress versus final generalization, read from a run's per-epoch metrics: the numbers
 * behind the paper's claim that Padam trains about as fast as Adam/AMSGrad early and ends
 * matching or beating SGD-momentum after the learning-rate decay (docs/paper-notes.md §5, §6),
 * and the p-sweep (p = 1/4 too adaptive, p = 1/16 SGD-like).
 * Used by notebooks 01-motivation and 07-p-sweep.
 */
import type { Figure, LineSeries } from "../notebook/plotly";
import type { MetricLine } from "../experiment/store";
import { runNumbers, type RunNumbers } from "./statistics";

/** One run's phase numbers ({@link RunNumbers}) under a label. */
export type PhaseSummary = { label: string } & RunNumbers;

/** Summarizes one run (see {@link runNumbers}); `earlyEpoch` defaults to 0 (after the first epoch). */
export function phaseSummary(
  label: string,
  metrics: readonly MetricLine[],
  opts: { earlyEpoch?: number } = {},
): PhaseSummary {
  return { label, ...runNumbers(metrics, opts) };
}

/**
 * One line per run of a per-epoch quantity: "loss" (of `split`), "acc" or "error" (1 − acc,
 * in %, as the paper plots test error). x is the epoch number counted from 1.
 */
export function epochSeries(
  runs: readonly { label: string; metrics: readonly MetricLine[] }[],
  split: MetricLine["split"],
  quantity: "loss" | "acc" | "error",
): LineSeries[] {
  if (!["loss", "acc", "error"].includes(quantity))
    throw new Error(`epochSeries: quantity = ${JSON.stringify(quantity)} is invalid; allowed: loss, acc, error`);
  return runs.map((r) => {
    const lines = r.metrics.filter((m) => m.split === split);
    const y = lines.map((m) =>
      quantity === "loss" ? m.loss : m.acc === undefined ? NaN : quantity === "acc" ? 100 * m.acc : 100 * (1 - m.acc),
    );
    return { name: r.label, x: lines.map((m) => m.epoch + 1), y, mode: "lines+markers" as const };
  });
}

/**
 * A matrix for a heatmap from a list of items: rows and columns in the order given, `z[row][col]`
 * = value of the item with that row and column key (NaN where none). Duplicate cells are an error.
 */
export function gridMatrix<T>(
  items: readonly T[],
  rows: readonly (string | number)[],
  cols: readonly (string | number)[],
  key: (item: T) => { row: string | number; col: string | number },
  value: (item: T) => number,
): number[][] {
  const z = rows.map(() => cols.map(() => NaN));
  const seen = new Set<string>();
  for (const item of items) {
    const { row, col } = key(item);
    const r = rows.indexOf(row);
    const c = cols.indexOf(col);
    if (r < 0 || c < 0)
      throw new Error(
        `gridMatrix: item at row ${JSON.stringify(row)}, column ${JSON.stringify(col)} is outside the grid; rows: ${JSON.stringify(rows)}, columns: ${JSON.stringify(cols)}`,
      );
    const id = `${r}/${c}`;
    if (seen.has(id))
      throw new Error(`gridMatrix: two items for row ${JSON.stringify(row)}, column ${JSON.stringify(col)}`);
    seen.add(id);
    z[r][c] = value(item);
  }
  return z;
}

/**
 * Marks learning-rate decays on an epoch axis (x = epoch counted from 1, as {@link epochSeries}):
 * a dotted vertical line between the last epoch before each decay and the first after it.
 * `decayEpochs` are 0-based (as `schedule.milestones`). Returns the same figure.
 */
export function markEpochs(fig: Figure, decayEpochs: readonly number[], text = "lr ×0.1"): Figure {
  const shapes = ((fig.layout.shapes as Record<string, unknown>[] | undefined) ?? []).slice();
  const annotations = ((fig.layout.annotations as Record<string, unknown>[] | undefined) ?? []).slice();
  for (const e of decayEpochs) {
    if (!Number.isInteger(e) || e < 0)
      throw new Error(`markEpochs: epoch = ${e} is invalid; allowed: integers >= 0 (0-based milestones)`);
    const x = e + 0.5;
    shapes.push({
      type: "line",
      xref: "x",
      yref: "paper",
      x0: x,
      x1: x,
      y0: 0,
      y1: 1,
      line: { color: "#888", dash: "dot", width: 1 },
    });
    annotations.push({
      text,
      x,
      xref: "x",
      y: 1,
      yref: "paper",
      showarrow: false,
      xanchor: "left",
      yanchor: "top",
      font: { size: 11, color: "#666" },
    });
  }
  fig.layout.shapes = shapes;
  fig.layout.annotations = annotations;
  return fig;
}
