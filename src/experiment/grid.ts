/**
 * Running several configurations one after another for a notebook or a sweep, and reading
 * finished runs back as summary rows. Finished runs are reused from the runs directory, so a
 * notebook re-executed with the same settings draws its plots without retraining.
 */
import { runNumbers, type RunNumbers } from "../analysis/statistics";
import { OPTIMIZERS } from "../optim/registry";
import type { ExperimentConfig } from "./config";
import { runExperiment, type RunResult } from "./runner";
import type { MetricLine } from "./store";

/** What a live display needs (the notebook's `createLiveCurves()` object fits). */
export interface LiveSink {
  push(record: MetricLine, run?: string): void;
  startRun?(run: string): void;
  endRun?(run: string): void;
}

export interface GridOptions {
  runsDir?: string;
  live?: LiveSink;
  /** Legend label of a run (default `runLabel`). */
  label?: (config: ExperimentConfig) => string;
  /** Terminal progress of each run (default: "none" when a live display is given, else "auto"). */
  progress?: "auto" | "none";
}

/** "Padam (p = 1/8)", "SGD-M", "Adam (lr 0.1)" …: the optimizer's label plus what differs from its defaults that matters for plots. */
export function runLabel(config: ExperimentConfig, opts: { lr?: boolean; seed?: boolean } = {}): string {
  let label = OPTIMIZERS[config.optimizer].label;
  const p = config.optimizerOptions.partial;
  if (config.optimizer === "padam" && typeof p === "number") label += ` (p = ${fraction(p)})`;
  if (opts.lr) label += ` lr ${config.optimizerOptions.learningRate}`;
  if (opts.seed) label += ` seed ${config.seed}`;
  return label;
}

/** 0.125 → "1/8"; other values as decimals. */
export function fraction(p: number): string {
  for (const d of [2, 4, 5, 8, 16, 32]) {
    const n = p * d;
    if (Math.abs(n - Math.round(n)) < 1e-12 && Math.round(n) > 0) return `${Math.round(n)}/${d}`;
  }
  return String(p);
}

/** Runs (or reuses) every config in order; unfinished runs are resumed. */
export async function runGrid(
  configs: ExperimentConfig[],
  options: GridOptions = {},
): Promise<{ label: string; result: RunResult; config: ExperimentConfig }[]> {
  const out = [];
  for (const config of configs) {
    const label = (options.label ?? runLabel)(config);
    options.live?.startRun?.(label);
    const result = await runExperiment(config, {
      runsDir: options.runsDir,
      resume: true,
      // With a live display (a notebook) the curves are the progress; stderr lines would only clutter the report.
      progress: options.progress ?? (options.live ? "none" : "auto"),
      onRecord: (line) => options.live?.push(line, label),
    });
    if (result.skipped) for (const line of result.metrics) options.live?.push(line, label);
    options.live?.endRun?.(label);
    out.push({ label, result, config });
  }
  return out;
}

/** One summary row of a run: who it is, its status, and its numbers ({@link RunNumbers}). */
export type RunSummary = { label: string; optimizer: string; status: string; seed: number } & RunNumbers;

/** One summary row per run, from its metrics (the numbers are `runNumbers` of `analysis/statistics`). */
export function summarize(
  label: string,
  config: ExperimentConfig,
  result: Pick<RunResult, "status" | "metrics">,
): RunSummary {
  return {
    label,
    optimizer: config.optimizer,
    status: result.status,
    seed: config.seed,
    ...runNumbers(result.metrics),
  };
}
