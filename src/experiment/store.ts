/**
 * Where runs live and how they are written: `<runsDir>/<runId>/` holds `config.json` (the
 * resolved config plus provenance), `metrics.jsonl` (one JSON object per epoch and split),
 * `status.json` and `checkpoint/` (model + optimizer state after the last finished epoch).
 * Every file is written to a temporary name and renamed, so a killed run never leaves a torn file.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  appendFileSync,
  readdirSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { canonicalJson, type ExperimentConfig } from "./config";
import { REPO_ROOT } from "../util/paths";
import { backendInfo } from "../backend/init";
import type { Provenance } from "./provenance";

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
  /** Checksum of the record as written ({@link recordCheck}); absent in records of older runs. */
  check?: string;
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
 * hash of the whole canonical config and the backend, the backend, and the seed. Equal configs
 * on one backend give equal ids; backends differ in the last float bits, so each has its own run.
 * `backend` defaults to the backend `initBackend` activated (an error before it has run).
 */
export function runId(config: ExperimentConfig, backend: string | undefined = backendInfo()?.name): string {
  if (!backend)
    throw new Error("runId: the backend is not known yet; call initBackend() first or pass the backend name");
  const hash = createHash("sha256").update(canonicalJson({ config, backend })).digest("hex").slice(0, 8);
  const partial =
    config.optimizer === "padam" && typeof config.optimizerOptions.partial === "number"
      ? `-p${config.optimizerOptions.partial}`
      : "";
  const head = (config.preset ?? `${config.model}-${config.dataset}`).replace(/[^A-Za-z0-9.-]+/g, "-");
  return `${head}-${config.optimizer}${partial}-${hash}-${backend}-s${config.seed}`;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** A damaged metrics record: which file and line, and what is wrong with it. */
export interface DamagedRecord {
  file: string;
  /** 1-based line number. */
  line: number;
  why: string;
  /** True when it is the file's last line and ends without a newline: torn by a kill mid-write. */
  torn: boolean;
}

/** Thrown when a run directory cannot be reused as it is; the message says what and how to proceed. */
export class RunDirError extends Error {}

/**
 * The check of one metrics record: the first 8 hex digits of the SHA-256 of its canonical JSON
 * without the `check` field. It makes every line self-checking: an edited or damaged number is
 * found on reading, not trusted.
 */
export function recordCheck(line: MetricLine): string {
  const { check: _omit, ...rest } = line as MetricLine & { check?: string };
  return createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 8);
}

export class RunDir {
  constructor(readonly dir: string) {}
  get configPath() {
    return join(this.dir, "config.json");
  }
  get metricsPath() {
    return join(this.dir, "metrics.jsonl");
  }
  get statusPath() {
    return join(this.dir, "status.json");
  }
  get provenancePath() {
    return join(this.dir, "provenance.json");
  }
  get checkpointDir() {
    return join(this.dir, "checkpoint");
  }
  get checkpointPath() {
    return join(this.dir, "checkpoint", "state.bin");
  }
  get gradientStatsPath() {
    return join(this.dir, "gradient-stats.json");
  }

  /** True when the directory holds any record of a run (a lock alone is not a run). */
  exists(): boolean {
    return [this.configPath, this.metricsPath, this.statusPath, this.checkpointDir].some((p) => existsSync(p));
  }

  create(record: object): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.configPath, JSON.stringify(record, null, 2) + "\n");
  }

  /** The stored config record, or undefined when config.json is absent. Throws RunDirError when unreadable. */
  record(): { runId?: string; config: ExperimentConfig } | undefined {
    if (!existsSync(this.configPath)) return undefined;
    const record = readJsonOr<{ runId?: string; config?: ExperimentConfig }>(this.configPath);
    if (!record || typeof record.config !== "object" || record.config === null) {
      throw new RunDirError(`${this.configPath} is unreadable or has no "config" field`);
    }
    return record as { runId?: string; config: ExperimentConfig };
  }

  /** The status record, or undefined when status.json is absent. Throws RunDirError when unreadable. */
  status(): StatusFile | undefined {
    if (!existsSync(this.statusPath)) return undefined;
    const status = readJsonOr<StatusFile>(this.statusPath);
    if (!status || !["running", "finished", "diverged"].includes(status.status) || !Number.isInteger(status.epoch)) {
      throw new RunDirError(`${this.statusPath} is unreadable or malformed`);
    }
    return status;
  }

  /** The run's provenance record, or undefined when absent or unreadable. */
  provenance(): Provenance | undefined {
    return existsSync(this.provenancePath) ? readJsonOr<Provenance>(this.provenancePath) : undefined;
  }

  setProvenance(p: Provenance): void {
    writeFileAtomic(this.provenancePath, JSON.stringify(p, null, 2) + "\n");
  }

  setStatus(status: RunStatus, epoch: number, reason?: string): void {
    const body: StatusFile = { status, epoch, updated: new Date().toISOString(), ...(reason ? { reason } : {}) };
    writeFileAtomic(this.statusPath, JSON.stringify(body, null, 2) + "\n");
  }

  /**
   * Reads metrics.jsonl, checking every record (valid JSON, the fields of a {@link MetricLine},
   * and its `check` where present). Damaged records are returned, never dropped silently.
   */
  readMetrics(): { lines: MetricLine[]; damaged: DamagedRecord[] } {
    if (!existsSync(this.metricsPath)) return { lines: [], damaged: [] };
    const text = readFileSync(this.metricsPath, "utf8");
    const rows = text.split("\n");
    const endsClean = text.endsWith("\n") || text === "";
    if (endsClean) rows.pop();
    const lines: MetricLine[] = [];
    const damaged: DamagedRecord[] = [];
    rows.forEach((row, i) => {
      const why = recordProblem(row);
      if (why) damaged.push({ file: this.metricsPath, line: i + 1, why, torn: !endsClean && i === rows.length - 1 });
      else lines.push(JSON.parse(row) as MetricLine);
    });
    return { lines, damaged };
  }

  /** The run's metrics; throws RunDirError naming the file and line of the first damaged record. */
  metrics(): MetricLine[] {
    const { lines, damaged } = this.readMetrics();
    if (damaged.length > 0) throw new RunDirError(describeDamage(damaged));
    return lines;
  }

  /** Appends records, each with its check. A record is written whole or, if killed, torn at the end only. */
  appendMetrics(lines: MetricLine[]): void {
    appendFileSync(
      this.metricsPath,
      lines.map((l) => JSON.stringify({ ...l, check: recordCheck(l) })).join("\n") + "\n",
    );
  }

  /** Replaces metrics.jsonl by `lines` (used on resume to drop records beyond the checkpoint). */
  writeMetrics(lines: MetricLine[]): void {
    writeFileAtomic(
      this.metricsPath,
      lines.map((l) => JSON.stringify({ ...l, check: recordCheck(l) }) + "\n").join(""),
    );
  }

  /** Removes every record of the run (config, metrics, status, provenance, checkpoint), keeping the lock. */
  clear(): void {
    for (const name of readdirSync(this.dir)) {
      if (name !== ".lock") rmSync(join(this.dir, name), { recursive: true, force: true });
    }
  }
}

function readJsonOr<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

const SPLITS = ["train", "test", "valid"];

/** Why a metrics row is not a valid record, or undefined when it is. */
function recordProblem(row: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(row);
  } catch {
    return row.trim() === "" ? "empty line" : "not valid JSON";
  }
  const r = value as Record<string, unknown>;
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "not a JSON object";
  for (const key of ["epoch", "step"])
    if (!Number.isInteger(r[key]) || (r[key] as number) < 0) return `${key} is not an integer >= 0`;
  if (!SPLITS.includes(r.split as string)) return `split ${JSON.stringify(r.split)} is not one of ${SPLITS.join(", ")}`;
  for (const key of ["loss", "lr", "wallMs"])
    if (typeof r[key] !== "number") return `${key} is missing or not a number`;
  if (r.check !== undefined && r.check !== recordCheck(r as unknown as MetricLine))
    return "its check does not match its values (edited or damaged)";
  return undefined;
}

/** One message for damaged records: every file:line with its reason. */
export function describeDamage(damaged: DamagedRecord[]): string {
  const shown = damaged.slice(0, 5).map((d) => `${d.file}:${d.line}: ${d.why}${d.torn ? " (torn last line)" : ""}`);
  const more = damaged.length > 5 ? `\n  … and ${damaged.length - 5} more` : "";
  return `damaged metrics records:\n  ${shown.join("\n  ")}${more}`;
}

export interface StoredRun {
  id: string;
  dir: string;
  config: ExperimentConfig;
  status?: StatusFile;
  metrics: MetricLine[];
}

/**
 * Every readable run under a runs directory, and a problem line for each run directory that
 * cannot be read whole (missing config or status, damaged metrics): those are reported, not used.
 */
export function scanRuns(runsDir?: string): { runs: StoredRun[]; problems: string[] } {
  const root = resolveRunsDir(runsDir);
  const runs: StoredRun[] = [];
  const problems: string[] = [];
  if (!existsSync(root)) return { runs, problems };
  for (const id of readdirSync(root).sort()) {
    const rd = new RunDir(join(root, id));
    if (!statSync(rd.dir).isDirectory() || !rd.exists()) continue;
    try {
      const record = rd.record();
      if (!record) throw new RunDirError(`${rd.configPath} is missing`);
      const status = rd.status();
      if (!status) throw new RunDirError(`${rd.statusPath} is missing`);
      runs.push({ id, dir: rd.dir, config: record.config, status, metrics: rd.metrics() });
    } catch (e) {
      if (!(e instanceof RunDirError)) throw e;
      problems.push(`run ${id} not used: ${e.message}`);
    }
  }
  return { runs, problems };
}

/** Every readable run under a runs directory; each unreadable one is reported on stderr and left out. */
export function listRuns(runsDir?: string): StoredRun[] {
  const { runs, problems } = scanRuns(runsDir);
  for (const p of problems) process.stderr.write(`warning: ${p}\n`);
  return runs;
}

/**
 * The dotted paths at which two configs differ (canonical comparison: key order does not
 * matter, an absent key equals `undefined`), e.g. `["epochs", "optimizerOptions.learningRate"]`.
 */
export function configDifferences(a: unknown, b: unknown, prefix = ""): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDifferences(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return canonicalJson(a) === canonicalJson(b) ? [] : [prefix || "(whole config)"];
}
