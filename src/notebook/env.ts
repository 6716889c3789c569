/**
 * Notebook environment: the run mode (`PADAM_MODE`), the notebook's name, and where figures go.
 *
 * Modes (issue "The workbook"):
 * - `smoke`: seconds per notebook, for CI; only proves that every cell runs;
 * - `quick`: the default of `npm start`; the whole workbook in about 30 minutes on 2 cores;
 * - `full`: the paper's protocol.
 */
import * as path from "path";
import { REPO_ROOT } from "../util/paths";

export type NotebookMode = "smoke" | "quick" | "full";
export const NOTEBOOK_MODES: readonly NotebookMode[] = ["smoke", "quick", "full"];

/**
 * The mode from `PADAM_MODE` (default `quick`). Throws on any other value, naming it, so a typo
 * never silently runs the wrong protocol.
 */
export function notebookMode(env: Record<string, string | undefined> = process.env): NotebookMode {
  const raw = env.PADAM_MODE;
  if (raw === undefined || raw.trim() === "") return "quick";
  const value = raw.trim().toLowerCase();
  if ((NOTEBOOK_MODES as readonly string[]).includes(value)) return value as NotebookMode;
  throw new Error(`PADAM_MODE is ${JSON.stringify(raw)}; allowed: ${NOTEBOOK_MODES.join(", ")} (default quick)`);
}

/** Picks the value for the current mode: `byMode({smoke: 2, quick: 200, full: 20000})`. */
export function byMode<T>(values: Record<NotebookMode, T>, mode: NotebookMode = notebookMode()): T {
  return values[mode];
}

/** The repository root (symlinks resolved, so notebooks/src finds the real repository). */
export function repoRoot(): string {
  return REPO_ROOT;
}

let currentNotebook: string | null = null;

/** Sets the notebook name used for figure export paths (`figures/<name>/`). */
export function setNotebookName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(
      `notebook name ${JSON.stringify(name)} is not allowed; use letters, digits, '.', '_' and '-' (e.g. "00-quickstart")`,
    );
  }
  currentNotebook = name;
}

/**
 * The notebook name: the one set by {@link setNotebookName}, else `PADAM_NOTEBOOK`, else the
 * basename of `JPY_SESSION_NAME` (set by recent Jupyter servers), else "scratch".
 */
export function notebookName(env: Record<string, string | undefined> = process.env): string {
  if (currentNotebook) return currentNotebook;
  if (env.PADAM_NOTEBOOK) return env.PADAM_NOTEBOOK;
  if (env.JPY_SESSION_NAME) return path.basename(env.JPY_SESSION_NAME).replace(/\.ipynb$/, "");
  return "scratch";
}

/** Root folder for exported figures: `PADAM_FIGURES_DIR`, else `<repo>/figures`. */
export function figuresRoot(env: Record<string, string | undefined> = process.env): string {
  return env.PADAM_FIGURES_DIR ? path.resolve(env.PADAM_FIGURES_DIR) : path.join(repoRoot(), "figures");
}
