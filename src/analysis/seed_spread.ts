/**
 * The spread over seeds drawn and listed: per optimizer setting, the mean with its 95 % interval
 * and every seed's value. Labels are the groups' labels from `collectExperiments`, unique within
 * an experiment (the variant is part of the label), so two settings of one optimizer are never
 * drawn as one bar.
 *
 * Used by notebook 08-summary (and any notebook that trains several seeds).
 */
import { barFigure, type Figure, type Trace } from "../notebook/plotly";
import type { Experiment, StatKey } from "./results_table";

/** Name of an experiment in a legend: the preset and what differs from it. */
export function experimentName(exp: Pick<Experiment, "preset" | "variant">): string {
  return `${exp.preset}${exp.variant ? ` (${exp.variant})` : ""}`;
}

/**
 * Bars of `stat` (default final test accuracy) per optimizer setting, one colour per experiment:
 * height = mean over seeds, error bar = the 95 % t interval (none for a single seed: its spread is
 * unknown, not zero), and one dot per seed over its bar. Experiments without the statistic are left
 * out; throws when none has it.
 */
export function spreadFigure(
  experiments: readonly Experiment[],
  opts: { stat?: StatKey; title?: string; yTitle?: string } = {},
): Figure {
  const stat = opts.stat ?? "finalTestAcc";
  const shown = experiments.filter((e) => e.groups.some((g) => g.stats[stat]));
  if (shown.length === 0)
    throw new Error(
      `spreadFigure: no experiment has the statistic ${JSON.stringify(stat)}; pass experiments with finished runs`,
    );
  const bars = shown.map((e) => {
    const gs = e.groups.filter((g) => g.stats[stat]);
    const ss = gs.map((g) => g.stats[stat]!);
    return {
      name: experimentName(e),
      x: gs.map((g) => g.label),
      y: ss.map((s) => s.mean),
      error: ss.map((s) => (s.n > 1 ? s.ci[1] - s.mean : NaN)),
    };
  });
  const fig = barFigure(bars, {
    title: opts.title ?? "Mean over seeds with its 95 % interval (bars); every seed (dots)",
    yTitle: opts.yTitle ?? (stat.endsWith("Acc") ? "test accuracy (%)" : stat),
  });
  const dots: Trace[] = shown.map((e, i) => {
    const gs = e.groups.filter((g) => g.stats[stat]);
    return {
      type: "scatter",
      mode: "markers",
      name: `${experimentName(e)}: seeds`,
      showlegend: false,
      offsetgroup: String(i),
      x: gs.flatMap((g) => g.stats[stat]!.values.map(() => g.label)),
      y: gs.flatMap((g) => g.stats[stat]!.values),
      marker: { color: "#222", size: 6, symbol: "circle-open" },
    };
  });
  fig.data.forEach((t, i) => (t.offsetgroup = String(i)));
  fig.data.push(...dots);
  // Plotly places a scatter trace beside its bar only in "group" scatter mode (offsetgroup).
  fig.layout.scattermode = "group";
  return fig;
}

/**
 * One row per optimizer setting of an experiment for `stat` (default final test accuracy):
 * label, number of seeds, mean, 95 % interval ("" for one seed), every seed's value, and the test
 * set's binomial SE where known.
 */
export function seedRows(
  exp: Experiment,
  stat: StatKey = "finalTestAcc",
  digits = 2,
): Record<string, string | number>[] {
  return exp.groups
    .filter((g) => g.stats[stat])
    .map((g) => {
      const s = g.stats[stat]!;
      return {
        setting: g.label,
        seeds: s.n,
        mean: s.mean.toFixed(digits),
        "95 % interval": s.n > 1 ? `[${s.ci[0].toFixed(digits)}, ${s.ci[1].toFixed(digits)}]` : "",
        "every seed": s.values
          .map((v, i) => `${v.toFixed(digits)}${s.seeds ? ` (seed ${s.seeds[i]})` : ""}`)
          .join(", "),
        "test-set SE": s.testSe !== undefined ? s.testSe.toFixed(digits) : "",
      };
    });
}
