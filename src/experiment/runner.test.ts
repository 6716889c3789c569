/**
 * The runner on real data (a small Fashion-MNIST subset): reproducibility, resume after kill -9
 * in a child process, divergence recording, and refusal to touch an unfinished run.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { presetConfig } from "./presets";
import { runExperiment } from "./runner";
import { runId, type MetricLine } from "./store";

const REPO = resolve(__dirname, "../..");
const TRAIN = join(REPO, "scripts/train.ts");

/** The reproducible part of metrics records: without wall time and the check that covers it. */
function withoutTime(lines: MetricLine[]): Omit<MetricLine, "wallMs" | "check">[] {
  return lines.map(({ wallMs: _time, check: _check, ...rest }) => rest);
}

function readMetrics(dir: string): MetricLine[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as MetricLine);
}

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `padam-${name}-`));

describe("runExperiment", () => {
  const config = presetConfig("fmnist-cnn-smoke", "padam", { epochs: 2, trainLimit: 128, testLimit: 100 });

  test("the same seed on the same backend gives the same metrics; another seed does not", async () => {
    const a = await runExperiment(config, { runsDir: tmp("a"), progress: "none" });
    const b = await runExperiment(config, { runsDir: tmp("b"), progress: "none" });
    const c = await runExperiment({ ...config, seed: 1 }, { runsDir: tmp("c"), progress: "none" });
    assert.equal(a.status, "finished");
    assert.equal(a.metrics.length, 4, "train and test lines for 2 epochs");
    assert.deepEqual(withoutTime(a.metrics), withoutTime(b.metrics));
    assert.notDeepEqual(withoutTime(a.metrics), withoutTime(c.metrics));
    assert.deepEqual(withoutTime(readMetrics(a.dir)), withoutTime(a.metrics), "metrics.jsonl holds what was returned");
    const record = JSON.parse(readFileSync(join(a.dir, "config.json"), "utf8"));
    assert.deepEqual(record.config, config);
    assert.equal(record.runId, runId(config));
    assert.equal(a.metrics[1].lr, 0.1);
    assert.ok(Math.abs(a.metrics[3].lr - 0.01) < 1e-12, "step decay at epoch 1");
  });

  test("a finished run is skipped; an unfinished one needs resume", async () => {
    const runsDir = tmp("skip");
    const first = await runExperiment(config, { runsDir, progress: "none", stopAfterEpochs: 1 });
    assert.equal(first.status, "running");
    await assert.rejects(
      runExperiment(config, { runsDir, progress: "none" }),
      /is unfinished \(1 of 2 epochs done\); resume it with --resume/,
    );
    const resumed = await runExperiment(config, { runsDir, progress: "none", resume: true });
    assert.equal(resumed.status, "finished");
    const again = await runExperiment(config, { runsDir, progress: "none" });
    assert.equal(again.skipped, true);
    assert.deepEqual(withoutTime(again.metrics), withoutTime(resumed.metrics));
  });

  test("a non-finite loss marks the run diverged instead of throwing", async () => {
    const runsDir = tmp("diverge");
    const bad = presetConfig("fmnist-cnn-smoke", "sgd", {
      epochs: 2,
      trainLimit: 128,
      testLimit: 100,
      optimizerOptions: { learningRate: 1e12 },
    });
    const r = await runExperiment(bad, { runsDir, progress: "none" });
    assert.equal(r.status, "diverged");
    assert.match(r.reason ?? "", /non-finite training loss \((NaN|Infinity)\) at epoch \d+, batch \d+/);
    const status = JSON.parse(readFileSync(join(r.dir, "status.json"), "utf8"));
    assert.equal(status.status, "diverged");
    const again = await runExperiment(bad, { runsDir, progress: "none" });
    assert.equal(again.skipped, true);
    assert.equal(again.status, "diverged");
  });

  test("gradientStats records the bound's quantities for the run", async () => {
    const r = await runExperiment(
      { ...config, epochs: 1, gradientStats: true },
      { runsDir: tmp("stats"), progress: "none" },
    );
    const stats = JSON.parse(readFileSync(join(r.dir, "gradient-stats.json"), "utf8"));
    assert.equal(stats.T, r.metrics[0].step, "one record per optimizer step");
    assert.equal(stats.d, 225034, "every trainable parameter of fmnist-cnn");
    assert.ok(stats.gInf > 0 && Number.isFinite(stats.gInf));
  });

  test("an invalid config is refused before anything is written", async () => {
    const runsDir = tmp("invalid");
    await assert.rejects(runExperiment({ ...config, epochs: 0 }, { runsDir }), /config: epochs = 0 is invalid/);
    assert.deepEqual(existsSync(runsDir) ? readdirSync(runsDir) : [], [], "nothing written");
  });
});

describe("kill -9 and --resume (child processes)", () => {
  test("a run killed mid-way and resumed produces exactly the metrics of an uninterrupted run", async () => {
    const args = ["--preset", "fmnist-cnn-smoke", "--optimizer", "padam", "--epochs", "4", "--train-limit", "192"];
    const straight = tmp("straight");
    const r = spawnSync(process.execPath, ["--import", "tsx", TRAIN, ...args, "--runs-dir", straight], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);

    const killed = tmp("killed");
    const child = spawn(process.execPath, ["--import", "tsx", TRAIN, ...args, "--runs-dir", killed], {
      cwd: REPO,
      stdio: "ignore",
    });
    const id = readdirSync(straight)[0];
    const statusPath = join(killed, id, "status.json");
    // Kill as soon as the first epoch is checkpointed, i.e. in the middle of the second.
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        if (existsSync(statusPath) && JSON.parse(readFileSync(statusPath, "utf8")).epoch >= 0) {
          clearInterval(timer);
          child.kill("SIGKILL");
          done();
        }
      }, 20);
      child.on("exit", () => {
        clearInterval(timer);
        fail(new Error("the run finished before it could be killed"));
      });
    });
    await new Promise((done) => child.on("exit", done));
    const partial = readMetrics(join(killed, id));
    assert.ok(partial.length < 8, `killed before the end (${partial.length} lines)`);

    const refused = spawnSync(process.execPath, ["--import", "tsx", TRAIN, ...args, "--runs-dir", killed], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /unfinished/);
    const resumed = spawnSync(process.execPath, ["--import", "tsx", TRAIN, ...args, "--runs-dir", killed, "--resume"], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming/);
    assert.deepEqual(withoutTime(readMetrics(join(killed, id))), withoutTime(readMetrics(join(straight, id))));
  });
});
