/**
 * Notebook helpers: multi-mime display for tslab, Plotly figures that render in JupyterLab and in
 * offline HTML, live training curves, HTML tables, and SVG/PNG export of every figure.
 */
export {
  canDisplay,
  displayBundle,
  displayHtml,
  escapeHtml,
  inKernel,
  jsonForScript,
  newDisplayId,
  setDisplaySink,
} from "./display";
export type { DisplaySink, DisplayTarget, MimeBundle } from "./display";
export { byMode, figuresRoot, NOTEBOOK_MODES, notebookMode, notebookName, repoRoot, setNotebookName } from "./env";
export type { NotebookMode } from "./env";
export { CHROMIUM_OFFLINE_ARGS, closeFigureExporter, decodeDataUrl, exportFigure, findChromium } from "./export";
export type { ExportOptions, ExportResult } from "./export";
export {
  barFigure,
  baseLayout,
  colorAt,
  DEFAULT_EXPORT_WIDTH,
  DEFAULT_HEIGHT,
  figureBundle,
  figureHtml,
  figureSummary,
  heatmapFigure,
  histogramFigure,
  initPlotly,
  lineFigure,
  PALETTE,
  plotlyBundlePath,
  showFigure,
} from "./plotly";
export type {
  BarGroup,
  BarOptions,
  Figure,
  HeatmapOptions,
  HistogramGroup,
  HistogramOptions,
  LineFigureOptions,
  LineSeries,
  ShowFigureOptions,
  Trace,
} from "./plotly";
export { createLiveCurves, curvesFigure, metricsPresent, xValues } from "./curves";
export type {
  CurveMetric,
  CurveRun,
  CurvesOptions,
  CurveX,
  LiveCurvesOptions,
  LiveProgress,
  MetricRecord,
  ProgressHook,
} from "./curves";
export { formatCell, showTable, toHtmlTable, toTextTable } from "./table";
export type { FrameLike, TableOptions } from "./table";
export { initNotebook } from "./setup";
export type { NotebookInfo } from "./setup";
export { showReferenceResults, sentencesHtml, textHtml } from "./reference_section";
export type { ReferenceSectionOptions } from "./reference_section";
