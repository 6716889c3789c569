/** Analyses of trained runs for the notebooks: effective step sizes, run state from checkpoints, phase summaries, grids. */
export {
  effectiveSteps, padamBiasFactor, secondMoments, appliedSteps, byLayer, summarizeSteps,
  type EffectiveStepOptions, type WeightMoments, type StepSummary,
} from "./effective_steps";
export { withRunState, type RunState } from "./run_state";
export { binPanels, facetHistogramFigure, type FacetPanel, type FacetHistogramOptions, type BinnedGroup } from "./step_histograms";
export { phaseSummary, epochSeries, gridMatrix, type PhaseSummary } from "./run_phases";
