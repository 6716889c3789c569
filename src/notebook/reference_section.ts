/**
 * The section a notebook shows for one committed reference experiment (`results/<name>/`):
 * the provenance line, the tuning table behind each chosen lr, per experiment the results
 * against the paper with 95 % intervals and every seed, the mean test curves over seeds, the
 * spread figure, the claims with their verdicts and intervals, the outcome in sentences generated
 * from those verdicts, and the measured cost per step. Without committed results it shows the
 * one provenance line ("No committed results for … yet: create them with …") and returns.
 */
import { loadReferenceResults, type ReferenceResults } from "../analysis/reference_results";
import {
  claimRow,
  distinctLines,
  experimentClaims,
  meanCurves,
  outcomeSentences,
  rankingStat,
  settingCosts,
} from "../analysis/reference_report";
import { comparisonRows, experimentCaption, type Experiment } from "../analysis/results_table";
import { markEpochs } from "../analysis/run_phases";
import { spreadFigure } from "../analysis/seed_spread";
import { displayHtml, escapeHtml } from "./display";
import { lineFigure, showFigure } from "./plotly";
import { showTable } from "./table";

export interface ReferenceSectionOptions {
  /** Root of the committed results (default `results/`). */
  root?: string;
  /** Digits of the tables (default 2; 1 suits perplexities). */
  digits?: number;
  /** Draw the mean curves per epoch (default true). */
  curves?: boolean;
  /** Export the figures to `figures/<notebook>/` (default true). */
  export?: boolean;
}

/** Text as HTML: escaped, with spans in backquotes as code elements. */
export function textHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

/** Sentences as an HTML list (see {@link textHtml}). */
export function sentencesHtml(sentences: readonly string[]): string {
  return `<ul>${sentences.map((s) => `<li>${textHtml(s)}</li>`).join("")}</ul>`;
}

function showTuning(r: ReferenceResults): void {
  if (r.tuning.length === 0) return;
  const ppl = r.experiment.metric === "ppl";
  void showTable(
    r.tuning.map((t) => ({
      optimizer: t.optimizer,
      lr: t.learningRate,
      status: t.status,
      [ppl ? "validation perplexity" : "validation accuracy (%)"]:
        t.score === undefined ? "" : ppl ? t.score : 100 * t.score,
      chosen: t.chosen ? "chosen" : "",
    })),
    {
      caption: `${r.experiment.name}: learning-rate tuning on the validation split (seed 0, shorter runs); the chosen lr is the best validation score`,
    },
  );
}

async function showExperiment(r: ReferenceResults, exp: Experiment, opts: ReferenceSectionOptions): Promise<void> {
  const name = r.experiment.name;
  const stat = rankingStat(exp);
  void showTable(comparisonRows(exp, { digits: opts.digits ?? 2 }), {
    caption: `${name}: ${experimentCaption(exp)}; mean over seeds [95 % interval]`,
  });
  if (opts.curves ?? true) {
    const ppl = stat === "finalTestPpl";
    const series = meanCurves(exp, ppl ? "valid" : "test", ppl ? "ppl" : "error");
    const milestones = exp.groups[0]?.runs[0]?.config.schedule?.milestones ?? [];
    const fig = lineFigure(series, {
      title: `${name}: ${ppl ? "validation perplexity" : "test error"} per epoch, mean over seeds`,
      xTitle: "epoch",
      yTitle: ppl ? "validation perplexity" : "test error (%)",
      logY: ppl,
    });
    await showFigure(distinctLines(markEpochs(fig, milestones)), { name: `${name}-curves`, export: opts.export });
  }
  const spread = spreadFigure([exp], {
    stat,
    title: `${name}: mean over seeds, 95 % interval, every seed`,
    yTitle: stat === "finalTestPpl" ? "test perplexity" : "final test accuracy (%)",
  });
  // One experiment: its legend entry would repeat the long variant; the title names it.
  spread.data.forEach((t) => (t.showlegend = false));
  await showFigure(spread, { name: `${name}-spread`, export: opts.export });
  const claims = experimentClaims(exp);
  if (claims.length)
    void showTable(claims.map(claimRow), {
      caption: `${name}: the paper's claims, each decided two-sided with the interval it is read from`,
    });
}

/**
 * Shows the committed results of reference experiment `name` (see the module comment) and
 * returns them, so the notebook can use the numbers further.
 */
export async function showReferenceResults(
  name: string,
  opts: ReferenceSectionOptions = {},
): Promise<ReferenceResults> {
  const r = loadReferenceResults(name, { root: opts.root });
  displayHtml(
    `<p><b>${escapeHtml(name)}</b> (${escapeHtml(r.experiment.question)}). ${textHtml(r.provenanceLine)}</p>`,
  );
  if (r.experiments.length === 0 && r.tuning.every((t) => t.status === "missing")) return r;
  showTuning(r);
  for (const exp of r.experiments) await showExperiment(r, exp, opts);
  const costs = settingCosts(r);
  if (costs.length) {
    void showTable(
      costs.map((c) => ({
        setting: c.setting,
        runs: c.runs,
        "steps per run": c.steps,
        "s per step (measured)": c.secondsPerStep,
        "h per run": c.hoursPerRun,
      })),
      { caption: `${name}: wall time per optimizer step and per run, from the runs' provenance (evaluation included)` },
    );
  }
  displayHtml(sentencesHtml(outcomeSentences(r)));
  return r;
}
