/**
 * The committed reference results of one experiment (`results/<experiment>/`), ready for a
 * notebook: the tuning table behind each chosen lr, the final runs grouped over seeds with their
 * statistics and claim verdicts, whether each run is current for today's sources, and one
 * provenance line (dates, revision, backend, training hours). Notebooks 01, 04, 06, 07 and 08
 * show these by default and train only a small live check themselves.
 */
import { canonicalJson, type ExperimentConfig } from "../experiment/config";
import { freshness, type Provenance } from "../experiment/provenance";
import { finalConfigs, referenceExperiment, type ReferenceExperiment } from "../experiment/reference";
import { chooseLearningRates, experimentRunsDir, type TuningRow } from "../experiment/reproduce";
import { RunDir, scanRuns, type StoredRun } from "../experiment/store";
import { checkClaims, collectExperiments, type ClaimCheck, type Experiment } from "./results_table";

export interface ReferenceResults {
  experiment: ReferenceExperiment;
  /** Where the runs were read from. */
  dir: string;
  /** Every grid point of the tuning stage, with its validation score and whether it was chosen. */
  tuning: TuningRow[];
  /** Final runs (chosen lr, seeds) found, grouped and summarized over seeds; empty when none. */
  experiments: Experiment[];
  claims: ClaimCheck[];
  /** Final runs planned and found finished. */
  planned: number;
  finished: number;
  /** Run ids whose determining sources differ from today's and were not re-verified. */
  stale: string[];
  /** Unreadable run directories (reported, not used). */
  problems: string[];
  /** Total training wall time of every run of the experiment (tuning included), in hours. */
  trainingHours: number;
  /** "Reference results of 2026-12-02…2026-12-04 at revision 1a2b3c4, wasm with 2 threads on <cpu>; 3.1 h of training" */
  provenanceLine: string;
}

function matching(runs: StoredRun[], configs: ExperimentConfig[]): StoredRun[] {
  const wanted = new Set(configs.map((c) => canonicalJson(c)));
  return runs.filter((r) => wanted.has(canonicalJson(r.config)));
}

function describeProvenance(
  name: string,
  all: StoredRun[],
  provenances: (Provenance | undefined)[],
  hours: number,
): string {
  const known = provenances.filter((p): p is Provenance => p !== undefined);
  if (known.length === 0)
    return `No committed results for ${name} yet: create them with \`npm run reproduce -- ${name}\`.`;
  const dates = known.map((p) => p.created.slice(0, 10)).sort();
  // Oldest first; a long sweep spans many commits, so more than three are shown as a range.
  const revisions = [
    ...new Set(
      [...known]
        .sort((a, b) => a.created.localeCompare(b.created))
        .map((p) => (p.revision ?? "unknown").slice(0, 7) + (p.dirty ? "+changes" : "")),
    ),
  ];
  const revisionText =
    revisions.length === 1
      ? `revision ${revisions[0]}`
      : revisions.length <= 3
        ? `revisions ${revisions.join(", ")}`
        : `${revisions.length} revisions from ${revisions[0]} to ${revisions[revisions.length - 1]}`;
  const backends = [
    ...new Set(known.map((p) => `${p.backend?.name ?? "?"} with ${p.backend?.threads ?? "?"} thread(s)`)),
  ];
  const machines = [...new Set(known.map((p) => `${p.machine.cores}-core ${p.machine.cpu}`))];
  const span = dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`;
  return (
    `Reference results (${all.length} runs) made ${span} at ${revisionText}, ` +
    `${backends.join(" / ")} on ${machines.join(" / ")}; ${hours.toFixed(1)} h of training in all.`
  );
}

/** Reads the committed results of `name` (see the module comment); `root` overrides `results/`. */
export function loadReferenceResults(name: string, options: { root?: string } = {}): ReferenceResults {
  const experiment = referenceExperiment(name);
  const dir = experimentRunsDir(name, options.root);
  const { runs, problems } = scanRuns(dir);
  const { chosen, rows } = experiment.tuning ? chooseLearningRates(experiment, runs) : { chosen: {}, rows: [] };
  const plannedConfigs = finalConfigs(experiment, chosen);
  const finals = matching(runs, plannedConfigs);
  const provenances = runs.map((r) => new RunDir(r.dir).provenance());
  const stale = runs.filter((_, i) => freshness(provenances[i]) === "stale").map((r) => r.id);
  const current = finals.filter((r) => !stale.includes(r.id));
  const experiments = collectExperiments(
    current.map((r) => ({ id: r.id, config: r.config, status: r.status, metrics: r.metrics })),
  );
  const trainingHours = provenances.reduce((h, p) => h + (p?.wallMs ?? 0), 0) / 3.6e6;
  return {
    experiment,
    dir,
    tuning: rows,
    experiments,
    claims: experiments.flatMap((e) => checkClaims(e)),
    planned: plannedConfigs.length,
    finished: finals.filter((r) => r.status?.status === "finished").length,
    stale,
    problems,
    trainingHours,
    provenanceLine: describeProvenance(name, runs, provenances, trainingHours),
  };
}
