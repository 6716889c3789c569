/**
 * The plan commands of `npm run sweep` (see its --help): write a plan, run entries, write and
 * submit a SLURM script, report the status of every entry and resubmit the failed ones.
 */
import { basename, dirname, join, resolve } from "node:path";
import { initBackend } from "../backend/init";
import { parseBackendRequest, type BackendRequest } from "../backend/select";
import type { ExperimentConfig } from "./config";
import { EXIT } from "./exit_codes";
import {
  DEFAULT_SIGNAL_SECONDS,
  queueStates,
  sbatchScript,
  submissions,
  submit,
  writeScript,
  type SlurmOptions,
} from "./slurm";
import {
  entryStatus,
  makePlan,
  PlanError,
  readPlan,
  selectEntries,
  writePlan,
  type EntryStatus,
  type SweepPlan,
} from "./sweep_plan";
import { CHILD_ENV, runEntries, superviseEntries } from "./sweep_worker";
import type { PlanArgs, SlurmArgs } from "./cli";

export interface SweepIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Checks (creating if absent) a runs directory; throws RunsDirError. */
  runsDir: (flag: string | undefined) => string;
}

/** Backend of a new plan: --backend, else PADAM_BACKEND, else the one selected here (said so). */
async function planBackend(flag: string | undefined, io: SweepIo): Promise<BackendRequest> {
  const env = process.env.PADAM_BACKEND?.trim();
  if (flag !== undefined) return asPlanError(() => parseBackendRequest(flag, "--backend"));
  if (env) return asPlanError(() => parseBackendRequest(env, "PADAM_BACKEND"));
  const info = await initBackend({ quiet: true });
  io.err(
    `note: the plan's runs use ${info.name}, the backend selected on this machine; give --backend if the workers' machines differ\n`,
  );
  return info.name as BackendRequest;
}

function asPlanError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new PlanError((e as Error).message);
  }
}

function planThreads(flag: number | undefined): number {
  if (flag !== undefined) return flag;
  const env = process.env.PADAM_THREADS?.trim();
  if (!env) return 1;
  const n = Number(env);
  if (!(/^[0-9]+$/.test(env) && n >= 1 && n <= 8))
    throw new PlanError(`PADAM_THREADS = ${JSON.stringify(env)} is invalid for a plan; allowed: an integer 1 ... 8`);
  return n;
}

/** `--preset … --plan <file>`: writes the plan (and, with --slurm, its script). */
export async function writePlanCommand(
  configs: ExperimentConfig[],
  args: PlanArgs,
  runsDirFlag: string | undefined,
  io: SweepIo,
): Promise<number> {
  const threads = planThreads(args.threads);
  const backend = await planBackend(args.backend, io);
  const plan = makePlan(configs, { backend, threads, runsDir: io.runsDir(runsDirFlag) });
  const outcome = writePlan(args.path, plan);
  io.err(
    `${outcome === "written" ? "wrote" : "unchanged:"} plan ${args.path}: ${plan.entries.length} runs on ${backend} (${threads} thread(s)), runs directory ${plan.runsDir}\n`,
  );
  for (const e of plan.entries) io.out(`${String(e.index).padStart(4)}  ${e.runId}\n`);
  return args.slurm ? slurmCommand(args, undefined, io, plan) : EXIT.ok;
}

function runsDirOf(plan: SweepPlan, flag: string | undefined, io: SweepIo): string {
  return io.runsDir(flag ?? plan.runsDir);
}

/** `--plan <file> --index <i>` / `--shard <i/n>`: supervised (see sweep_worker), or the training child itself. */
export async function workCommand(
  argv: string[],
  args: PlanArgs,
  runsDirFlag: string | undefined,
  io: SweepIo,
): Promise<number> {
  const plan = readPlan(args.path);
  const entries = selectEntries(plan, args.pick!);
  const runsDir = runsDirOf(plan, runsDirFlag, io);
  if (process.env[CHILD_ENV] === "1") return runEntries(plan, entries, runsDir, io);
  return superviseEntries(argv, plan, entries, runsDir, io);
}

/** The script's options: the command line's, with the defaults that depend on the plan. */
function slurmOptions(
  planPath: string,
  plan: SweepPlan,
  slurm: SlurmArgs,
  runsDirFlag: string | undefined,
  io: SweepIo,
): SlurmOptions {
  const runsDir = runsDirOf(plan, runsDirFlag, io);
  return {
    cpusPerTask: plan.threads,
    signalSeconds: DEFAULT_SIGNAL_SECONDS,
    jobName: `padam-${basename(planPath)
      .replace(/\.json$/, "")
      .replace(/[^A-Za-z0-9_.-]+/g, "-")}`,
    logDir: join(runsDir, "slurm-logs"),
    ...(runsDirFlag !== undefined ? { runsDir } : {}),
    ...slurm.options,
  };
}

/** `--plan <file> --slurm …`: writes the job-array script; with --submit, submits it. */
export async function slurmCommand(
  args: PlanArgs,
  runsDirFlag: string | undefined,
  io: SweepIo,
  written?: SweepPlan,
): Promise<number> {
  const plan = written ?? readPlan(args.path);
  const slurm = args.slurm!;
  const options = slurmOptions(args.path, plan, slurm, runsDirFlag, io);
  const script =
    slurm.script ?? join(dirname(resolve(args.path)), `${basename(args.path).replace(/\.json$/, "")}.sbatch`);
  const text = sbatchScript(args.path, plan, options);
  io.runsDir(options.logDir); // SLURM does not create the log folder; a task without it fails at once
  const outcome = writeScript(script, text);
  io.err(
    `${outcome === "written" ? "wrote" : "unchanged:"} ${script} (array 0-${plan.entries.length - 1}, time ${options.time}, logs in ${options.logDir})\n`,
  );
  if (!slurm.submit) return EXIT.ok;
  const s = submit(args.path, script);
  io.out(`submitted job ${s.jobId} (array ${s.array})\n`);
  return EXIT.ok;
}

/** The status line of one entry. */
function statusLine(index: number, runId: string, s: EntryStatus, queue: string | undefined): string {
  const epochs = s.epochs ? `${s.epochs.done}/${s.epochs.of}` : "-";
  const cols = [
    String(index).padStart(4),
    s.state.padEnd(12),
    epochs.padStart(7),
    (queue ?? "-").padEnd(9),
    (s.madeBy ?? "-").padEnd(24),
    runId,
  ];
  return cols.join("  ") + (s.detail ? `\n        ${s.detail}` : "") + "\n";
}

/**
 * Each entry's status, with the queue's view of the plan's submitted tasks: a pending or
 * interrupted entry whose task waits in the queue is "queued"; an entry with no records whose
 * task is no longer in the queue after a submission is "failed" (it ended before it could
 * create its run: see its log).
 */
export function planStatus(
  planPath: string,
  plan: SweepPlan,
  runsDir: string,
): { status: EntryStatus; queue?: string }[] {
  const subs = submissions(planPath);
  const queue = subs.length > 0 ? queueStates(subs.map((s) => s.jobId)) : undefined;
  const lastJob = subs[subs.length - 1];
  return plan.entries.map((e) => {
    const status = entryStatus(e, runsDir);
    const q = queue?.get(e.index);
    if (status.state === "pending" && queue && lastJob && q === undefined) {
      return {
        status: {
          ...status,
          state: "failed",
          detail: `no records and not in the queue; see the log of job ${lastJob.jobId}, task ${e.index}`,
        },
      };
    }
    const waiting =
      q !== undefined &&
      (status.state === "pending" || (status.state === "failed" && status.detail?.startsWith("interrupted")));
    return { status: waiting ? { ...status, state: "queued" } : status, queue: q };
  });
}

/** `--status <file>` (and `--resubmit-failed`). */
export async function statusCommand(args: PlanArgs, runsDirFlag: string | undefined, io: SweepIo): Promise<number> {
  const plan = readPlan(args.path);
  const runsDir = runsDirOf(plan, runsDirFlag, io);
  const rows = planStatus(args.path, plan, runsDir);
  io.out(
    `index  ${"state".padEnd(12)}  ${"epochs".padStart(7)}  ${"queue".padEnd(9)}  ${"made by (node, job)".padEnd(24)}  run\n`,
  );
  rows.forEach(({ status, queue }, i) => io.out(statusLine(i, plan.entries[i].runId, status, queue)));
  const counts = new Map<string, number>();
  for (const { status } of rows) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
  io.out(`${[...counts].map(([state, n]) => `${n} ${state}`).join(", ")} (of ${rows.length}; runs in ${runsDir})\n`);
  if (!args.resubmitFailed) return EXIT.ok;
  const failed = rows.flatMap(({ status }, i) =>
    status.state === "failed" || status.state === "stale-locked" ? [i] : [],
  );
  if (failed.length === 0) {
    io.err("nothing to resubmit: no entry is failed or stale-locked\n");
    return EXIT.ok;
  }
  const last = submissions(args.path).pop();
  if (!last)
    throw new PlanError(
      `${args.path} was never submitted (no ${basename(args.path)}.jobs.jsonl); write and submit its script with --plan ${args.path} --slurm --time <limit> --submit`,
    );
  const s = submit(args.path, last.script, failed);
  io.out(
    `resubmitted ${failed.length} entr${failed.length === 1 ? "y" : "ies"} as job ${s.jobId} (array ${s.array})\n`,
  );
  return EXIT.ok;
}
