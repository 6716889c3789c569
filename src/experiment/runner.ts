/**
 * `runExperiment(config)`: trains one configuration, logging per-epoch metrics as the paper's
 * scripts do (train loss/accuracy, test loss, top-1/top-5 accuracy; perplexity for language
 * models), applying the learning-rate schedule, checkpointing model + optimizer every epoch and
 * resuming a killed run to exactly the metrics an uninterrupted run would produce.
 *
 * Reproducibility: model initialization, data order, augmentation and dropout are all derived
 * from `config.seed` and the epoch, so the same seed on the same backend gives the same numbers.
 * A non-finite training loss stops the run and marks it diverged (recorded, no exception), so a
 * sweep goes on with the next configuration.
 *
 * Language models train on the truncated-BPTT windows in text order with a stateless LSTM: the
 * hidden state starts at zero in every window instead of being carried over from the previous
 * one (a stateful model would need one fixed batch size for training and evaluation). This costs
 * some perplexity against the usual PTB practice and is the same for every optimizer.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../backend/index";
import {
  buildModel,
  getDropoutState,
  LSTM_PRESETS,
  setDropoutState,
  softmaxCrossEntropyFromLogits,
  type LstmLmConfig,
  type ModelConfigs,
  type ModelName,
} from "../models/index";
import { createOptimizer } from "../optim/registry";
import type { RuleOptimizer } from "../optim/rule_optimizer";
import { stepDecayLr } from "../optim/schedule";
import { createGradientStats, type GradientStats } from "../theory/gradient_stats";
import { validateConfig, type ExperimentConfig } from "./config";
import { evalSplitsAfter, loadTaskData } from "./data";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { createProgress, type ProgressReporter } from "./progress";
import { newProvenance, recordEpoch, resumeProvenance } from "./provenance";
import { acquireRunLock } from "./run_lock";
import { planRun, type RunPlan } from "./run_plan";
import { assertRunsDir } from "./runs_dir";
import { resolveRunsDir, runId, RunDir, writeFileAtomic, type MetricLine, type RunStatus } from "./store";
import type { Batches, TaskData } from "./task";

export interface RunOptions {
  /** Runs directory (default `$PADAM_RUNS`, else `<repo>/data/runs`). */
  runsDir?: string;
  /** Continue an unfinished run from its last checkpoint (else an existing unfinished run is an error). */
  resume?: boolean;
  /** Replace an existing run (finished, unfinished or damaged) by a new one; without it nothing stored is overwritten. */
  force?: boolean;
  /** Called with every metrics line as it is written (notebook live curves). */
  onRecord?: (line: MetricLine) => void;
  /** Terminal progress: "auto" (a bar on a TTY, one line per epoch otherwise), or "none". */
  progress?: "auto" | "none";
  /**
   * Called after every epoch's metrics are written, with the live model and optimizer (for
   * analyses such as per-layer effective step sizes; do not dispose them).
   */
  onEpochEnd?: (ctx: {
    epoch: number;
    model: tf.LayersModel;
    optimizer: RuleOptimizer;
    config: ExperimentConfig;
  }) => void | Promise<void>;
  /** Stop after this many epochs of this call (tests use it to simulate an interruption). */
  stopAfterEpochs?: number;
  /**
   * Stops the run cleanly when aborted (a cluster job's time-limit signal): between two batches
   * the epoch in progress is abandoned (it is trained again on resume, with the same numbers);
   * the run keeps status "running" and its lock is released.
   */
  signal?: AbortSignal;
  /** Most bytes each streamed image-folder split holds at once (default 256 MiB); changes no number. */
  streamBytes?: number;
}

export interface RunResult {
  runId: string;
  dir: string;
  status: RunStatus;
  /** True when the run was already finished (or diverged) and nothing was trained. */
  skipped: boolean;
  metrics: MetricLine[];
  reason?: string;
}

/** Global-norm gradient clipping (as torch.nn.utils.clip_grad_norm_). */
function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)));
    const out: tf.NamedTensorMap = {};
    for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, scale);
    return out;
  });
}

interface EvalResult {
  loss: number;
  acc?: number;
  top5Acc?: number;
  ppl?: number;
}

/** Sums of loss and correct predictions over batches, computed without per-batch host syncs. */
async function evaluate(
  model: tf.LayersModel,
  data: TaskData,
  batches: Batches,
  training: boolean,
): Promise<EvalResult> {
  let lossSum: tf.Tensor = tf.scalar(0);
  let correct: tf.Tensor = tf.scalar(0);
  let correct5: tf.Tensor = tf.scalar(0);
  let count = 0;
  const top5 = data.kind === "image" && data.numClasses >= 5;
  for await (const { x, y } of batches) {
    const n = y.size;
    const next = tf.tidy(() => {
      const logits = model.apply(x, { training }) as tf.Tensor;
      const loss = tf.mul(softmaxCrossEntropyFromLogits(y, logits), n);
      const flat = tf.reshape(logits, [-1, logits.shape[logits.rank - 1]]);
      const labels = tf.cast(tf.reshape(y, [-1]), "int32");
      const hit = tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(flat, -1), "int32"), labels), "float32"));
      const hit5 = top5
        ? tf.sum(tf.cast(tf.any(tf.equal(tf.topk(flat, 5).indices, tf.expandDims(labels, 1)), 1), "float32"))
        : tf.scalar(0);
      return [tf.add(lossSum, loss), tf.add(correct, hit), tf.add(correct5, hit5)];
    });
    tf.dispose([lossSum, correct, correct5, x, y]);
    [lossSum, correct, correct5] = next;
    count += n;
  }
  const [l, c, c5] = [lossSum.dataSync()[0], correct.dataSync()[0], correct5.dataSync()[0]];
  tf.dispose([lossSum, correct, correct5]);
  const loss = l / count;
  return data.kind === "language"
    ? { loss, ppl: Math.exp(loss) }
    : { loss, acc: c / count, ...(top5 ? { top5Acc: c5 / count } : {}) };
}

/** Trains `config` to completion (or divergence); see the module comment. */
export async function runExperiment(config: ExperimentConfig, options: RunOptions = {}): Promise<RunResult> {
  validateConfig(config); // before anything is created or written
  const runsDir = assertRunsDir(resolveRunsDir(options.runsDir));
  await initBackend({ quiet: options.progress === "none" });
  const id = runId(config);
  const runDir = new RunDir(join(runsDir, id));
  const lock = acquireRunLock(runDir.dir, (note) => process.stderr.write(`run ${id}: ${note}\n`));
  try {
    const plan = planRun(runDir, config, options);
    if (plan.kind === "reuse") {
      return {
        runId: id,
        dir: runDir.dir,
        status: plan.status.status,
        skipped: true,
        metrics: plan.metrics,
        reason: plan.status.reason,
      };
    }
    return await train(config, runDir, plan, options);
  } finally {
    lock.release();
  }
}

/** The model, optimizer and gradient statistics of a run, built from its config and data. */
function buildRun(config: ExperimentConfig, data: TaskData) {
  const modelConfig = modelConfigFor(config, data);
  const model = buildModel(config.model, modelConfig);
  const optimizer = createOptimizer(config.optimizer, config.optimizerOptions);
  const stats: GradientStats | undefined = config.gradientStats ? createGradientStats() : undefined;
  return { modelConfig, model, optimizer, stats };
}

type Built = ReturnType<typeof buildRun>;

/** Writes a fresh run's records, or restores a resumed one; returns where training continues. */
async function startOrResume(
  config: ExperimentConfig,
  runDir: RunDir,
  plan: Exclude<RunPlan, { kind: "reuse" }>,
  data: TaskData,
  run: Built,
  progress: ProgressReporter,
) {
  const id = runId(config);
  if (plan.kind === "resume") {
    if (plan.epoch >= 0) {
      const extra = await loadCheckpoint(runDir.checkpointPath, run.model, run.optimizer);
      setDropoutState(run.model, extra.dropout as Record<string, number>);
    }
    if (plan.rewriteMetrics) runDir.writeMetrics(plan.metrics);
    progress.note(`${plan.note} (epoch ${plan.epoch + 2}/${config.epochs} next)`);
    return { startEpoch: plan.epoch + 1, metrics: plan.metrics, provenance: resumeProvenance(runDir.provenance(), id) };
  }
  if (plan.note) progress.note(plan.note);
  runDir.create({
    runId: id,
    config,
    modelConfig: run.modelConfig,
    data: data.describe,
    created: new Date().toISOString(),
  });
  runDir.writeMetrics([]);
  runDir.setStatus("running", -1);
  return { startEpoch: 0, metrics: [] as MetricLine[], provenance: newProvenance(id) };
}

/** Sums over one epoch's training batches, or the reason the loss stopped being finite. */
type EpochSums = { lossSum: number; seen: number; correct: number } | { diverged: string } | { aborted: true };

/** One epoch of training: a step per batch (gradient, optional clipping, statistics, update). */
async function trainEpoch(
  config: ExperimentConfig,
  data: TaskData,
  run: Built,
  epoch: number,
  progress: ProgressReporter,
  signal?: AbortSignal,
): Promise<EpochSums> {
  const { model, optimizer, stats } = run;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let lossSum = 0;
  let seen = 0;
  let correct = 0;
  let b = 0;
  for await (const { x, y } of data.trainBatches(epoch, config.batchSize, config.seed, 0)) {
    if (signal?.aborted) {
      tf.dispose([x, y]);
      return { aborted: true };
    }
    let hits: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      if (data.kind === "image") {
        // Accuracy of the batch under the weights the step starts from, as the loss.
        hits = tf.keep(
          tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(logits, -1), "int32"), tf.cast(y, "int32")), "float32")),
        );
      }
      return softmaxCrossEntropyFromLogits(y, logits);
    }, variables);
    // One read from the device per step: loss and (image tasks) the batch's correct count.
    const read = hits ? tf.tidy(() => tf.stack([value, hits!]).dataSync()) : value.dataSync();
    const loss = read[0];
    if (hits) {
      correct += read[1];
      hits.dispose();
    }
    if (!Number.isFinite(loss)) {
      tf.dispose([value, x, y]);
      tf.dispose(Object.values(grads));
      return { diverged: `non-finite training loss (${loss}) at epoch ${epoch + 1}, batch ${b + 1}` };
    }
    const clipped = config.clipNorm ? clipByGlobalNorm(grads, config.clipNorm) : grads;
    stats?.update(clipped);
    optimizer.applyGradients(clipped);
    if (clipped !== grads) tf.dispose(Object.values(clipped));
    tf.dispose(Object.values(grads));
    value.dispose();
    const n = y.size;
    lossSum += loss * n;
    seen += n;
    tf.dispose([x, y]);
    b++;
    progress.step(b, lossSum / seen);
  }
  return { lossSum, seen, correct };
}

/** The epoch's metrics records: training (as the config measures it), then every evaluation split. */
async function epochRecords(
  config: ExperimentConfig,
  data: TaskData,
  run: Built,
  epoch: number,
  sums: { lossSum: number; seen: number; correct: number },
  lr: number,
  started: number,
): Promise<MetricLine[]> {
  const { model, optimizer } = run;
  const step = optimizer.iterations;
  const mean = sums.lossSum / sums.seen;
  const train: EvalResult =
    config.trainMetrics === "second-pass"
      ? await evaluate(model, data, data.trainBatches(epoch, config.testBatchSize, config.seed, 1), true)
      : data.kind === "language"
        ? { loss: mean, ppl: Math.exp(mean) }
        : { loss: mean, acc: sums.correct / sums.seen };
  const lines = [clean({ epoch, step, split: "train", ...train, lr, wallMs: Date.now() - started })];
  for (const split of evalSplitsAfter(config, epoch)) {
    lines.push(
      clean({
        epoch,
        step,
        split,
        ...(await evaluate(model, data, data.evalBatches(split, config.testBatchSize), false)),
        lr,
        wallMs: Date.now() - started,
      }),
    );
  }
  return lines;
}

async function train(
  config: ExperimentConfig,
  runDir: RunDir,
  plan: Exclude<RunPlan, { kind: "reuse" }>,
  options: RunOptions,
): Promise<RunResult> {
  const id = runId(config);
  const data = await loadTaskData(config, { streamBytes: options.streamBytes });
  const run = buildRun(config, data);
  const { model, optimizer, stats } = run;
  const progress: ProgressReporter = createProgress(options.progress ?? "auto", id, config.epochs);
  const result = (status: RunStatus, reason?: string): RunResult => ({
    runId: id,
    dir: runDir.dir,
    status,
    skipped: false,
    metrics,
    ...(reason ? { reason } : {}),
  });
  let metrics: MetricLine[] = [];
  try {
    const start = await startOrResume(config, runDir, plan, data, run, progress);
    metrics = start.metrics;
    let provenance = start.provenance;
    runDir.setProvenance(provenance);
    const started = Date.now();
    let epochsThisCall = 0;
    for (let epoch = start.startEpoch; epoch < config.epochs; epoch++) {
      const lr0 = optimizer.hyperparameters.learningRate;
      const lr = config.schedule ? stepDecayLr(lr0, config.schedule, epoch) : lr0;
      optimizer.setLearningRate(lr);
      progress.startEpoch(epoch, data.trainBatchCount(config.batchSize));
      const sums = await trainEpoch(config, data, run, epoch, progress, options.signal);
      if ("aborted" in sums) {
        progress.end(`stopped in epoch ${epoch + 1} (will resume after epoch ${epoch})`);
        return result("running");
      }
      if ("diverged" in sums) {
        runDir.setStatus("diverged", epoch - 1, sums.diverged);
        progress.end(`diverged: ${sums.diverged}`);
        return result("diverged", sums.diverged);
      }
      const lines = await epochRecords(config, data, run, epoch, sums, lr, started);
      runDir.appendMetrics(lines);
      metrics.push(...lines);
      for (const l of lines) options.onRecord?.(l);
      await options.onEpochEnd?.({ epoch, model, optimizer, config });
      mkdirSync(runDir.checkpointDir, { recursive: true });
      await saveCheckpoint(runDir.checkpointPath, model, optimizer, { epoch, dropout: getDropoutState(model) });
      if (stats) writeFileAtomic(runDir.gradientStatsPath, JSON.stringify(stats.summary(), null, 2) + "\n");
      provenance = recordEpoch(provenance, Date.now() - started);
      runDir.setProvenance(provenance);
      runDir.setStatus(epoch === config.epochs - 1 ? "finished" : "running", epoch);
      progress.endEpoch(lines);
      epochsThisCall++;
      const stop =
        (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) || options.signal?.aborted;
      if (stop && epoch < config.epochs - 1) {
        progress.end("stopped (will resume)");
        return result("running");
      }
    }
    progress.end("finished");
    return result("finished");
  } finally {
    progress.close();
    optimizer.dispose();
    model.dispose();
    stats?.dispose();
  }
}

function clean(line: MetricLine): MetricLine {
  return Object.fromEntries(Object.entries(line).filter(([, v]) => v !== undefined)) as unknown as MetricLine;
}

/** Model config for a run: the preset's model config plus what the data decides (classes, vocabulary, sequence length). */
export function modelConfigFor(config: ExperimentConfig, data: TaskData): ModelConfigs[ModelName] {
  const given = { ...(config.modelConfig ?? {}) };
  if (data.kind === "language") {
    const { preset, ...rest } = given;
    return {
      ...(preset ? lstmPreset(preset) : {}),
      ...rest,
      vocabSize: data.numClasses,
      seqLen: config.bptt ?? 35,
      batchSize: undefined,
      seed: config.seed,
    };
  }
  return { numClasses: data.numClasses, ...given, seed: config.seed };
}

/** The sizes of a named LSTM preset (the name comes from JSON, so it is checked here). */
function lstmPreset(name: string): LstmLmConfig {
  const presets: Readonly<Record<string, LstmLmConfig>> = LSTM_PRESETS;
  const preset = Object.hasOwn(presets, name) ? presets[name] : undefined;
  if (!preset)
    throw new Error(
      `config.modelConfig.preset = ${JSON.stringify(name)} is unknown; known: ${Object.keys(LSTM_PRESETS).join(", ")}`,
    );
  return preset;
}
