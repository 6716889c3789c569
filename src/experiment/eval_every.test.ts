/**
 * `evalEvery`: the held-out splits are evaluated after the epochs the analyses read (first,
 * every k-th, before each decay, last) and nowhere else; training is unchanged by it, and a run
 * stopped after an epoch without evaluation resumes to the uninterrupted run's records.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluatesAfter, validateConfig } from "./config";
import { presetConfig } from "./presets";
import { runExperiment } from "./runner";
import type { MetricLine } from "./store";

const epochsEvaluated = (config: Parameters<typeof evaluatesAfter>[0]) =>
  [...Array(config.epochs).keys()].filter((e) => evaluatesAfter(config, e));

describe("evalEvery", () => {
  test("13 epochs, every 4th, decays entering epochs 7 and 10: after epochs 1, 4, 7, 8, 10, 12, 13", () => {
    const config = { epochs: 13, evalEvery: 4, schedule: { milestones: [7, 10], gamma: 0.1 } };
    assert.deepEqual(epochsEvaluated(config), [0, 3, 6, 7, 9, 11, 12]);
    assert.deepEqual(epochsEvaluated({ epochs: 5 }), [0, 1, 2, 3, 4], "absent: every epoch");
    assert.deepEqual(epochsEvaluated({ epochs: 5, evalEvery: 10 }), [0, 4], "first and last only");
  });

  test("a value that is not a whole number of epochs is refused, naming it", () => {
    const base = presetConfig("fmnist-cnn-smoke", "sgd", {});
    for (const bad of [0, 1.5, -2]) {
      assert.throws(
        () => validateConfig({ ...base, evalEvery: bad }),
        new RegExp(`config: evalEvery = ${bad} is invalid; allowed: an integer >= 1`),
      );
    }
  });

  test("training records equal a run evaluating every epoch; a run stopped after an unevaluated epoch resumes to the same records", async () => {
    const dirs = [0, 1, 2].map((i) => mkdtempSync(join(tmpdir(), `padam-eval-every-${i}-`)));
    try {
      const every = presetConfig("fmnist-cnn-smoke", "padam", { epochs: 4, trainLimit: 64, testLimit: 50 });
      const sparse = { ...every, evalEvery: 3 };
      const full = await runExperiment(every, { runsDir: dirs[0], progress: "none" });
      const whole = await runExperiment(sparse, { runsDir: dirs[1], progress: "none" });
      const bySplit = (ms: MetricLine[]) => ms.map((m) => `${m.epoch}:${m.split}`);
      assert.deepEqual(bySplit(whole.metrics), [
        "0:train",
        "0:test",
        "1:train",
        "2:train",
        "2:test",
        "3:train",
        "3:test",
      ]);
      const numbers = (ms: MetricLine[]) => ms.map(({ wallMs: _w, check: _c, ...rest }) => rest);
      const evaluated = new Set(whole.metrics.map((m) => `${m.epoch}:${m.split}`));
      assert.deepEqual(
        numbers(whole.metrics),
        numbers(full.metrics.filter((m) => evaluated.has(`${m.epoch}:${m.split}`))),
        "the same numbers where both evaluated",
      );

      const first = await runExperiment(sparse, { runsDir: dirs[2], progress: "none", stopAfterEpochs: 2 });
      assert.deepEqual(bySplit(first.metrics), ["0:train", "0:test", "1:train"]);
      const resumed = await runExperiment(sparse, { runsDir: dirs[2], progress: "none", resume: true });
      assert.equal(resumed.status, "finished");
      assert.deepEqual(numbers(resumed.metrics), numbers(whole.metrics));
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
