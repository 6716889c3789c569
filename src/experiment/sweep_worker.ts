/**
 * Running entries of a sweep plan (`npm run sweep -- --plan <file> --index <i>`).
 *
 * The command is a small supervisor around a child process that trains. Training keeps the
 * JavaScript thread busy for a whole epoch, so a process cannot react to a signal before the
 * epoch ends; the supervisor's thread stays free. On SIGUSR1 (SLURM's warning before the time
 * limit, `#SBATCH --signal=B:USR1@<s>` forwarded by the batch script), SIGTERM (scancel,
 * preemption) or SIGINT it kills the child at once, removes the run lock the child held (the
 * owner is known: this host, the child's pid), and exits with `EXIT.stopped`. The run resumes
 * from its last checkpoint when the entry is run again; the epoch in progress is trained again,
 * with the same numbers (runs are deterministic), which is cheaper than risking the kill that
 * follows the time limit in the middle of writing it.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { initBackend } from "../backend/init";
import { EXIT, type ExitCode } from "./exit_codes";
import { readOwner, RunLockedError } from "./run_lock";
import { runExperiment, type RunResult } from "./runner";
import type { PlanEntry, SweepPlan } from "./sweep_plan";

/** Set in the child's environment: the process trains instead of supervising. */
export const CHILD_ENV = "PADAM_SWEEP_CHILD";

export interface WorkerIo {
  err: (text: string) => void;
}

/** The plan's backend and threads for this process (read by `initBackend`). */
function pinBackend(plan: SweepPlan): void {
  process.env.PADAM_BACKEND = plan.backend;
  process.env.PADAM_THREADS = String(plan.threads);
}

/**
 * Trains `entries` in this process, one after another. A run held by another live worker is
 * left to it (`EXIT.locked` at the end); a backend other than the plan's is refused before
 * anything is trained (`EXIT.error`).
 */
export async function runEntries(
  plan: SweepPlan,
  entries: PlanEntry[],
  runsDir: string,
  io: WorkerIo,
): Promise<ExitCode> {
  pinBackend(plan);
  const info = await initBackend({ quiet: true });
  if (info.name !== plan.backend) {
    io.err(
      `error: the plan's runs use the ${plan.backend} backend, but this machine gave ${info.name}${info.fallbackReason ? ` (${info.fallbackReason})` : ""}; nothing was trained\n`,
    );
    return EXIT.error;
  }
  let code: ExitCode = EXIT.ok;
  for (const entry of entries) {
    const outcome = await runEntry(entry, runsDir, io);
    // The worst outcome decides the exit code: error, then locked, then diverged.
    if (outcome === EXIT.error) return EXIT.error;
    if (outcome === EXIT.locked || (outcome === EXIT.diverged && code === EXIT.ok)) code = outcome;
  }
  return code;
}

async function runEntry(entry: PlanEntry, runsDir: string, io: WorkerIo): Promise<ExitCode> {
  const label = `[entry ${entry.index}] ${entry.runId}`;
  let result: RunResult;
  try {
    result = await runExperiment(entry.config, { runsDir, resume: true });
  } catch (e) {
    if (e instanceof RunLockedError) {
      io.err(
        `${label}: left to the worker that holds it: ${e.owner ? `process ${e.owner.pid} on ${e.owner.host}` : "lock unreadable"} (${e.lockPath})\n`,
      );
      return EXIT.locked;
    }
    io.err(`${label}: error: ${(e as Error).message}\n`);
    return EXIT.error;
  }
  io.err(`${label}: ${result.skipped ? `already ${result.status}, not trained again` : result.status}\n`);
  if (result.status === "diverged") io.err(`${label} diverged: ${result.reason ?? "no reason recorded"}\n`);
  return result.status === "diverged" ? EXIT.diverged : EXIT.ok;
}

/** Removes the lock of each entry's run that `pid` on this host held (it was killed before it could). */
function releaseLocksOf(pid: number, entries: PlanEntry[], runsDir: string): string[] {
  const released: string[] = [];
  for (const entry of entries) {
    const path = join(runsDir, entry.runId, ".lock");
    const owner = existsSync(path) ? readOwner(path) : undefined;
    if (owner && owner.pid === pid && owner.host === hostname()) {
      rmSync(path, { force: true });
      released.push(entry.runId);
    }
  }
  return released;
}

const STOP_SIGNALS = ["SIGUSR1", "SIGTERM", "SIGINT"] as const;

/**
 * Runs `argv` (this sweep command) in a child process with {@link CHILD_ENV} set and supervises
 * it (see the module comment). Resolves to the child's exit code, or `EXIT.stopped` after a
 * stop signal.
 */
export function superviseEntries(
  argv: string[],
  plan: SweepPlan,
  entries: PlanEntry[],
  runsDir: string,
  io: WorkerIo,
): Promise<number> {
  pinBackend(plan);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    stdio: "inherit",
    env: { ...process.env, [CHILD_ENV]: "1" },
  });
  let stopping: string | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    io.err(
      `${signal}: stopping the worker (pid ${child.pid}); the run resumes from its last checkpoint when this entry runs again\n`,
    );
    child.kill("SIGKILL");
  };
  for (const s of STOP_SIGNALS) process.on(s, stop);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      for (const s of STOP_SIGNALS) process.off(s, stop);
      if (stopping || signal) {
        const released = child.pid === undefined ? [] : releaseLocksOf(child.pid, entries, runsDir);
        if (released.length > 0) io.err(`released the lock of ${released.join(", ")}\n`);
        if (!stopping) io.err(`the worker was killed by ${signal}\n`);
        resolve(stopping ? EXIT.stopped : EXIT.error);
        return;
      }
      resolve(code ?? EXIT.error);
    });
  });
}
