/** Experiments: typed configs and presets, the resumable runner, run storage and the train/sweep CLI. */
export {
  EXPERIMENT_DATASETS,
  validateConfig,
  canonicalJson,
  type ExperimentConfig,
  type ExperimentDataset,
  type ExperimentModelConfig,
  type TrainMetricsMode,
} from "./config";
export {
  PRESETS,
  PRESET_NAMES,
  presetConfig,
  optimizerSettings,
  adamwDecay,
  type Preset,
  type PresetScale,
} from "./presets";
export { runExperiment, modelConfigFor, type RunOptions, type RunResult } from "./runner";
export { listRuns, resolveRunsDir, runId, RunDir, type MetricLine, type RunStatus, type StatusFile } from "./store";
export { firstBatch, loadTaskData } from "./data";
export type { Batch, TaskData } from "./task";
export { PAPER_OPTIMIZERS } from "./cli";
export { runGrid, runLabel, fraction, summarize, type GridOptions, type LiveSink, type RunSummary } from "./grid";
export {
  PAPER_SOURCE,
  PAPER_TABLE_OPTIMIZERS,
  PAPER_CIFAR10_ACCURACY,
  PAPER_IMAGENET_ACCURACY,
  PAPER_PTB_PERPLEXITY,
} from "./paper_results";
export {
  REFERENCE_EXPERIMENTS,
  REFERENCE_NAMES,
  referenceExperiment,
  tuningConfigs,
  finalConfigs,
  paperNetworkConfigs,
  MIN_STEPS,
  FINAL_SEEDS,
  type ReferenceExperiment,
} from "./reference";
export {
  reproduceExperiment,
  verifyRun,
  verifyStaleRuns,
  chooseLearningRates,
  resultsDir,
  experimentRunsDir,
  CROSS_BACKEND_TOLERANCE,
  type TuningRow,
  type VerifyResult,
  type VerifyStaleSummary,
} from "./reproduce";
export { freshness, sourceHash, DETERMINING_SOURCES, type Provenance as RunProvenance } from "./provenance";
export { RunLockedError } from "./run_lock";
export { GAP_PROTOCOL, protocolConfig, type Protocol } from "./protocols";
