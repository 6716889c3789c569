/**
 * Running several configurations one after another for a notebook or a sweep, and reading
 * finished runs back as summary rows. Finished runs are reused from the runs directory, so a
 * notebook re-executed with the same settings draws its plots without retraining.
 */
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
export async function runGrid(configs: ExperimentConfig[], options: GridOptions = {}): Promise<{ label: string; result: RunResult; config: ExperimentConfig }[]> {
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

export interface RunSummary {
  label: string;
  optimizer: string;
  status: string;
  epochs: number;
  /** Final and best test top-1 accuracy in percent (classification). */
  finalTestAcc?: number;
  bestTestAcc?: number;
  finalTop5Acc?: number;
  /** Final training loss (as the run measured it). */
  finalTrainLoss?: number;
  /** Final validation / test perplexity (language models). */
  finalValidPpl?: number;
  finalTestPpl?: number;
  seed: number;
}

/** One summary row per run, from its metrics. */
export function summarize(label: string, config: ExperimentConfig, result: Pick<RunResult, "status" | "metrics">): RunSummary {
  const split = (s: MetricLine["split"]) => result.metrics.filter((m) => m.split === s);
  const last = <T>(xs: T[]) => xs[xs.length - 1];
  const test = split("test");
  const pct = (v?: number) => (v === undefined ? undefined : 100 * v);
  return {
    label,
    optimizer: config.optimizer,
    status: result.status,
    epochs: split("train").length,
    finalTestAcc: pct(last(test)?.acc),
    bestTestAcc: test.some((m) => m.acc !== undefined) ? Math.max(...test.map((m) => 100 * (m.acc ?? 0))) : undefined,
    finalTop5Acc: pct(last(test)?.top5Acc),
    finalTrainLoss: last(split("train"))?.loss,
    finalValidPpl: last(split("valid"))?.ppl,
    finalTestPpl: last(test)?.ppl,
    seed: config.seed,
  };
}

/** Mean and sample standard deviation (0 for a single value). */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}
