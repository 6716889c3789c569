/**
 * The run store under abuse: concurrent writers, damaged and torn metrics, missing or edited
 * records, stale locks. Each case starts from a copy of one small finished (or half-finished)
 * run, damages it the way a crash or a careless edit would, and checks that nothing is lost,
 * mixed or silently replaced.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { presetConfig } from "./presets";
import { runExperiment, type RunResult } from "./runner";
import { acquireRunLock, RunLockedError, STALE_AFTER_MS } from "./run_lock";
import { configDifferences, RunDir, scanRuns, type MetricLine } from "./store";

const REPO = resolve(__dirname, "../..");
const TRAIN = join(REPO, "scripts/train.ts");
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `padam-store-${name}-`));
const quiet = { progress: "none" as const };

/** Metrics without wall time and the check that covers it: what reproducibility is about. */
const numbers = (lines: MetricLine[]) => lines.map(({ wallMs: _w, check: _c, ...rest }) => rest);

function lines(dir: string): string[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

describe("run store", () => {
  const config = presetConfig("fmnist-cnn-smoke", "padam", { epochs: 3, trainLimit: 64, testLimit: 50 });
  let finished: RunResult; // an uninterrupted run: the reference for every repaired one
  let halfway: RunResult; // the same run stopped after epoch 2 of 3
  const copyOf = (r: RunResult, name: string) => {
    const runsDir = tmp(name);
    cpSync(r.dir, join(runsDir, r.runId), { recursive: true });
    return { runsDir, dir: join(runsDir, r.runId) };
  };

  before(async () => {
    finished = await runExperiment(config, { runsDir: tmp("finished"), ...quiet });
    halfway = await runExperiment(config, { runsDir: tmp("halfway"), ...quiet, stopAfterEpochs: 2 });
    assert.equal(finished.status, "finished");
    assert.equal(halfway.status, "running");
    // The network learns on the active backend: weights updated by the optimizer reach the next
    // forward pass (an in-place weight update once went unseen by wasm's cached conv operators).
    const trainLoss = finished.metrics.filter((m) => m.split === "train").map((m) => m.loss);
    assert.ok(trainLoss[2] < trainLoss[0] - 0.01, `training loss ${trainLoss.join(", ")} falls`);
  });

  test("every record carries a check; an edited number is reported with file and line, never used", async () => {
    const { runsDir, dir } = copyOf(finished, "edited");
    const rows = lines(dir);
    assert.equal(rows.length, 6);
    assert.ok(rows.every((r) => /"check":"[0-9a-f]{8}"/.test(r)));
    rows[1] = rows[1].replace(/"acc":[0-9.]+/, '"acc":0.99');
    writeFileSync(join(dir, "metrics.jsonl"), rows.join("\n") + "\n");
    await assert.rejects(runExperiment(config, { runsDir, ...quiet }), (e: Error) => {
      assert.match(e.message, new RegExp(`metrics\\.jsonl:2: its check does not match its values`));
      assert.match(e.message, /--force/);
      return true;
    });
    const { runs, problems } = scanRuns(runsDir);
    assert.equal(runs.length, 0);
    assert.match(problems[0], /metrics\.jsonl:2/);
  });

  test("a damaged middle line stops --resume with its file and line; no record is dropped", async () => {
    const { runsDir, dir } = copyOf(halfway, "middle");
    const before = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    const rows = before.split("\n");
    rows[1] = rows[1].slice(0, 20); // line 2 cut short, as by a disk error
    writeFileSync(join(dir, "metrics.jsonl"), rows.join("\n"));
    const damaged = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    await assert.rejects(
      runExperiment(config, { runsDir, ...quiet, resume: true }),
      /metrics\.jsonl:2: not valid JSON[\s\S]*cannot be recovered/,
    );
    assert.equal(readFileSync(join(dir, "metrics.jsonl"), "utf8"), damaged, "metrics untouched");
    assert.equal(new RunDir(dir).status()?.status, "running", "not marked finished");
  });

  test("a torn last line beyond the checkpoint is dropped and its epoch re-run to the same numbers", async () => {
    const { runsDir, dir } = copyOf(halfway, "torn");
    // A kill while epoch 3's records were being appended: one whole record, one torn.
    const third = lines(finished.dir).slice(4);
    writeFileSync(
      join(dir, "metrics.jsonl"),
      readFileSync(join(dir, "metrics.jsonl"), "utf8") + third[0] + "\n" + third[1].slice(0, 30),
    );
    const notes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (notes.push(String(chunk)), true)) as typeof process.stderr.write;
    let resumed: RunResult;
    try {
      resumed = await runExperiment(config, { runsDir, progress: "auto", resume: true });
    } finally {
      process.stderr.write = write;
    }
    assert.equal(resumed.status, "finished");
    assert.match(notes.join(""), /resuming after epoch 2; dropped 2 record\(s\) of epoch 3/);
    assert.deepEqual(numbers(new RunDir(dir).metrics()), numbers(finished.metrics));
  });

  test("a finished run whose config.json or status.json is missing is reported, not retrained", async () => {
    for (const file of ["config.json", "status.json"]) {
      const { runsDir, dir } = copyOf(finished, file);
      rmSync(join(dir, file));
      const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8");
      for (const resume of [false, true]) {
        await assert.rejects(
          runExperiment(config, { runsDir, ...quiet, resume }),
          new RegExp(`${file.replace(".", "\\.")} is missing[\\s\\S]*--force`),
        );
      }
      assert.equal(readFileSync(join(dir, "metrics.jsonl"), "utf8"), metrics, `${file}: results kept`);
      assert.match(scanRuns(runsDir).problems[0], new RegExp(`${file.replace(".", "\\.")} is missing`));
    }
  });

  test("an edited config.json is refused with the differing keys; --force replaces the run", async () => {
    const { runsDir, dir } = copyOf(halfway, "config");
    const record = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    record.config.optimizerOptions.learningRate = 5;
    record.config.epochs = 9;
    writeFileSync(join(dir, "config.json"), JSON.stringify(record));
    await assert.rejects(
      runExperiment(config, { runsDir, ...quiet, resume: true }),
      /config\.json does not match the requested config at epochs, optimizerOptions\.learningRate \(stored epochs = 9, optimizerOptions\.learningRate = 5; requested epochs = 3, optimizerOptions\.learningRate = 0\.1\)/,
    );
    const replaced = await runExperiment(config, { runsDir, ...quiet, force: true });
    assert.equal(replaced.skipped, false);
    assert.deepEqual(numbers(replaced.metrics), numbers(finished.metrics));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).config, config);
  });

  test("a finished run is reused as it is, and provenance names the code that made it", async () => {
    const { runsDir } = copyOf(finished, "reuse");
    const again = await runExperiment(config, { runsDir, ...quiet });
    assert.equal(again.skipped, true);
    const p = JSON.parse(readFileSync(join(finished.dir, "provenance.json"), "utf8"));
    assert.match(p.sourceHash, /^[0-9a-f]{16}$/);
    assert.equal(p.sessions.length, 1);
    assert.equal(p.sessions[0].epochs, 3);
    assert.ok(p.wallMs > 0 && p.machine.cores >= 1 && p.backend.name);
  });

  test("an aborted run stops cleanly (mid-epoch or at an epoch's end) and resumes to the same numbers", async () => {
    const runsDir = tmp("abort");
    const before = new AbortController();
    before.abort(); // a time-limit signal that arrives before the first batch
    const none = await runExperiment(config, { runsDir, ...quiet, signal: before.signal });
    assert.equal(none.status, "running");
    assert.equal(none.metrics.length, 0);
    const later = new AbortController();
    const one = await runExperiment(config, {
      runsDir,
      ...quiet,
      resume: true,
      signal: later.signal,
      onEpochEnd: () => later.abort(),
    });
    assert.equal(one.status, "running");
    assert.equal(one.metrics.length, 2, "stopped after the epoch that saw the signal");
    assert.equal(existsSync(join(one.dir, ".lock")), false, "the lock is released");
    const rest = await runExperiment(config, { runsDir, ...quiet, resume: true });
    assert.deepEqual(numbers(rest.metrics), numbers(finished.metrics));
  });

  test("configDifferences ignores key order and lists nested paths", () => {
    assert.deepEqual(configDifferences({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), []);
    assert.deepEqual(configDifferences({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 4 }, e: true }), ["b.c", "e"]);
  });
});

describe("run lock", () => {
  test("a second writer is refused while the first holds the lock; a dead owner's lock is recovered", () => {
    const dir = join(tmp("lock"), "run");
    const first = acquireRunLock(dir);
    assert.throws(() => acquireRunLock(dir), /already holds the lock/);
    first.release();
    assert.equal(existsSync(dir), false, "an empty run directory goes with its lock");
    const leaveLock = (owner: object) => (
      mkdirSync(dir, { recursive: true }),
      writeFileSync(join(dir, ".lock"), JSON.stringify(owner))
    );
    // A lock left by a process of this host that no longer exists.
    leaveLock({ host: hostname(), pid: 2 ** 22 + 12345, started: "then" }); // above Linux's largest pid
    const notes: string[] = [];
    const second = acquireRunLock(dir, (n) => notes.push(n));
    assert.match(notes[0], /recovered the stale lock of process 4206649/);
    second.release();
    // Another host's lock: alive while its heartbeat is fresh, abandoned after STALE_AFTER_MS.
    leaveLock({ host: "node-17", pid: 1, started: "then" });
    assert.throws(
      () => acquireRunLock(dir),
      (e: Error) => e instanceof RunLockedError && /process 1 on node-17/.test(e.message),
    );
    const old = new Date(Date.now() - STALE_AFTER_MS - 60_000);
    utimesSync(join(dir, ".lock"), old, old);
    acquireRunLock(dir).release();
  });

  test("two identical train commands into one runs directory: one trains, the other refuses; each epoch is written once", async () => {
    const runsDir = tmp("concurrent");
    const args = [
      "--import",
      "tsx",
      TRAIN,
      "--preset",
      "fmnist-cnn-smoke",
      "--optimizer",
      "adam",
      "--epochs",
      "2",
      "--train-limit",
      "256",
      "--runs-dir",
      runsDir,
    ];
    const start = () =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, args, { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("exit", (code) => done({ code, stderr }));
      });
    const results = await Promise.all([start(), start()]);
    const codes = results.map((r) => r.code).sort();
    assert.equal(codes[0], 0, results.map((r) => r.stderr).join("\n---\n"));
    assert.notEqual(codes[1], 0);
    const refused = results.find((r) => r.code !== 0)!;
    // Both start together and the lock is taken before the data is loaded, so the loser meets a live lock.
    assert.match(refused.stderr, /is being written by process \d+ on /);
    const [id] = readdirSync(runsDir);
    const rows = lines(join(runsDir, id)).map((l) => JSON.parse(l) as MetricLine);
    assert.deepEqual(
      rows.map((r) => `${r.epoch}/${r.split}`),
      ["0/train", "0/test", "1/train", "1/test"],
    );
    assert.equal(existsSync(join(runsDir, id, ".lock")), false, "the lock is released");
  });
});
