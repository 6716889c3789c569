/**
 * The trained state of a finished run, rebuilt from its checkpoint: the model's weights and the
 * optimizer's slots (m, v, v̂, step counts, learning rate) after the last epoch. Because the
 * state comes from disk, it is available for runs that a notebook reused instead of training
 * (runGrid skips finished runs, so `onEpochEnd` never sees them).
 * Used by notebook 02-small-learning-rate-dilemma.
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/index";
import { loadCheckpoint } from "../experiment/checkpoint";
import type { ExperimentConfig } from "../experiment/config";
import { loadTaskData } from "../experiment/data";
import { modelConfigFor } from "../experiment/runner";
import { resolveRunsDir, runId, RunDir } from "../experiment/store";
import { buildModel, type ModelConfigs, type ModelName } from "../models/index";
import { createOptimizer } from "../optim/registry";
import type { RuleOptimizer } from "../optim/rule_optimizer";
import { appliedSteps, secondMoments, type WeightMoments } from "./effective_steps";
import type { StepVariant } from "./step_histograms";

export interface RunState {
  config: ExperimentConfig;
  runDir: string;
  /** Last finished epoch (0-based) that the checkpoint holds. */
  epoch: number;
  model: tf.LayersModel;
  optimizer: RuleOptimizer;
}

/**
 * Rebuilds the model and optimizer of `config`'s run from its checkpoint, calls `fn` with them,
 * and disposes both afterwards (also when `fn` throws). The run must exist and have finished at
 * least one epoch; otherwise the error names the run and what is missing.
 */
export async function withRunState<T>(
  config: ExperimentConfig,
  fn: (state: RunState) => T | Promise<T>,
  options: { runsDir?: string } = {},
): Promise<T> {
  await initBackend({ quiet: true }); // the run id names the backend
  const id = runId(config);
  const dir = new RunDir(join(resolveRunsDir(options.runsDir), id));
  if (!dir.exists())
    throw new Error(
      `withRunState: run ${id} does not exist in ${resolveRunsDir(options.runsDir)}; run it first (runGrid or runExperiment)`,
    );
  const status = dir.status();
  if (!status || status.epoch < 0)
    throw new Error(
      `withRunState: run ${id} has no finished epoch yet (status ${status?.status ?? "missing"}), so it has no checkpoint`,
    );
  // The resolved model config is stored with the run; older runs without it need the data to derive it.
  const stored = (dir.record() as { modelConfig?: ModelConfigs[ModelName] } | undefined)?.modelConfig;
  const modelConfig = stored ?? modelConfigFor(config, await loadTaskData(config));
  const model = buildModel(config.model, modelConfig);
  const optimizer = createOptimizer(config.optimizer, config.optimizerOptions);
  try {
    await loadCheckpoint(join(dir.checkpointDir, "state.bin"), model, optimizer);
    return await fn({ config, runDir: dir.dir, epoch: status.epoch, model, optimizer });
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * The per-coordinate steps a finished run's optimizer applies at the end of the run (its v̂,
 * step counts, bias corrections and the learning rate in force then; {@link appliedSteps}), as a
 * histogram variant named `${label} (lr now …)`. Supports padam, adam, amsgrad and adamw runs.
 */
export async function appliedStepVariant(
  config: ExperimentConfig,
  label: string,
  options: { runsDir?: string } = {},
): Promise<StepVariant & { lr: number }> {
  return withRunState(
    config,
    ({ model, optimizer }) => {
      const moments = secondMoments(model, optimizer);
      const lr = optimizer.getLearningRate();
      const steps = new Map(moments.map((m) => [m.weight, appliedSteps(optimizer, m, lr)]));
      return {
        name: `${label} (lr now ${Number(lr.toPrecision(3))})`,
        lr,
        moments,
        steps: (m: WeightMoments) => steps.get(m.weight) ?? new Float32Array(0),
      };
    },
    options,
  );
}
