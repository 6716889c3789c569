/**
 * Side-by-side histograms with shared bins, one panel per layer: the figures of notebook 02
 * (per-layer effective step sizes for several p on a log scale, and the updates |dx| one step
 * applied), plus the per-layer relative update ||dx||/||x||. Binning happens here, so a figure
 * over a whole network's coordinates stores only bin counts in the notebook.
 */
import { barFigure, baseLayout, colorAt, sharedBins, type Figure, type Trace } from "../notebook/plotly";
import {
  byLayer,
  summarizeSteps,
  type LayerUpdate,
  type StepSummary,
  type WeightMoments,
  type WeightUpdate,
} from "./effective_steps";

export interface FacetPanel {
  /** Panel title, e.g. the layer name. */
  title: string;
  /** One histogram per group (e.g. per p), overlaid in the panel. */
  groups: { name: string; values: ArrayLike<number> }[];
}

export interface FacetHistogramOptions {
  title?: string;
  /** x-axis title (default "log10(value)" with log10, else "value"). */
  xTitle?: string;
  /** Bins over the common range of all panels (default 50). */
  bins?: number;
  /** Bin log10 of the values; non-positive and non-finite values are dropped (default true). */
  log10?: boolean;
  /** Panels per row (default: all in one row). */
  columns?: number;
  height?: number;
}

export interface BinnedGroup {
  name: string;
  /** Fraction of the group's kept values per bin. */
  fractions: number[];
  kept: number;
  dropped: number;
}

/** Shared equal-width bins over all values of all panels; fractions per group. */
export function binPanels(
  panels: FacetPanel[],
  bins: number,
  log10: boolean,
): { centers: number[]; width: number; panels: { title: string; groups: BinnedGroup[] }[] } {
  if (!Number.isInteger(bins) || bins < 1 || bins > 10000)
    throw new Error(`binPanels: bins = ${bins} is invalid; allowed: an integer from 1 to 10000`);
  if (panels.length === 0) throw new Error("binPanels: panels is empty; allowed: at least one panel");
  const transform = (v: number): number | undefined =>
    !Number.isFinite(v) || (log10 && v <= 0) ? undefined : log10 ? Math.log10(v) : v;
  const transformed = panels.flatMap((p) => p.groups.map((g) => Array.from(g.values, (v) => transform(v) ?? NaN)));
  const { lo, width, centers } = sharedBins(transformed, bins);
  return {
    centers,
    width,
    panels: panels.map((p) => ({
      title: p.title,
      groups: p.groups.map((g) => {
        const counts = new Array<number>(bins).fill(0);
        let kept = 0;
        for (let i = 0; i < g.values.length; i++) {
          const v = transform(g.values[i]);
          if (v === undefined) continue;
          counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
          kept++;
        }
        return {
          name: g.name,
          fractions: counts.map((c) => (kept > 0 ? c / kept : 0)),
          kept,
          dropped: g.values.length - kept,
        };
      }),
    })),
  };
}

/** Overlaid histograms (fraction of each group's values per bin), one panel per entry, shared bins. */
export function facetHistogramFigure(panels: FacetPanel[], opts: FacetHistogramOptions = {}): Figure {
  const log10 = opts.log10 ?? true;
  const binned = binPanels(panels, opts.bins ?? 50, log10);
  const columns = opts.columns ?? panels.length;
  if (!Number.isInteger(columns) || columns < 1)
    throw new Error(`facetHistogramFigure: columns = ${columns} is invalid; allowed: an integer >= 1`);
  const rows = Math.ceil(panels.length / columns);
  const gapX = 0.04;
  const gapY = 0.12;
  const w = (1 - gapX * (columns - 1)) / columns;
  const h = (1 - gapY * (rows - 1)) / rows;
  const layout = baseLayout({ title: opts.title, height: opts.height ?? Math.max(320, 300 * rows) });
  layout.barmode = "overlay";
  layout.bargap = 0;
  const annotations: Record<string, unknown>[] = [];
  const data: Trace[] = [];
  binned.panels.forEach((panel, pi) => {
    const r = Math.floor(pi / columns);
    const c = pi % columns;
    const suffix = pi === 0 ? "" : String(pi + 1);
    const x0 = c * (w + gapX);
    const y1 = 1 - r * (h + gapY);
    layout[`xaxis${suffix}`] = {
      domain: [x0, x0 + w],
      anchor: `y${suffix}`,
      title: { text: r === rows - 1 ? (opts.xTitle ?? (log10 ? "log10(value)" : "value")) : "" },
      zeroline: false,
    };
    layout[`yaxis${suffix}`] = {
      domain: [y1 - h, y1],
      anchor: `x${suffix}`,
      title: { text: c === 0 ? "fraction" : "" },
      zeroline: false,
    };
    annotations.push({
      text: `<b>${panel.title}</b>`,
      showarrow: false,
      xref: "paper",
      yref: "paper",
      x: x0 + w / 2,
      y: y1,
      xanchor: "center",
      yanchor: "bottom",
    });
    panel.groups.forEach((g, gi) => {
      data.push({
        type: "bar",
        name: g.name,
        legendgroup: g.name,
        showlegend: pi === 0,
        x: binned.centers,
        y: g.fractions,
        width: binned.width,
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        marker: { color: colorAt(gi) },
        opacity: panel.groups.length > 1 ? 0.55 : 0.9,
      });
    });
  });
  layout.annotations = annotations;
  return { data, layout };
}

/** One histogram group per variant: a name, the weights' second moments and how to turn them into steps. */
export interface StepVariant {
  name: string;
  moments: WeightMoments[];
  steps: (m: WeightMoments) => ArrayLike<number>;
}

/**
 * Panels by layer (in the order of the first variant's weights), each with one group per
 * variant: the input of {@link facetHistogramFigure} and {@link panelSummaries}. Variants may
 * come from different runs of the same network; a layer missing from a variant is an error.
 */
export function stepPanels(variants: StepVariant[]): FacetPanel[] {
  if (variants.length === 0) throw new Error("stepPanels: variants is empty; allowed: at least one variant");
  const layers = byLayer(variants[0].moments, () => []).map((l) => l.layer);
  const perVariant = variants.map((v) => new Map(byLayer(v.moments, v.steps).map((l) => [l.layer, l.values])));
  return layers.map((layer) => ({
    title: layer,
    groups: variants.map((v, i) => {
      const values = perVariant[i].get(layer);
      if (!values)
        throw new Error(
          `stepPanels: variant ${JSON.stringify(v.name)} has no layer ${JSON.stringify(layer)}; its layers: ${[...perVariant[i].keys()].join(", ")}`,
        );
      return { name: v.name, values };
    }),
  }));
}

/** One row per panel and group: the quantile summary of its values ({@link summarizeSteps}). */
export function panelSummaries(panels: FacetPanel[]): ({ layer: string; group: string } & StepSummary)[] {
  return panels.flatMap((p) => p.groups.map((g) => ({ layer: p.title, group: g.name, ...summarizeSteps(g.values) })));
}

/** A histogram variant of |dx_i|, the update one step applied ({@link appliedUpdates}), for {@link stepPanels}. */
export function updateVariant(name: string, updates: WeightUpdate[]): StepVariant {
  const magnitudes = new Map(updates.map((u) => [u.weight, Float32Array.from(u.dx, Math.abs)]));
  return { name, moments: updates, steps: (m) => magnitudes.get(m.weight) ?? new Float32Array(0) };
}

/**
 * Grouped bars of the relative update ||dx||_2/||x||_2 per layer ({@link layerUpdates}), one
 * group per run, on a log axis (ratios of different runs span decades).
 */
export function updateRatioFigure(
  runs: { name: string; layers: LayerUpdate[] }[],
  opts: { title?: string } = {},
): Figure {
  if (runs.length === 0) throw new Error("updateRatioFigure: runs is empty; allowed: at least one run");
  const fig = barFigure(
    runs.map((r) => ({ name: r.name, x: r.layers.map((l) => l.layer), y: r.layers.map((l) => l.ratio) })),
    {
      title: opts.title,
      xTitle: "layer",
      yTitle: "||dx|| / ||x||",
    },
  );
  (fig.layout.yaxis as Record<string, unknown>).type = "log";
  return fig;
}
