/**
 * Analyses of trained runs for the notebooks: run statistics and decisions (`statistics`), result
 * tables and claims, the spread over seeds, effective step sizes, run state from checkpoints,
 * phase summaries, grids.
 */
export {
  effectiveSteps, secondMoments, stepCoefficients, appliedSteps, appliedUpdates, layerUpdates, byLayer, summarizeSteps,
  type EffectiveStepOptions, type WeightMoments, type WeightUpdate, type LayerUpdate, type StepSummary,
} from "./effective_steps";
export { withRunState, appliedStepVariant, type RunState } from "./run_state";
export {
  binPanels, facetHistogramFigure, stepPanels, panelSummaries, updateVariant, updateRatioFigure,
  type FacetPanel, type FacetHistogramOptions, type BinnedGroup, type StepVariant,
} from "./step_histograms";
export { phaseSummary, epochSeries, gridMatrix, markEpochs, type PhaseSummary } from "./run_phases";
export {
  collectExperiments, gridRecords, describeOverrides, paperReference, formatStat, comparisonRows,
  experimentCaption, checkClaims,
  type RunRecord, type Stat, type StatKey, type RunGroup, type Experiment, type PaperReference, type ClaimCheck,
} from "./results_table";
export {
  ALPHA, CONFIDENCE, MIN_SEEDS, ACCURACY_MARGIN, PERPLEXITY_MARGIN_FRACTION, FULL_TEST_SET_SIZE,
  runNumbers, testSetSize, groupBy, seedStat, binomialSe, welchDf, difference, testDifference, testEquivalence,
  testNonInferiority, logLogSlope,
  type RunNumbers, type SeedStat, type VarianceTerm, type Difference, type Verdict, type Decision, type DecisionOptions,
} from "./statistics";
export { spreadFigure, seedRows, experimentName } from "./seed_spread";
export { loadReferenceResults, type ReferenceResults } from "./reference_results";
export {
  claimSentence, verdictCounts, experimentClaims, claimRows, overviewRows, plannedFinalRuns, pSweepSeries, rankingStat, rankingSentence, outcomeSentences, pSweepClaims, PAPER_BEST_P, meanCurves, distinctLines,
  settingCosts, runSpeeds, projectedProtocolHours, paperNetworkCosts, type SettingCost, type NetworkCost, type RunSpeed,
} from "./reference_report";
export { padamStepFactor, warmupRows, warmupSentence } from "./warmup";
