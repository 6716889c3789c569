/**
 * The first call of every notebook: names the notebook (for figure paths), embeds plotly.js once,
 * and reports the run mode.
 *
 * ```ts
 * import { initNotebook } from "./src";
 * const nb = initNotebook({ name: "00-quickstart" });   // nb.mode: "smoke" | "quick" | "full"
 * ```
 */
import * as path from "path";
import { displayBundle, escapeHtml } from "./display";
import { figuresRoot, NotebookMode, notebookMode, setNotebookName } from "./env";
import { initPlotly } from "./plotly";

export interface NotebookInfo {
  name: string;
  mode: NotebookMode;
  /** Where this notebook's figures are exported. */
  figuresDir: string;
}

/** Sets up a notebook; see the module comment. Shows one line with the name and mode. */
export function initNotebook(opts: { name: string; quiet?: boolean }): NotebookInfo {
  setNotebookName(opts.name);
  const mode = notebookMode();
  initPlotly();
  const info: NotebookInfo = { name: opts.name, mode, figuresDir: path.join(figuresRoot(), opts.name) };
  if (!opts.quiet) {
    const line = `notebook ${info.name} · PADAM_MODE=${mode}`;
    displayBundle({
      "text/html": `<p style="font-family:monospace;color:#555;margin:0">${escapeHtml(line)}</p>`,
      "text/plain": line,
    });
  }
  return info;
}
