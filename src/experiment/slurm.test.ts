/**
 * The SLURM side of sweep plans: the batch script's parts, and a job array on a real SLURM
 * (CI starts a one-node cluster with .ci/slurm-setup.sh): one task is told to stop mid-run,
 * requeues itself and resumes; a second worker is given one entry's index; every run must end
 * with the metrics of the same runs made by a sequential `npm run sweep` in one process.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT, runCli } from "./cli";
import {
  arrayRanges,
  hasSbatch,
  sbatchScript,
  slurmTimeSeconds,
  submissions,
  submit,
  type SlurmOptions,
} from "./slurm";
import { RunDir, type MetricLine } from "./store";
import { entryStatus, makePlan, readPlan } from "./sweep_plan";
import { presetConfig } from "./presets";
import type { Provenance } from "./provenance";

const REPO = resolve(__dirname, "../..");
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `padam-slurm-${name}-`));

describe("SLURM batch script", () => {
  test("time limits in SLURM's formats, in seconds", () => {
    assert.equal(slurmTimeSeconds("90"), 5400, "one field is minutes");
    assert.equal(slurmTimeSeconds("1:30"), 90, "minutes:seconds");
    assert.equal(slurmTimeSeconds("12:00:00"), 43200);
    assert.equal(slurmTimeSeconds("2-00:00:00"), 172800);
    assert.equal(slurmTimeSeconds("1-2"), 93600, "days-hours");
    assert.equal(slurmTimeSeconds("1-2:30"), 95400, "days-hours:minutes");
    assert.throws(() => slurmTimeSeconds("1:2:3:4"), /^Error: --time 1:2:3:4 is invalid; allowed: a SLURM time limit/);
    assert.throws(() => slurmTimeSeconds("2h"), /--time 2h is invalid/);
  });

  test("array indices in SLURM's range syntax", () => {
    assert.equal(arrayRanges([0, 1, 2, 3, 5, 7, 8, 9]), "0-3,5,7-9");
    assert.equal(arrayRanges([4, 2, 2]), "2,4");
  });

  const plan = makePlan(
    [0, 1, 2].map((seed) => presetConfig("fmnist-cnn-smoke", "sgd", { seed })),
    { backend: "tensorflow", threads: 1, runsDir: "/shared/runs" },
  );
  const options: SlurmOptions = {
    time: "12:00:00",
    partition: "gpu",
    cpusPerTask: 4,
    gpusPerTask: 1,
    mem: "16G",
    signalSeconds: 300,
    maxParallel: 2,
    jobName: "padam-x",
    logDir: "/shared/logs",
    setup: "module load nodejs",
  };

  test("the script asks for a requeueable array with a warning before the time limit, and is valid bash", () => {
    const text = sbatchScript("/shared/plan.json", plan, options);
    const directives = text
      .split("\n")
      .filter((l) => l.startsWith("#SBATCH "))
      .map((l) => l.slice(8));
    assert.deepEqual(directives, [
      "--job-name=padam-x",
      "--array=0-2%2",
      "--time=12:00:00",
      "--partition=gpu",
      "--ntasks=1",
      "--cpus-per-task=4",
      "--gpus-per-task=1",
      "--mem=16G",
      "--output=/shared/logs/%A_%a.out",
      "--open-mode=append",
      "--requeue",
      "--signal=B:USR1@300",
    ]);
    assert.match(text, /\nmodule load nodejs\n/);
    assert.match(
      text,
      /node --import tsx scripts\/sweep\.ts --plan '\/shared\/plan\.json' --index "\$SLURM_ARRAY_TASK_ID" &\n/,
    );
    assert.match(text, new RegExp(`if \\[ "\\$rc" = ${EXIT.stopped} \\]; then scontrol requeue "\\$SLURM_JOB_ID"; fi`));
    const path = join(tmp("script"), "s.sbatch");
    writeFileSync(path, text);
    const check = spawnSync("bash", ["-n", path], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
  });

  test("options SLURM would refuse late (or never) are refused first, naming the value", () => {
    assert.throws(
      () => sbatchScript("/p.json", plan, { ...options, time: "5", signalSeconds: 300 }),
      /--signal-seconds 300 is invalid; allowed: an integer 1 \.\.\. 299 \(below the time limit 5\)/,
    );
    assert.throws(
      () => sbatchScript("/p.json", plan, { ...options, mem: "16GB" }),
      /--mem 16GB is invalid; allowed: an integer with an optional unit K, M, G or T/,
    );
    assert.throws(() => sbatchScript("/p.json", plan, { ...options, partition: "a b" }), /--partition a b is invalid/);
  });
});

/** Why the real-SLURM test cannot run here, or undefined when it can. */
function slurmUnavailable(): string | undefined {
  if (!hasSbatch())
    return "sbatch not found: no SLURM on this machine (CI starts a one-node SLURM with .ci/slurm-setup.sh)";
  if (spawnSync("sinfo", ["-h"], { stdio: "ignore" }).status !== 0)
    return "sbatch is installed but no SLURM controller answers (sinfo failed); start one, e.g. source .ci/slurm-setup.sh";
  return undefined;
}

function withoutTime(lines: MetricLine[]): Omit<MetricLine, "wallMs" | "check">[] {
  return lines.map(({ wallMs: _time, check: _check, ...rest }) => rest);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function squeueState(job: string, task: number): string | undefined {
  const out = spawnSync("squeue", ["-h", "-r", "-j", job, "-o", "%K|%T"], { encoding: "utf8" }).stdout ?? "";
  return out
    .split("\n")
    .map((l) => l.split("|"))
    .find(([t]) => t === String(task))?.[1];
}

const unavailable = slurmUnavailable();

describe("a sweep plan as a job array on a real SLURM", { skip: unavailable }, () => {
  const jobs: string[] = [];
  after(() => {
    if (jobs.length > 0) spawnSync("scancel", jobs, { stdio: "ignore" });
  });

  test("a stopped task requeues and resumes, a second worker on one index changes nothing; every run equals the sequential sweep", async () => {
    const dir = tmp("array");
    const planPath = join(dir, "plan.json");
    const runs = join(dir, "runs");
    const grid = [
      "--preset",
      "fmnist-cnn-smoke",
      "--optimizers",
      "padam,sgd",
      "--seeds",
      "0,1",
      "--epochs",
      "4",
      "--train-limit",
      "128",
    ];
    const io = { out: () => {}, err: () => {} };
    // The same grid, sequentially in one process, into another runs directory (the reference numbers).
    const sequential = new Promise<number | null>((done) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(REPO, "scripts/sweep.ts"), ...grid, "--runs-dir", join(dir, "sequential")],
        {
          cwd: REPO,
          stdio: "ignore",
          env: { ...process.env, PADAM_BACKEND: "wasm", PADAM_THREADS: "1" },
        },
      );
      child.on("exit", done);
    });
    assert.equal(
      await runCli(
        "sweep",
        [
          ...grid,
          "--backend",
          "wasm",
          "--threads",
          "1",
          "--plan",
          planPath,
          "--runs-dir",
          runs,
          "--slurm",
          "--time",
          "10",
          "--signal-seconds",
          "60",
          "--submit",
        ],
        io,
      ),
      EXIT.ok,
    );
    const plan = readPlan(planPath);
    const [first] = submissions(planPath);
    jobs.push(first.jobId);
    // A second worker for entry 1: another job with that one index.
    const twin = submit(planPath, first.script, [1]);
    jobs.push(twin.jobId);

    // Stop task 0 once its first epoch is checkpointed, as SLURM does before the time limit.
    const rd0 = new RunDir(join(runs, plan.entries[0].runId));
    await until(
      "task 0 has checkpointed an epoch",
      () => existsSync(rd0.statusPath) && (rd0.status()?.epoch ?? -1) >= 0,
      240_000,
    );
    assert.notEqual(rd0.status()?.status, "finished", "task 0 must still be running when it is told to stop");
    // scancel may report "Job can not be altered now" when the task requeues before it returns; the requeue is what counts.
    spawnSync("scancel", ["--signal=USR1", "--batch", `${first.jobId}_0`], { stdio: "ignore" });
    await until(
      "task 0 is requeued",
      () => ["PENDING", "REQUEUED"].includes(squeueState(first.jobId, 0) ?? ""),
      60_000,
    );
    // SLURM holds a requeued task back for a while (BeginTime); let it start now.
    execFileSync("scontrol", ["update", `JobId=${first.jobId}_0`, "StartTime=now"]);

    await until(
      "every entry is finished",
      () => plan.entries.every((e) => entryStatus(e, runs).state === "finished"),
      300_000,
    );
    await until("no task of the twin job is left", () => squeueState(twin.jobId, 1) === undefined, 60_000);
    assert.equal(await sequential, 0, "the sequential sweep");

    for (const entry of plan.entries) {
      const rd = new RunDir(join(runs, entry.runId));
      const reference = new RunDir(join(dir, "sequential", entry.runId)).metrics();
      assert.deepEqual(
        withoutTime(rd.metrics()),
        withoutTime(reference),
        `entry ${entry.index}: metrics equal the sequential run's`,
      );
      const slurm = (JSON.parse(readFileSync(rd.provenancePath, "utf8")) as Provenance).slurm;
      assert.equal(slurm?.arrayTaskId, String(entry.index), `entry ${entry.index} made by its array task`);
      assert.ok(
        slurm?.arrayJobId === first.jobId || (entry.index === 1 && slurm?.arrayJobId === twin.jobId),
        `entry ${entry.index}: job ${slurm?.arrayJobId}`,
      );
      assert.ok(
        slurm?.node &&
          execFileSync("sinfo", ["-h", "-N", "-o", "%N"], { encoding: "utf8" }).split("\n").includes(slurm.node),
        `node ${slurm?.node}`,
      );
    }
    const sessions = (JSON.parse(readFileSync(rd0.provenancePath, "utf8")) as Provenance).sessions;
    assert.ok(sessions.length >= 2, "the requeued task continued entry 0 in a session of its own");
    assert.deepEqual(
      sessions.map((s) => `${s.slurm?.arrayJobId}_${s.slurm?.arrayTaskId}`),
      sessions.map(() => `${first.jobId}_0`),
    );
    const log = (job: string, task: number) => readFileSync(join(runs, "slurm-logs", `${job}_${task}.out`), "utf8");
    assert.match(
      log(first.jobId, 0),
      /SIGUSR1: stopping the worker[^]*released the lock of [^]*resuming after epoch \d/,
    );
    // Entry 1: exactly one of the two workers trained it; the other left it or found it finished.
    const twins = [log(first.jobId, 1), log(twin.jobId, 1)];
    const trained = twins.filter((l) => /\[entry 1\] \S+: finished\n/.test(l));
    assert.equal(trained.length, 1, twins.join("\n---\n"));
    assert.ok(
      twins.some((l) => /left to the worker that holds it|already finished, not trained again/.test(l)),
      twins.join("\n---\n"),
    );

    const lines: string[] = [];
    assert.equal(
      await runCli("sweep", ["--status", planPath], { out: (t) => lines.push(t), err: (t) => lines.push(t) }),
      EXIT.ok,
    );
    const report = lines.join("");
    assert.match(report, /4 finished \(of 4;/);
    assert.match(report, new RegExp(`\\n +0  finished +4/4 .* job ${first.jobId}_0 `));
  });
});
