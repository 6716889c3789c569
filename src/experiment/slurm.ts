/**
 * A sweep plan as a SLURM job array: the batch script, its submission, and the queue's view.
 *
 * Array task i runs plan entry i (`npm run sweep -- --plan <file> --index $SLURM_ARRAY_TASK_ID`).
 * The script asks for `--requeue` (a preempted or failed node's task is queued again) and for
 * SIGUSR1 to the batch shell `signalSeconds` before the time limit (`--signal=B:USR1@<s>`).
 * The shell forwards it to the worker, which stops the training child, releases the run's lock
 * and exits with `EXIT.stopped`; the shell then requeues its own task (`scontrol requeue`), and
 * the requeued task resumes the run from its last checkpoint. A task whose run finished exits 0.
 *
 * Submissions are recorded beside the plan in `<plan>.jobs.jsonl` (the plan itself is never
 * rewritten), so `--status` can ask the queue about them and `--resubmit-failed` can reuse the
 * script.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { EXIT } from "./exit_codes";
import { PlanError, type SweepPlan } from "./sweep_plan";
import { writeFileAtomic } from "./store";
import { REPO_ROOT } from "../util/paths";

/** Default warning before the time limit: enough for the worker to stop, and for SLURM's up to 60 s of slack. */
export const DEFAULT_SIGNAL_SECONDS = 300;

export interface SlurmOptions {
  /** Wall-clock limit per task in a SLURM time format (minutes, H:M:S, D-H:M, …). */
  time: string;
  partition?: string;
  cpusPerTask: number;
  gpusPerTask?: number;
  /** Memory per node, e.g. 16G. */
  mem?: string;
  /** Seconds before the time limit at which the worker is told to stop (SLURM may signal up to 60 s earlier). */
  signalSeconds: number;
  /** At most this many array tasks at once (`--array=…%n`). */
  maxParallel?: number;
  jobName: string;
  /** Folder of the task logs (`<jobId>_<task>.out`, appended across requeues). */
  logDir: string;
  /** Runs directory for the workers, when it differs from the plan's. */
  runsDir?: string;
  /** A shell line run before the worker (e.g. `module load nodejs`). */
  setup?: string;
}

/** Seconds of a SLURM time limit: "M", "M:S", "H:M:S", "D-H", "D-H:M" or "D-H:M:S"; throws naming the value otherwise. */
export function slurmTimeSeconds(time: string): number {
  const m = /^(?:(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?|(\d+)(?::(\d+)(?::(\d+))?)?)$/.exec(time.trim());
  if (!m)
    throw new PlanError(
      `--time ${time} is invalid; allowed: a SLURM time limit (minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S)`,
    );
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  if (m[1] !== undefined) return n(m[1]) * 86400 + n(m[2]) * 3600 + n(m[3]) * 60 + n(m[4]);
  // Without days: one field is minutes; two are minutes:seconds; three hours:minutes:seconds.
  if (m[7] !== undefined) return n(m[5]) * 3600 + n(m[6]) * 60 + n(m[7]);
  return n(m[5]) * 60 + n(m[6]);
}

/** "0-3,5,7-9" for [0, 1, 2, 3, 5, 7, 8, 9] (SLURM's --array syntax). */
export function arrayRanges(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(",");
}

/** Single-quoted for bash. */
function sh(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Checks the options that SLURM would only refuse at submission (or, for the signal, never). */
export function checkSlurmOptions(o: SlurmOptions): void {
  const limit = slurmTimeSeconds(o.time);
  if (limit <= 0) throw new PlanError(`--time ${o.time} is invalid; allowed: a time limit above zero`);
  if (!(
    Number.isInteger(o.signalSeconds) &&
    o.signalSeconds >= 1 &&
    o.signalSeconds < limit &&
    o.signalSeconds <= 65535
  )) {
    throw new PlanError(
      `--signal-seconds ${o.signalSeconds} is invalid; allowed: an integer 1 ... ${Math.min(limit - 1, 65535)} (below the time limit ${o.time})`,
    );
  }
  if (o.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(o.partition))
    throw new PlanError(`--partition ${o.partition} is invalid; allowed: letters, digits, _ . , -`);
  if (o.mem !== undefined && !/^\d+[KMGT]?$/.test(o.mem))
    throw new PlanError(`--mem ${o.mem} is invalid; allowed: an integer with an optional unit K, M, G or T (e.g. 16G)`);
  if (!/^[A-Za-z0-9_.-]+$/.test(o.jobName))
    throw new PlanError(`--job-name ${o.jobName} is invalid; allowed: letters, digits, _ . -`);
}

/** The batch script of `plan` (stored at `planPath`) as a job array; see the module comment. */
export function sbatchScript(planPath: string, plan: SweepPlan, o: SlurmOptions): string {
  checkSlurmOptions(o);
  const n = plan.entries.length;
  const directives = [
    `--job-name=${o.jobName}`,
    `--array=0-${n - 1}${o.maxParallel ? `%${o.maxParallel}` : ""}`,
    `--time=${o.time}`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    `--ntasks=1`,
    `--cpus-per-task=${o.cpusPerTask}`,
    ...(o.gpusPerTask ? [`--gpus-per-task=${o.gpusPerTask}`] : []),
    ...(o.mem ? [`--mem=${o.mem}`] : []),
    `--output=${resolve(o.logDir)}/%A_%a.out`,
    // A requeued task appends to its log instead of replacing the first attempt's.
    `--open-mode=append`,
    `--requeue`,
    `--signal=B:USR1@${o.signalSeconds}`,
  ];
  const worker = [
    "node",
    "--import",
    "tsx",
    "scripts/sweep.ts",
    "--plan",
    sh(resolve(planPath)),
    "--index",
    `"$SLURM_ARRAY_TASK_ID"`,
  ];
  if (o.runsDir) worker.push("--runs-dir", sh(resolve(o.runsDir)));
  return [
    "#!/bin/bash",
    `# Sweep plan ${resolve(planPath)}: ${n} runs on the ${plan.backend} backend, array task i = plan entry i.`,
    "# Written by npm run sweep -- --plan <file> --slurm; submit with sbatch (or --submit).",
    ...directives.map((d) => `#SBATCH ${d}`),
    "set -u",
    ...(o.setup ? [o.setup] : []),
    `cd ${sh(REPO_ROOT)}`,
    `${worker.join(" ")} &`,
    "worker=$!",
    `# USR1 comes ${o.signalSeconds} s before the time limit: the worker stops, releases its run and exits ${EXIT.stopped}.`,
    `trap 'again=1; kill -USR1 "$worker" 2>/dev/null' USR1`,
    // A trap interrupts wait; wait again until the worker's own exit status is known.
    "again=1",
    `while [ "$again" = 1 ]; do again=0; wait "$worker"; rc=$?; done`,
    `if [ "$rc" = ${EXIT.stopped} ]; then scontrol requeue "$SLURM_JOB_ID"; fi`,
    `exit "$rc"`,
    "",
  ].join("\n");
}

/** Writes `text` to `path`; an existing file with other content is kept and refused (PlanError). */
export function writeScript(path: string, text: string): "written" | "unchanged" {
  if (existsSync(path)) {
    if (readFileSync(path, "utf8") === text) return "unchanged";
    throw new PlanError(
      `${path} already exists with other content; it is kept. Give another --script file, or delete it`,
    );
  }
  writeFileAtomic(path, text);
  return "written";
}

export interface Submission {
  jobId: string;
  script: string;
  /** The array indices submitted ("0-3" or the resubmitted ones). */
  array: string;
  submitted: string;
}

export const submissionsPath = (planPath: string) => `${resolve(planPath)}.jobs.jsonl`;

/** Whether an `sbatch` program is on the PATH (it may still lack a configuration). */
export function hasSbatch(): boolean {
  return (
    (spawnSync("sbatch", ["--version"], { stdio: "ignore" }).error as NodeJS.ErrnoException | undefined)?.code !==
    "ENOENT"
  );
}

/** Submits `script` (optionally only the array `indices`), records it beside the plan and returns the submission. */
export function submit(planPath: string, script: string, indices?: number[]): Submission {
  const args = ["--parsable", ...(indices ? [`--array=${arrayRanges(indices)}`] : []), resolve(script)];
  let out: string;
  try {
    out = execFileSync("sbatch", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`sbatch ${args.join(" ")} failed: ${(err.stderr || err.message).trim()}`, { cause: e });
  }
  // --parsable prints "<jobid>" or "<jobid>;<cluster>".
  const jobId = out.trim().split(";")[0];
  const array = indices
    ? arrayRanges(indices)
    : (/^#SBATCH --array=(\S+)$/m.exec(readFileSync(script, "utf8"))?.[1] ?? "");
  const record: Submission = { jobId, script: resolve(script), array, submitted: new Date().toISOString() };
  appendFileSync(submissionsPath(planPath), JSON.stringify(record) + "\n");
  return record;
}

/** The submissions of a plan, oldest first (none when it was never submitted). */
export function submissions(planPath: string): Submission[] {
  const path = submissionsPath(planPath);
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Submission);
}

/**
 * The queue state (PENDING, RUNNING, REQUEUED, …) of each plan index with a task of one of
 * `jobIds` in the queue, or undefined when squeue cannot be asked.
 */
export function queueStates(jobIds: string[]): Map<number, string> | undefined {
  let out: string;
  try {
    out = execFileSync("squeue", ["-h", "-r", "-u", userInfo().username, "-o", "%F|%K|%T"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
  const states = new Map<number, string>();
  for (const line of out.split("\n")) {
    const [job, task, state] = line.trim().split("|");
    if (jobIds.includes(job) && /^\d+$/.test(task ?? "")) states.set(Number(task), state);
  }
  return states;
}
