/** withRunState rebuilds exactly the state a run ended with (real Fashion-MNIST subset). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { presetConfig } from "../experiment/presets";
import { runExperiment } from "../experiment/runner";
import { secondMoments, type WeightMoments } from "./effective_steps";
import { appliedStepVariant, withRunState } from "./run_state";

test("the checkpointed v̂, step counts, lr and weights equal the live ones at the end of the run", async () => {
  const runsDir = mkdtempSync(join(tmpdir(), "padam-runstate-"));
  const config = presetConfig("fmnist-cnn-smoke", "padam", { epochs: 2, trainLimit: 128, testLimit: 100 });
  let live: { moments: WeightMoments[]; lr: number; weights: Float32Array[] } | undefined;
  await runExperiment(config, {
    runsDir,
    progress: "none",
    onEpochEnd: ({ model, optimizer }) => {
      live = {
        moments: secondMoments(model, optimizer),
        lr: optimizer.getLearningRate(),
        weights: model.weights.map((w) => w.read().dataSync() as Float32Array),
      };
    },
  });
  const restored = await withRunState(
    config,
    ({ model, optimizer, epoch }) => {
      assert.equal(epoch, 1);
      return {
        moments: secondMoments(model, optimizer),
        lr: optimizer.getLearningRate(),
        weights: model.weights.map((w) => w.read().dataSync() as Float32Array),
      };
    },
    { runsDir },
  );
  assert.ok(live);
  assert.ok(Math.abs(restored.lr - 0.01) < 1e-12, "lr after the decay at epoch 1");
  assert.equal(restored.lr, live.lr);
  assert.deepEqual(
    restored.moments.map((m) => [m.weight, m.t]),
    live.moments.map((m) => [m.weight, m.t]),
  );
  assert.equal(restored.moments[0].t, 4, "2 epochs of 2 batches");
  restored.moments.forEach((m, i) => assert.deepEqual(m.vHat, live!.moments[i].vHat));
  restored.weights.forEach((w, i) => assert.deepEqual(w, live!.weights[i]));

  const variant = await appliedStepVariant(config, "Padam", { runsDir });
  assert.equal(variant.name, "Padam (lr now 0.01)");
  const first = variant.steps(variant.moments[0]);
  assert.equal(first.length, variant.moments[0].vHat.length);
  // Padam (official) at t = 4: 0.01·sqrt(1−0.999^4)/(1−0.9^4)/(sqrt(v̂)+1e-8)^(1/4)
  const t = 4;
  const expected =
    (0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t) / Math.pow(Math.sqrt(variant.moments[0].vHat[0]) + 1e-8, 0.25);
  assert.ok(Math.abs(first[0] - expected) / expected < 1e-5, `${first[0]} vs ${expected}`);
});

test("a run that does not exist is named in the error", async () => {
  const runsDir = mkdtempSync(join(tmpdir(), "padam-runstate-"));
  const config = presetConfig("fmnist-cnn-smoke", "adam", { epochs: 1, trainLimit: 64 });
  await assert.rejects(
    withRunState(config, () => 0, { runsDir }),
    /withRunState: run fmnist-cnn-smoke-adam-[0-9a-f]{8}-(wasm|cpu|tensorflow)-s0 does not exist/,
  );
});
