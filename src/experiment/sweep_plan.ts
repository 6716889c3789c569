/**
 * Sweep plans: a grid of runs written to a file once, then run entry by entry by any number of
 * workers (processes, machines, SLURM array tasks) sharing one runs directory.
 *
 * A plan fixes everything a run's id depends on: each entry's config and the backend the runs
 * must use. The run id hashes the backend (`runId(config, backend)`), and a login node that
 * writes the plan often has another backend than the compute nodes that run it, so the backend
 * is part of the plan: given with `--backend`, else `PADAM_BACKEND`, else the backend selected
 * where the plan is written. A worker requests that backend (`PADAM_BACKEND`) and refuses to
 * train when it gets another one (a fallback), since its runs would have other ids and numbers.
 * The wasm/cpu thread count is fixed too (`PADAM_THREADS`): runs are bit-reproducible for one
 * backend and thread count.
 *
 * Workers never redo a finished run (the runner reuses it), resume an interrupted one from its
 * checkpoint, and leave a run whose lock another live worker holds to that worker.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { canonicalJson, validateConfig, type ExperimentConfig } from "./config";
import { isStale, readOwner, type LockOwner } from "./run_lock";
import { planRun } from "./run_plan";
import { RunDir, RunDirError, runId, writeFileAtomic } from "./store";
import { BACKEND_REQUESTS, type BackendRequest } from "../backend/select";

/** The format tag of plan files; a reader refuses other formats. */
export const PLAN_FORMAT = "padam-sweep-plan/1";

export interface PlanEntry {
  index: number;
  runId: string;
  config: ExperimentConfig;
}

export interface SweepPlan {
  format: typeof PLAN_FORMAT;
  /** Backend every run of the plan uses (part of each run id). */
  backend: BackendRequest;
  /** wasm/cpu compute threads of every run (`PADAM_THREADS`). */
  threads: number;
  /** Absolute runs directory shared by the workers (a worker's `--runs-dir` overrides it). */
  runsDir: string;
  created: string;
  entries: PlanEntry[];
}

/** A plan file that cannot be used; the message names the file and what is wrong. */
export class PlanError extends Error {}

/** The plan of `configs` (in order) on `backend`. */
export function makePlan(
  configs: ExperimentConfig[],
  opts: { backend: BackendRequest; threads: number; runsDir: string },
): SweepPlan {
  const entries = configs.map((config, index) => ({ index, runId: runId(config, opts.backend), config }));
  return {
    format: PLAN_FORMAT,
    backend: opts.backend,
    threads: opts.threads,
    runsDir: resolve(opts.runsDir),
    created: new Date().toISOString(),
    entries,
  };
}

/** What makes two plans the same plan: everything but the time of writing. */
function planIdentity(plan: SweepPlan): string {
  const { created: _created, ...rest } = plan;
  return canonicalJson(rest);
}

/**
 * Writes `plan` to `path`. An existing file is never replaced: when it holds the same plan
 * (written again by the same command) it is kept and "unchanged" returned, otherwise a
 * PlanError says so.
 */
export function writePlan(path: string, plan: SweepPlan): "written" | "unchanged" {
  if (existsSync(path)) {
    let old: SweepPlan | undefined;
    try {
      old = readPlan(path);
    } catch {
      old = undefined;
    }
    if (old && planIdentity(old) === planIdentity(plan)) return "unchanged";
    throw new PlanError(
      `${path} already exists and holds another plan; it is kept. Give another --plan file, or delete it if it is no longer needed`,
    );
  }
  writeFileAtomic(path, JSON.stringify(plan, null, 2) + "\n");
  return "written";
}

/** Reads and checks a plan file: format, backend, threads, every config valid and every run id what today's code computes. */
export function readPlan(path: string): SweepPlan {
  let plan: SweepPlan;
  try {
    plan = JSON.parse(readFileSync(path, "utf8")) as SweepPlan;
  } catch (e) {
    throw new PlanError(`${path}: cannot read the plan (${(e as Error).message.split("\n")[0]})`);
  }
  const bad = (what: string) =>
    new PlanError(`${path}: ${what}; write the plan again with npm run sweep -- <grid options> --plan <file>`);
  if (plan?.format !== PLAN_FORMAT) throw bad(`format is ${JSON.stringify(plan?.format)}, expected "${PLAN_FORMAT}"`);
  if (!BACKEND_REQUESTS.includes(plan.backend))
    throw bad(`backend ${JSON.stringify(plan.backend)} is not one of ${BACKEND_REQUESTS.join(", ")}`);
  if (!(Number.isInteger(plan.threads) && plan.threads >= 1 && plan.threads <= 8))
    throw bad(`threads ${JSON.stringify(plan.threads)} is not an integer 1 ... 8`);
  if (typeof plan.runsDir !== "string" || plan.runsDir === "") throw bad("runsDir is missing");
  if (!Array.isArray(plan.entries) || plan.entries.length === 0) throw bad("it has no entries");
  plan.entries.forEach((e, i) => {
    if (e.index !== i) throw bad(`entry ${i} has index ${JSON.stringify(e.index)}`);
    try {
      validateConfig(e.config);
    } catch (err) {
      throw bad(`entry ${i}: ${(err as Error).message}`);
    }
    const id = runId(e.config, plan.backend);
    // A changed id means today's code names (hashes) the run differently: its records would not be found.
    if (id !== e.runId) throw bad(`entry ${i} has run id ${e.runId}, but this code computes ${id} for its config`);
  });
  return plan;
}

/** The entries of `plan` a worker runs: one index, or shard i of n (every n-th entry from i). */
export function selectEntries(plan: SweepPlan, pick: { index: number } | { shard: number; of: number }): PlanEntry[] {
  const n = plan.entries.length;
  if ("index" in pick) {
    if (!(Number.isInteger(pick.index) && pick.index >= 0 && pick.index < n)) {
      throw new PlanError(
        `--index ${pick.index} is invalid; allowed: an integer 0 ... ${n - 1} (the plan has ${n} entries)`,
      );
    }
    return [plan.entries[pick.index]];
  }
  if (!(
    Number.isInteger(pick.of) &&
    pick.of >= 1 &&
    Number.isInteger(pick.shard) &&
    pick.shard >= 0 &&
    pick.shard < pick.of
  )) {
    throw new PlanError(
      `--shard ${pick.shard}/${pick.of} is invalid; allowed: i/n with integers n >= 1 and 0 <= i < n`,
    );
  }
  return plan.entries.filter((e) => e.index % pick.of === pick.shard);
}

/** Where an entry stands in the shared runs directory. */
export type EntryState = "pending" | "queued" | "running" | "finished" | "diverged" | "failed" | "stale-locked";

export interface EntryStatus {
  state: EntryState;
  /** Epochs done of the config's epochs (when records exist). */
  epochs?: { done: number; of: number };
  /** Why (failed, diverged) or who (running, stale-locked). */
  detail?: string;
  /** The node and SLURM task that made (or last continued) the run, from provenance.json. */
  madeBy?: string;
}

function describeOwner(owner: LockOwner | undefined): string {
  return owner ? `process ${owner.pid} on ${owner.host} since ${owner.started}` : "an unreadable lock";
}

/**
 * Which node and SLURM task made the run, from provenance.json: those of its last session (a
 * requeued run may have continued elsewhere), else of the run's creation.
 */
function madeBy(rd: RunDir): string | undefined {
  const p = rd.provenance();
  if (!p) return undefined;
  const last = p.sessions?.[p.sessions.length - 1];
  const s = last?.host ? last.slurm : p.slurm;
  const task = s ? ` job ${s.arrayJobId ? `${s.arrayJobId}_${s.arrayTaskId}` : s.jobId}` : "";
  return `${s?.node ?? last?.host ?? p.machine.host}${task}`;
}

/**
 * The state of `entry` in `runsDir`: the lock decides running / stale-locked; else the stored
 * records as the runner would plan them: finished or diverged; failed when interrupted
 * (resumable: it resumes when run again) or when its records cannot be used (the reason).
 */
export function entryStatus(entry: PlanEntry, runsDir: string, now = Date.now()): EntryStatus {
  const rd = new RunDir(resolve(runsDir, entry.runId));
  const lockPath = resolve(rd.dir, ".lock");
  const status: EntryStatus = { state: "pending", madeBy: madeBy(rd) };
  const of = entry.config.epochs;
  try {
    const s = rd.status();
    if (s) status.epochs = { done: s.epoch + 1, of };
  } catch {
    // reported by planRun below
  }
  if (existsSync(lockPath)) {
    const owner = readOwner(lockPath);
    return {
      ...status,
      state: isStale(lockPath, owner, now) ? "stale-locked" : "running",
      detail: describeOwner(owner),
    };
  }
  if (!rd.exists()) return status;
  try {
    const plan = planRun(rd, entry.config, { resume: true });
    if (plan.kind === "reuse")
      return {
        ...status,
        state: plan.status.status === "finished" ? "finished" : "diverged",
        detail: plan.status.reason,
      };
    if (plan.kind === "resume")
      return {
        ...status,
        state: "failed",
        detail: `interrupted after epoch ${plan.epoch + 1} of ${of}; resumes from its checkpoint when run again`,
      };
    return status;
  } catch (e) {
    if (!(e instanceof RunDirError)) throw e;
    return { ...status, state: "failed", detail: e.message };
  }
}
