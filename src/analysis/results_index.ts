/**
 * Result tables and the ImageNet pipeline helpers used by notebooks 04, 05, 06 and 08 (re-exported
 * here so the notebooks can import them from one file).
 */
export {
  collectExperiments, gridRecords, describeOverrides, paperReference, formatStat, comparisonRows,
  experimentCaption, checkClaims,
  type RunRecord, type Stat, type StatKey, type RunGroup, type Experiment, type PaperReference, type ClaimCheck,
} from "./results_table";
export {
  buildImageFolder, ensureImageFolder, encodePng, pngDataUrl, modelCost, stageShapes, trainingTimeEstimate,
  type ImageFolderBuildOptions, type ImageFolderBuild, type ModelCost, type TrainingTimeAssumption,
} from "./imagenet_pipeline";
