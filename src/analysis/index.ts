/** Analyses of trained runs for the notebooks: effective step sizes, run state from checkpoints, phase summaries, grids. */
export {
  effectiveSteps, padamBiasFactor, secondMoments, appliedSteps, byLayer, summarizeSteps,
  type EffectiveStepOptions, type WeightMoments, type StepSummary,
} from "./effective_steps";
export { withRunState, appliedStepVariant, type RunState } from "./run_state";
export {
  binPanels, facetHistogramFigure, stepPanels, panelSummaries,
  type FacetPanel, type FacetHistogramOptions, type BinnedGroup, type StepVariant,
} from "./step_histograms";
export { phaseSummary, epochSeries, gridMatrix, markEpochs, type PhaseSummary } from "./run_phases";
export { GAP_PROTOCOL, protocolConfig, type Protocol } from "./protocols";
export * from "./results_index";
