/**
 * Where runs live and how they are written: `<runsDir>/<runId>/` holds `config.json` (the
 * resolved config plus provenance), `metrics.jsonl` (one JSON object per epoch and split),
 * `status.json` and `checkpoint/` (model + optimizer state after the last finished epoch).
 * Every file is written to a temporary name and renamed, so a killed run never leaves a torn file.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { canonicalJson, type ExperimentConfig } from "./config";
import { REPO_ROOT } from "../util/paths";

/** One line of metrics.jsonl. Error rates are 1 − acc (top-1) and 1 − top5Acc. */
export interface MetricLine {
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  split: "train" | "test" | "valid";
  loss: number;
  /** Top-1 accuracy (classification). */
  acc?: number;
  /** Top-5 accuracy (classification with at least 5 classes). */
  top5Acc?: number;
  /** Perplexity exp(loss) (language models). */
  ppl?: number;
  lr: number;
  /** Wall-clock milliseconds since the run (or resumed run) started; not part of reproducibility. */
  wallMs: number;
}

export type RunStatus = "running" | "finished" | "diverged";

export interface StatusFile {
  status: RunStatus;
  /** Last epoch (0-based) whose metrics and checkpoint are complete; −1 before the first. */
  epoch: number;
  updated: string;
  /** Why a run diverged (first non-finite loss). */
  reason?: string;
}


/** Runs directory: explicit value, else `$PADAM_RUNS`, else `<repo>/data/runs`. */
export function resolveRunsDir(dir?: string): string {
  return resolve(dir ?? process.env.PADAM_RUNS ?? join(REPO_ROOT, "data", "runs"));
}

/**
 * A run's id: readable parts that matter (preset or model, optimizer, p for Padam), an 8-hex
 * hash of the whole canonical config, and the seed. Equal configs give equal ids.
 */
export function runId(config: ExperimentConfig): string {
  const hash = createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 8);
  const partial = config.optimizer === "padam" && typeof config.optimizerOptions.partial === "number" ? `-p${config.optimizerOptions.partial}` : "";
  const head = (config.preset ?? `${config.model}-${config.dataset}`).replace(/[^A-Za-z0-9.-]+/g, "-");
  return `${head}-${config.optimizer}${partial}-${hash}-s${config.seed}`;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

export class RunDir {
  constructor(readonly dir: string) {}
  get configPath() { return join(this.dir, "config.json"); }
  get metricsPath() { return join(this.dir, "metrics.jsonl"); }
  get statusPath() { return join(this.dir, "status.json"); }
  get checkpointDir() { return join(this.dir, "checkpoint"); }
  get gradientStatsPath() { return join(this.dir, "gradient-stats.json"); }

  exists(): boolean {
    return existsSync(this.configPath);
  }

  create(record: object): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.configPath, JSON.stringify(record, null, 2) + "\n");
  }

  status(): StatusFile | undefined {
    return existsSync(this.statusPath) ? readJson<StatusFile>(this.statusPath) : undefined;
  }

  setStatus(status: RunStatus, epoch: number, reason?: string): void {
    const body: StatusFile = { status, epoch, updated: new Date().toISOString(), ...(reason ? { reason } : {}) };
    writeFileAtomic(this.statusPath, JSON.stringify(body, null, 2) + "\n");
  }

  metrics(): MetricLine[] {
    if (!existsSync(this.metricsPath)) return [];
    const lines = readFileSync(this.metricsPath, "utf8").split("\n").filter((l) => l.trim() !== "");
    const out: MetricLine[] = [];
    for (const l of lines) {
      try {
        out.push(JSON.parse(l) as MetricLine);
      } catch {
        break; // a line torn by a kill: everything after it is dropped on resume
      }
    }
    return out;
  }

  appendMetrics(lines: MetricLine[]): void {
    appendFileSync(this.metricsPath, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  }

  /** Keeps only the metrics of epochs <= `epoch` (those covered by the checkpoint). */
  truncateMetrics(epoch: number): MetricLine[] {
    const kept = this.metrics().filter((m) => m.epoch <= epoch);
    writeFileAtomic(this.metricsPath, kept.map((l) => JSON.stringify(l) + "\n").join(""));
    return kept;
  }
}

/** Every run under a runs directory, with its config record, status and metrics. */
export function listRuns(runsDir?: string): { id: string; dir: string; config: ExperimentConfig; status?: StatusFile; metrics: MetricLine[] }[] {
  const root = resolveRunsDir(runsDir);
  if (!existsSync(root)) return [];
  const out = [];
  for (const id of readdirSync(root).sort()) {
    const rd = new RunDir(join(root, id));
    if (!rd.exists()) continue;
    const record = readJson<{ config: ExperimentConfig }>(rd.configPath);
    out.push({ id, dir: rd.dir, config: record.config, status: rd.status(), metrics: rd.metrics() });
  }
  return out;
}

/** Removes a run directory (used by `--fresh`). */
export function removeRun(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
