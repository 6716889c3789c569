/**
 * Sweep plans without a scheduler: the plan file, its checks, entry selection, and workers as
 * real processes (`npm run sweep -- --plan <file> --index <i>`): two workers on one entry, a
 * worker stopped by SIGUSR1 and run again. Reference numbers come from runExperiment in this
 * process, an independent path from the plan's workers.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT, parseSweepArgs, runCli, UsageError } from "./cli";
import { presetConfig } from "./presets";
import { runExperiment } from "./runner";
import { RunDir, type MetricLine } from "./store";
import { entryStatus, makePlan, readPlan, selectEntries, writePlan, type SweepPlan } from "./sweep_plan";

// The direct runs of this process must use the plan's backend and threads (numbers depend on both).
process.env.PADAM_BACKEND = "wasm";
process.env.PADAM_THREADS = "1";

const REPO = resolve(__dirname, "../..");
const SWEEP = join(REPO, "scripts/sweep.ts");
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `padam-plan-${name}-`));

function withoutTime(lines: MetricLine[]): Omit<MetricLine, "wallMs" | "check">[] {
  return lines.map(({ wallMs: _time, check: _check, ...rest }) => rest);
}

/** Runs the sweep command in its own process; resolves with its exit code and output. */
function sweep(args: string[], onStart?: (pid: number) => void): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", SWEEP, ...args], {
      cwd: REPO,
      env: { ...process.env, PADAM_THREADS: "1" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("spawn", () => onStart?.(child.pid!));
    child.on("exit", (code) => done({ code, out }));
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SMOKE = ["--preset", "fmnist-cnn-smoke", "--train-limit", "128"];

describe("sweep plan file", () => {
  const configs = [0, 1, 2].map((seed) => presetConfig("fmnist-cnn-smoke", "sgd", { seed }));

  test("the plan fixes the backend in every run id and is written once", () => {
    const dir = tmp("file");
    const plan = makePlan(configs, { backend: "cpu", threads: 1, runsDir: join(dir, "runs") });
    // The id names the backend and the seed: <preset>-<optimizer>-<hash>-<backend>-s<seed>.
    assert.deepEqual(
      plan.entries.map((e) => e.runId.replace(/-[0-9a-f]{8}-/, "-H-")),
      ["fmnist-cnn-smoke-sgd-H-cpu-s0", "fmnist-cnn-smoke-sgd-H-cpu-s1", "fmnist-cnn-smoke-sgd-H-cpu-s2"],
    );
    const path = join(dir, "plan.json");
    assert.equal(writePlan(path, plan), "written");
    const text = readFileSync(path, "utf8");
    assert.equal(writePlan(path, { ...plan, created: "later" }), "unchanged", "the same plan again");
    const other = makePlan(configs.slice(0, 2), { backend: "cpu", threads: 1, runsDir: join(dir, "runs") });
    assert.throws(() => writePlan(path, other), /plan\.json already exists and holds another plan; it is kept/);
    assert.throws(
      () => writePlan(path, makePlan(configs, { backend: "wasm", threads: 1, runsDir: join(dir, "runs") })),
      /holds another plan/,
    );
    assert.equal(readFileSync(path, "utf8"), text, "the file is untouched");
    assert.deepEqual(
      readPlan(path).entries.map((e) => e.config.seed),
      [0, 1, 2],
    );
  });

  test("a plan whose entries do not match their run ids, or of another format, is refused", () => {
    const dir = tmp("bad");
    const plan = makePlan(configs, { backend: "cpu", threads: 1, runsDir: dir });
    const write = (p: unknown) => {
      const path = join(dir, `p${Math.random()}.json`);
      writeFileSync(path, JSON.stringify(p));
      return path;
    };
    const edited: SweepPlan = JSON.parse(JSON.stringify(plan));
    edited.entries[1].config.epochs = 9;
    assert.throws(
      () => readPlan(write(edited)),
      /entry 1 has run id fmnist-cnn-smoke-sgd-\w+-cpu-s1, but this code computes fmnist-cnn-smoke-sgd-\w+-cpu-s1 for its config/,
    );
    assert.throws(
      () => readPlan(write({ ...plan, backend: "webgl" })),
      /backend "webgl" is not one of tensorflow, wasm, cpu/,
    );
    assert.throws(() => readPlan(write({ ...plan, format: "x" })), /format is "x", expected "padam-sweep-plan\/1"/);
    assert.throws(() => readPlan(write({ ...plan, threads: 0 })), /threads 0 is not an integer 1 \.\.\. 8/);
    assert.throws(() => readPlan(join(dir, "absent.json")), /absent\.json: cannot read the plan/);
  });

  test("an index or a shard picks entries; out of range is refused with the allowed range", () => {
    const seven = makePlan(
      [0, 1, 2, 3, 4, 5, 6].map((seed) => presetConfig("fmnist-cnn-smoke", "sgd", { seed })),
      { backend: "cpu", threads: 1, runsDir: "/tmp" },
    );
    assert.deepEqual(
      selectEntries(seven, { shard: 1, of: 3 }).map((e) => e.index),
      [1, 4],
    );
    assert.deepEqual(
      selectEntries(seven, { shard: 0, of: 3 }).map((e) => e.index),
      [0, 3, 6],
    );
    assert.deepEqual(
      selectEntries(seven, { index: 6 }).map((e) => e.config.seed),
      [6],
    );
    assert.throws(
      () => selectEntries(seven, { index: 7 }),
      /--index 7 is invalid; allowed: an integer 0 \.\.\. 6 \(the plan has 7 entries\)/,
    );
  });
});

describe("sweep plan command line", () => {
  const BAD: [string[], RegExp][] = [
    [
      ["--plan", "p.json"],
      /--plan <file> needs --preset and grid options \(write a plan\), --index <i> or --shard <i\/n>/,
    ],
    [["--index", "0", "--preset", "fmnist-cnn-smoke"], /^--index needs --plan$/],
    [
      ["--plan", "p.json", "--index", "0", "--seeds", "1"],
      /^--seeds does not apply to --index\/--shard \(the plan fixes the grid\)$/,
    ],
    [["--plan", "p.json", "--index", "0", "--shard", "0/2"], /--index and --shard exclude each other/],
    [
      ["--plan", "p.json", "--shard", "2/2"],
      /^--shard 2\/2 is invalid; allowed: i\/n with integers n >= 1 and 0 <= i < n/,
    ],
    [["--plan", "p.json", "--index=-1"], /^--index -1 is invalid; allowed: an integer >= 0$/],
    [["--plan", "p.json", "--slurm"], /--slurm needs --time <limit>/],
    [["--plan", "p.json", "--time", "10"], /--plan <file> needs/],
    [["--plan", "p.json", "--index", "0", "--time", "10"], /^--time does not apply to --index\/--shard/],
    [["--preset", "fmnist-cnn-smoke", "--plan", "p.json", "--time", "10"], /^--time needs --slurm$/],
    [
      ["--plan", "p.json", "--slurm", "--time", "10", "--cpus-per-task", "0"],
      /^--cpus-per-task 0 is invalid; allowed: an integer >= 1$/,
    ],
    [["--status", "p.json", "--index", "1"], /^--index does not apply to --status$/],
    [["--preset", "fmnist-cnn-smoke", "--resubmit-failed"], /^--resubmit-failed needs --status$/],
    [["--preset", "fmnist-cnn-smoke", "--plan", "p.json", "--force"], /^--force does not apply when writing a plan/],
    [
      ["--preset", "fmnist-cnn-smoke", "--plan", "p.json", "--threads", "9"],
      /^--threads 9 is invalid; allowed: an integer 1 \.\.\. 8$/,
    ],
  ];
  for (const [argv, message] of BAD) {
    test(`refuses ${argv.join(" ")}`, () => {
      assert.throws(
        () => parseSweepArgs(argv),
        (e: Error) => e instanceof UsageError && message.test(e.message),
      );
    });
  }

  test("a bad backend or plan file exits 2 before anything is written", async () => {
    const dir = tmp("cli");
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    const code = await runCli(
      "sweep",
      [...SMOKE, "--plan", join(dir, "p.json"), "--backend", "webgl", "--runs-dir", join(dir, "runs")],
      io,
    );
    assert.equal(code, EXIT.usage);
    assert.match(lines.join(""), /--backend = "webgl" is not a backend; allowed: tensorflow, wasm, cpu/);
    assert.equal(existsSync(join(dir, "p.json")), false);
    const status = await runCli("sweep", ["--status", join(dir, "p.json")], io);
    assert.equal(status, EXIT.usage);
  });
});

describe("plan workers (processes)", () => {
  test("two workers on one entry: one trains, the other leaves it (exit 4); the run equals a direct one", async () => {
    const dir = tmp("two");
    const plan = join(dir, "plan.json");
    const runs = join(dir, "runs");
    // Six epochs, so that the run is still training when the second worker has started.
    const made = await sweep([
      ...SMOKE,
      "--optimizers",
      "sgd",
      "--epochs",
      "6",
      "--backend",
      "wasm",
      "--plan",
      plan,
      "--runs-dir",
      runs,
    ]);
    assert.equal(made.code, EXIT.ok, made.out);
    const entry = readPlan(plan).entries[0];
    const rd = new RunDir(join(runs, entry.runId));
    const first = sweep(["--plan", plan, "--index", "0"]);
    await until("the first worker holds the run", () => existsSync(join(rd.dir, ".lock")) && existsSync(rd.statusPath));
    const second = await sweep(["--plan", plan, "--index", "0"]);
    const one = await first;
    assert.equal(one.code, EXIT.ok, one.out);
    assert.equal(second.code, EXIT.locked, second.out);
    assert.match(
      second.out,
      new RegExp(`\\[entry 0\\] ${entry.runId}: left to the worker that holds it: process \\d+ on `),
    );
    assert.equal(entryStatus(entry, runs).state, "finished");
    const direct = await runExperiment(entry.config, { runsDir: tmp("two-direct"), progress: "none" });
    assert.deepEqual(withoutTime(rd.metrics()), withoutTime(direct.metrics));
    const again = await sweep(["--plan", plan, "--index", "0"]);
    assert.equal(again.code, EXIT.ok);
    assert.match(again.out, /already finished, not trained again/);
  });

  test("SIGUSR1 stops a worker (exit 5, lock released); run again, it resumes to the uninterrupted numbers", async () => {
    const dir = tmp("usr1");
    const plan = join(dir, "plan.json");
    const runs = join(dir, "runs");
    assert.equal(
      (
        await sweep([
          ...SMOKE,
          "--optimizers",
          "padam",
          "--epochs",
          "4",
          "--backend",
          "wasm",
          "--plan",
          plan,
          "--runs-dir",
          runs,
        ])
      ).code,
      EXIT.ok,
    );
    const entry = readPlan(plan).entries[0];
    const rd = new RunDir(join(runs, entry.runId));
    let pid = 0;
    const worker = sweep(["--plan", plan, "--index", "0"], (p) => (pid = p));
    await until("epoch 1 is checkpointed", () => (existsSync(rd.statusPath) ? (rd.status()?.epoch ?? -1) >= 0 : false));
    process.kill(pid, "SIGUSR1");
    const stopped = await worker;
    assert.equal(stopped.code, EXIT.stopped, stopped.out);
    assert.match(stopped.out, /SIGUSR1: stopping the worker/);
    assert.equal(existsSync(join(rd.dir, ".lock")), false, "the lock is released");
    const mid = entryStatus(entry, runs);
    assert.equal(mid.state, "failed");
    assert.match(mid.detail!, /^interrupted after epoch \d of 4; resumes from its checkpoint/);
    const resumed = await sweep(["--plan", plan, "--index", "0"]);
    assert.equal(resumed.code, EXIT.ok, resumed.out);
    assert.match(resumed.out, /resuming after epoch \d/);
    const direct = await runExperiment(entry.config, { runsDir: tmp("usr1-direct"), progress: "none" });
    assert.deepEqual(withoutTime(rd.metrics()), withoutTime(direct.metrics));
  });
});
