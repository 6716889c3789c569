/**
 * Re-creating and verifying the committed reference results (`results/<experiment>/<runId>/`).
 *
 * - {@link reproduceExperiment} runs an experiment's tuning grid, chooses each optimizer's lr on
 *   the validation split, then runs the final seeds; finished runs are skipped, interrupted ones
 *   resumed, runs locked by another worker left to it. Safe to stop and restart at any time.
 * - {@link verifyRun} re-executes the first k epochs of a committed run in a scratch directory
 *   and compares every number with the committed metrics: identical on the backend and threads
 *   that made the run (any threads on `wasm`), within {@link CROSS_BACKEND_TOLERANCE} otherwise. A success under sources
 *   other than the run's is recorded in its provenance, so the run counts as current again.
 * - {@link verifyStaleRuns} does that in full for every stale run of an experiment.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { backendInfo, initBackend } from "../backend/init";
import type { OptimizerName } from "../optim/registry";
import { canonicalJson, type ExperimentConfig } from "./config";
import { freshness, sourceHash, type Provenance } from "./provenance";
import {
  finalConfigs,
  paperNetworkConfigs,
  referenceExperiment,
  tuningConfigs,
  type ReferenceExperiment,
} from "./reference";
import { acquireRunLock, RunLockedError } from "./run_lock";
import { runExperiment, type RunResult } from "./runner";
import { RunDir, scanRuns, type MetricLine, type StoredRun } from "./store";
import { REPO_ROOT } from "../util/paths";

/** Where committed results live: `results/` at the repository root. */
export function resultsDir(root?: string): string {
  return root ?? join(REPO_ROOT, "results");
}

export function experimentRunsDir(name: string, root?: string): string {
  return join(resultsDir(root), name);
}

/** One row of the lr choice: every grid point of every optimizer with its validation score. */
export interface TuningRow {
  optimizer: OptimizerName;
  learningRate: number;
  status: "finished" | "diverged" | "missing";
  /** Final validation accuracy (0..1) or perplexity; undefined unless finished. */
  score?: number;
  chosen: boolean;
}

function findRun(runs: StoredRun[], config: ExperimentConfig): StoredRun | undefined {
  const key = canonicalJson(config);
  return runs.find((r) => canonicalJson(r.config) === key);
}

function finalScore(run: StoredRun, metric: "acc" | "ppl"): number | undefined {
  const valid = run.metrics.filter((m) => m.split === "valid");
  const last = valid[valid.length - 1];
  return last?.[metric];
}

/** How many times an optimizer's grid may grow by one point past the edge that won. */
export const MAX_GRID_EXTENSIONS = 2;

/** The next value of the 1-3-10 half-decade sequence above (`dir` 1) or below (`dir` −1) `v`. */
export function nextHalfDecade(v: number, dir: 1 | -1): number {
  const k = Math.floor(Math.log10(v) + 1e-9);
  const m = v / 10 ** k; // mantissa in [1, 10)
  const next = dir > 0 ? (m < 3 - 1e-9 ? 3 : 10) : m > 3 + 1e-9 ? 3 : m > 1 + 1e-9 ? 1 : 0.3;
  return Number((next * 10 ** k).toPrecision(6));
}

function tuningRows(
  exp: ReferenceExperiment,
  runs: StoredRun[],
  grid: Partial<Record<OptimizerName, number[]>>,
): TuningRow[] {
  return tuningConfigs(exp, grid).map((config) => {
    const run = findRun(runs, config);
    const status =
      run?.status?.status === "finished" ? "finished" : run?.status?.status === "diverged" ? "diverged" : "missing";
    return {
      optimizer: config.optimizer,
      learningRate: config.optimizerOptions.learningRate as number,
      status,
      score: status === "finished" ? finalScore(run!, exp.metric) : undefined,
      chosen: false,
    };
  });
}

function bestRow(rows: TuningRow[], metric: "acc" | "ppl"): TuningRow | undefined {
  const better = (a: number, b: number) => (metric === "acc" ? a > b : a < b);
  return rows
    .filter((r) => r.score !== undefined)
    .reduce<TuningRow | undefined>((b, r) => (!b || better(r.score!, b.score!) ? r : b), undefined);
}

/**
 * Each optimizer's lr grid as the results so far extend it: when every point has run and the
 * best final validation score lies at the top (bottom) of the grid, the next half-decade value
 * above (below) is added, at most {@link MAX_GRID_EXTENSIONS} times — an lr at a grid edge is
 * not a tuned optimum.
 */
export function extendedGrid(exp: ReferenceExperiment, runs: StoredRun[]): Partial<Record<OptimizerName, number[]>> {
  const grid: Partial<Record<OptimizerName, number[]>> = {};
  for (const [optimizer, base] of Object.entries(exp.tuning?.grid ?? {}) as [OptimizerName, number[]][]) {
    const lrs = [...base].sort((a, b) => a - b);
    for (let added = 0; added < MAX_GRID_EXTENSIONS; added++) {
      const rows = tuningRows(exp, runs, { [optimizer]: lrs });
      const best = bestRow(rows, exp.metric);
      if (rows.some((r) => r.status === "missing") || !best) break;
      if (best.learningRate === lrs[lrs.length - 1]) lrs.push(nextHalfDecade(best.learningRate, 1));
      else if (best.learningRate === lrs[0]) lrs.unshift(nextHalfDecade(best.learningRate, -1));
      else break;
    }
    grid[optimizer] = lrs;
  }
  return grid;
}

/**
 * Each optimizer's lr: the grid point ({@link extendedGrid}) with the best final validation
 * accuracy (lowest perplexity); a diverged run ranks last. An optimizer is chosen only when every
 * point of its grid has finished or diverged (and not all diverged).
 */
export function chooseLearningRates(
  exp: ReferenceExperiment,
  runs: StoredRun[],
): { chosen: Partial<Record<OptimizerName, number>>; rows: TuningRow[] } {
  const rows = tuningRows(exp, runs, extendedGrid(exp, runs));
  const chosen: Partial<Record<OptimizerName, number>> = {};
  for (const optimizer of new Set(rows.map((r) => r.optimizer))) {
    const own = rows.filter((r) => r.optimizer === optimizer);
    if (own.some((r) => r.status === "missing")) continue;
    const best = bestRow(own, exp.metric);
    if (best) {
      best.chosen = true;
      chosen[optimizer] = best.learningRate;
    }
  }
  return { chosen, rows };
}

export interface ReproduceOptions {
  /** Root of the results (default `results/`). */
  root?: string;
  /** Which stage to run (default both, tuning first). */
  stage?: "tuning" | "final" | "all";
  /** Only list what would run. */
  dryRun?: boolean;
  /** Progress lines (one per run). */
  log?: (line: string) => void;
}

/**
 * Epochs of a stale run re-executed by `reproduce`: the first two (every batch of the model,
 * data pipeline, optimizer and evaluation, through the same code as every later epoch). The
 * provenance records how many epochs a verification covered; `--verify <runId> --epochs k`
 * re-executes more.
 */
export const STALE_CHECK_EPOCHS = 2;

/**
 * A finished run made by other determining sources than today's is re-executed for its first
 * {@link STALE_CHECK_EPOCHS} epochs and compared, and the check is recorded in its provenance.
 * Identical numbers make it count as verified only when they covered all of its epochs
 * (`freshness`); a shorter check is a spot check, done once per sources (not again at every
 * `reproduce`). Different numbers are reported and the run is kept as it is (replace it with
 * `npm run train -- --force`).
 */
async function verifyIfStale(result: RunResult, summary: ReproduceSummary, log: (line: string) => void): Promise<void> {
  const run = new RunDir(result.dir);
  const p = run.provenance();
  if (freshness(p) !== "stale") return;
  const epochs = Math.min(STALE_CHECK_EPOCHS, (run.status()?.epoch ?? -1) + 1);
  if (epochs < 1) return; // diverged in its first epoch: nothing finished to compare
  const now = sourceHash();
  if ((p?.verified ?? []).some((v) => v.sourceHash === now && v.epochs >= epochs)) return; // checked already
  log(`  ${result.runId} was made by other sources than today's: re-executing ${epochs} epoch(s) to verify`);
  const v = await verifyRunDir(result.dir, { log, epochs });
  if (v.ok) summary.verified.push(result.runId);
  else {
    summary.differs.push(result.runId);
    log(`  ${result.runId} differs under today's sources (${v.mismatches.length} number(s)); kept as stale`);
  }
}

export interface ReproduceSummary {
  experiment: string;
  ran: number;
  skipped: number;
  /** Runs another worker holds; they are its to finish. */
  locked: string[];
  diverged: string[];
  /** Stale finished runs spot-checked (first epochs) to identical (or tolerated) numbers, and those that differed. */
  verified: string[];
  differs: string[];
  /** Optimizers whose final runs wait for their tuning to finish. */
  waiting: string[];
  planned: ExperimentConfig[];
}

/** Runs (or lists, with `dryRun`) every run of the named reference experiment; see the module comment. */
export async function reproduceExperiment(name: string, options: ReproduceOptions = {}): Promise<ReproduceSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const runsDir = experimentRunsDir(name, options.root);
  const summary: ReproduceSummary = {
    verified: [],
    differs: [],
    experiment: name,
    ran: 0,
    skipped: 0,
    locked: [],
    diverged: [],
    waiting: [],
    planned: [],
  };
  const stage = options.stage ?? "all";
  // Finished runs found on the way; those made by other sources are verified after the new runs.
  const finishedBefore: RunResult[] = [];
  const verifyStale = async () => {
    for (const result of finishedBefore) await verifyIfStale(result, summary, log);
  };

  const runAll = async (configs: ExperimentConfig[], what: string) => {
    summary.planned.push(...configs);
    if (options.dryRun) return;
    for (const [i, config] of configs.entries()) {
      log(
        `${name} ${what} [${i + 1}/${configs.length}] ${config.optimizer} lr ${config.optimizerOptions.learningRate}${config.optimizerOptions.partial !== undefined && config.optimizer === "padam" ? ` p ${config.optimizerOptions.partial}` : ""} seed ${config.seed}`,
      );
      let result: RunResult;
      try {
        result = await runExperiment(config, { runsDir, resume: true });
      } catch (e) {
        if (!(e instanceof RunLockedError)) throw e;
        summary.locked.push(e.lockPath);
        log(`  skipped: ${e.message}`);
        continue;
      }
      if (result.skipped) summary.skipped++;
      else summary.ran++;
      if (result.status === "diverged") summary.diverged.push(`${result.runId}: ${result.reason}`);
      if (result.skipped && result.status === "finished") finishedBefore.push(result);
    }
  };

  if (name === "paper-networks") {
    await runAll(paperNetworkConfigs(), "budget");
    if (!options.dryRun) await verifyStale();
    return summary;
  }
  const exp = referenceExperiment(name);
  if (stage !== "final") {
    // Run the grid; where an edge won, the grid grows and the new points run too.
    const done = new Set<string>();
    for (;;) {
      const todo = tuningConfigs(exp, extendedGrid(exp, scanRuns(runsDir).runs)).filter(
        (c) => !done.has(canonicalJson(c)),
      );
      if (todo.length === 0 || (options.dryRun && done.size > 0)) break;
      todo.forEach((c) => done.add(canonicalJson(c)));
      await runAll(todo, "tuning");
    }
  }
  if (stage !== "tuning") {
    const chosen: Partial<Record<OptimizerName, number>> = exp.tuning
      ? chooseLearningRates(exp, scanRuns(runsDir).runs).chosen
      : {};
    summary.waiting = exp.tuning ? exp.arms.map((a) => a.optimizer).filter((o) => chosen[o] === undefined) : [];
    if (summary.waiting.length > 0)
      log(`${name}: final runs of ${summary.waiting.join(", ")} wait for their tuning runs to finish`);
    await runAll(finalConfigs(exp, chosen), "final");
  }
  if (!options.dryRun) await verifyStale();
  return summary;
}

/**
 * Numbers of one record may differ by at most 1e-3 · max(1, |committed value|) when a run is
 * re-executed on another backend or thread count (float32 kernels differ in their last bits,
 * which a few thousand steps amplify; 1e-3 of accuracy is 10 images of a 10,000-image test set).
 */
export const CROSS_BACKEND_TOLERANCE = 1e-3;

/**
 * Backends whose numbers do not depend on their thread count (`src/models/threads.test.ts`):
 * `wasm` splits each XNNPACK product by output tiles, each reduced whole by one thread, and the
 * project's own kernels are single-threaded. A run made on one of them is re-executed to
 * identical numbers at any thread count.
 */
export const THREAD_INDEPENDENT_BACKENDS: readonly string[] = ["wasm"];

export interface Mismatch {
  epoch: number;
  split: string;
  key: string;
  committed: number | string | undefined;
  now: number | string | undefined;
}

export interface VerifyResult {
  runId: string;
  dir: string;
  epochs: number;
  /**
   * True when identity is required: the backend equals the committed run's, and so do the
   * threads unless the backend is {@link THREAD_INDEPENDENT_BACKENDS thread-independent}.
   */
  sameBackend: boolean;
  mismatches: Mismatch[];
  ok: boolean;
}

/**
 * The committed run directory of `runId` under any experiment of `root`. A run may be listed in
 * several experiments (the same config: `bias-factor-fmnist` shares its official arm with
 * `p-sweep-fmnist`); then every copy must hold the same metrics, and the first is returned.
 */
export function findCommittedRun(runId: string, root?: string): string {
  const base = resultsDir(root);
  const hits = existsSync(base)
    ? readdirSync(base)
        .map((e) => join(base, e, runId))
        .filter((d) => existsSync(d))
    : [];
  if (hits.length === 0)
    throw new Error(`run ${runId} is not in ${base}/<experiment>/; list the runs with: ls ${base}/*/`);
  if (hits.length > 1) {
    const metrics = hits.map((d) => {
      const f = join(d, "metrics.jsonl");
      return existsSync(f) ? readFileSync(f, "utf8") : "";
    });
    if (metrics.some((m) => m !== metrics[0]))
      throw new Error(
        `run ${runId} is in several experiments with different metrics (${hits.join(", ")}); the same config must give the same run: remove the wrong copy`,
      );
  }
  return hits[0];
}

const COMPARED = ["epoch", "step", "split", "loss", "acc", "top5Acc", "ppl", "lr"] as const;

function compareRecords(committed: MetricLine[], now: MetricLine[], exact: boolean): Mismatch[] {
  const out: Mismatch[] = [];
  committed.forEach((c, i) => {
    const n = now[i];
    for (const key of COMPARED) {
      const a = c[key];
      const b = n?.[key];
      const same =
        typeof a === "number" && typeof b === "number" && !exact
          ? Math.abs(a - b) <= CROSS_BACKEND_TOLERANCE * Math.max(1, Math.abs(a))
          : a === b;
      if (!same) out.push({ epoch: c.epoch, split: c.split, key, committed: a, now: b });
    }
  });
  return out;
}

/**
 * Re-executes the first `epochs` epochs of a committed run (all when absent) and compares them
 * with its metrics; see the module comment. The committed run is not changed, except that a
 * successful verification under other sources is added to its provenance.
 */
export async function verifyRun(
  runId: string,
  options: { epochs?: number; root?: string; log?: (line: string) => void } = {},
): Promise<VerifyResult> {
  return verifyRunDir(findCommittedRun(runId, options.root), options);
}

/** {@link verifyRun} for a run directory. */
export async function verifyRunDir(
  dir: string,
  options: { epochs?: number; log?: (line: string) => void } = {},
): Promise<VerifyResult> {
  const run = new RunDir(dir);
  const runId = basename(dir);
  const record = run.record();
  if (!record) throw new Error(`${run.configPath} is missing; the run cannot be verified`);
  const committed = run.metrics(); // throws, naming file and line, on a damaged or edited record
  const status = run.status();
  const done = (status?.epoch ?? -1) + 1;
  const epochs = options.epochs ?? done;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > done) {
    throw new Error(
      `--epochs ${options.epochs} is invalid; allowed: an integer in [1, ${done}] (the run has ${done} finished epoch(s))`,
    );
  }
  const provenance = run.provenance();
  await initBackend({ quiet: true });
  const info = backendInfo()!;
  const sameBackend =
    provenance?.backend?.name === info.name &&
    (provenance?.backend?.threads === info.threads || THREAD_INDEPENDENT_BACKENDS.includes(info.name));
  const scratch = mkdtempSync(join(tmpdir(), "padam-verify-"));
  try {
    options.log?.(
      `verifying ${runId}: re-executing ${epochs} of ${done} epoch(s) on ${info.name} (${info.threads} thread(s))`,
    );
    const again = await runExperiment(record.config, {
      runsDir: scratch,
      stopAfterEpochs: epochs,
      progress: options.log ? "auto" : "none",
    });
    const want = committed.filter((m) => m.epoch < epochs);
    const mismatches = compareRecords(
      want,
      again.metrics.filter((m) => m.epoch < epochs),
      sameBackend,
    );
    const ok = mismatches.length === 0;
    if (ok && provenance && freshness(provenance) === "stale") {
      recordVerification(run, provenance, epochs, info.name, sameBackend);
    }
    return { runId, dir, epochs, sameBackend, mismatches, ok };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface VerifyStaleSummary {
  experiment: string;
  /** Stale runs re-executed in full to identical (or tolerated) numbers: now "verified". */
  verified: string[];
  /** Stale runs whose re-execution differed; kept as they are, still stale. */
  differs: string[];
  /** Finished runs that were current or verified already. */
  upToDate: number;
}

/**
 * The finished runs of experiment `name` that `isStale` picks, its final runs first (they carry
 * the statistics), each marked. Which runs are final follows the lr choice, which reads every
 * run, a diverged grid point included (it ranks last).
 */
export function staleRunsInOrder(
  name: string,
  runs: StoredRun[],
  isStale: (run: StoredRun) => boolean,
): { run: StoredRun; final: boolean }[] {
  const finals = new Set(
    (name === "paper-networks"
      ? paperNetworkConfigs()
      : finalConfigs(referenceExperiment(name), chooseLearningRates(referenceExperiment(name), runs).chosen)
    ).map(canonicalJson),
  );
  const stale = runs
    .filter((r) => r.status?.status === "finished" && isStale(r))
    .map((run) => ({ run, final: finals.has(canonicalJson(run.config)) }));
  return [...stale.filter((s) => s.final), ...stale.filter((s) => !s.final)];
}

/**
 * Re-executes, in full, every finished run of experiment `name` that today's determining
 * sources did not make and no full verification covers yet (`freshness` "stale"): its final
 * runs first (they carry the statistics), then its tuning runs. Each success is recorded in the
 * run's provenance at once, so an interrupted pass loses at most the run in progress and a
 * restart continues with the next stale run.
 */
export async function verifyStaleRuns(
  name: string,
  options: { root?: string; log?: (line: string) => void } = {},
): Promise<VerifyStaleSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const all = scanRuns(experimentRunsDir(name, options.root)).runs;
  const ordered = staleRunsInOrder(name, all, (r) => freshness(new RunDir(r.dir).provenance()) === "stale");
  const finished = all.filter((r) => r.status?.status === "finished").length;
  const summary: VerifyStaleSummary = {
    experiment: name,
    verified: [],
    differs: [],
    upToDate: finished - ordered.length,
  };
  for (const [i, { run: r, final }] of ordered.entries()) {
    log(`${name}: stale run [${i + 1}/${ordered.length}] ${r.id}${final ? " (final)" : ""}`);
    const v = await verifyRunDir(r.dir, { log });
    (v.ok ? summary.verified : summary.differs).push(r.id);
    if (!v.ok) log(`  ${r.id} differs under today's sources (${v.mismatches.length} number(s)); kept as stale`);
  }
  return summary;
}

function recordVerification(run: RunDir, p: Provenance, epochs: number, backend: string, identical: boolean): void {
  const lock = acquireRunLock(run.dir);
  try {
    const entry = { sourceHash: sourceHash(), date: new Date().toISOString(), epochs, backend, identical };
    run.setProvenance({ ...p, verified: [...(p.verified ?? []), entry] });
  } finally {
    lock.release();
  }
}
