/**
 * One source, two versions: the student version of an assignment notebook is its source with
 *
 * - every solution region (between `### BEGIN SOLUTION` / `### END SOLUTION`) replaced by a stub
 *   that throws "not implemented yet", so the check that calls it fails with that message;
 * - every hidden-test region (between `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS`) removed;
 * - outputs and execution counts cleared.
 *
 * The executable version (what the instructor runs and what the grader injects into
 * submissions) keeps everything and drops only the marker lines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  Cell,
  MARKERS,
  Notebook,
  cellSource,
  nbgraderMeta,
  readNotebook,
  regions,
  sourceLines,
  validateSource,
  writeNotebook,
} from "./notebook";

/** The line that stands in for a solution region in the student version. */
export function stubLine(indent: string, gradeId: string): string {
  return `${indent}throw new Error("not implemented yet: ${gradeId} (replace this line with your code)");`;
}

/** Replaces the regions [begin line, end line] of `text` (marker lines included) by `replace(indent)`. */
function replaceRegions(text: string, spans: [number, number][], replace: (indent: string) => string[]): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let next = 0;
  for (const [b, e] of spans) {
    out.push(...lines.slice(next, b));
    out.push(...replace(/^\s*/.exec(lines[b])?.[0] ?? ""));
    next = e + 1;
  }
  out.push(...lines.slice(next));
  return out.join("\n");
}

/** The student version of one cell's source. */
export function studentSource(cell: Cell): string {
  const meta = nbgraderMeta(cell);
  let text = cellSource(cell);
  if (!meta) return text;
  const where = `cell ${meta.grade_id}`;
  text = replaceRegions(text, regions(text, MARKERS.beginHidden, MARKERS.endHidden, where), () => []);
  text = replaceRegions(text, regions(text, MARKERS.beginSolution, MARKERS.endSolution, where), (indent) => [
    `${indent}// YOUR CODE HERE`,
    stubLine(indent, meta.grade_id),
  ]);
  return text.replace(/\n+$/, "");
}

/** The executable version of one cell's source: the marker lines dropped, everything else kept. */
export function executableSource(cell: Cell): string {
  const markers = Object.values(MARKERS) as string[];
  return cellSource(cell)
    .split("\n")
    .filter((l) => !markers.some((m) => l.includes(m)))
    .join("\n");
}

function clearOutputs(cell: Cell, source: string): Cell {
  const out: Cell = { ...cell, source: sourceLines(source) };
  if (cell.cell_type === "code") {
    out.outputs = [];
    out.execution_count = null;
  }
  return out;
}

/** The student version of a source notebook (a new object; the source is not changed). */
export function studentVersion(nb: Notebook, what = "notebook"): Notebook {
  validateSource(nb, what);
  return { ...nb, cells: nb.cells.map((c) => clearOutputs(c, studentSource(c))) };
}

/** The executable version of a source notebook (markers dropped, outputs cleared). */
export function executableVersion(nb: Notebook, what = "notebook"): Notebook {
  validateSource(nb, what);
  return { ...nb, cells: nb.cells.map((c) => clearOutputs(c, executableSource(c))) };
}

/** The source notebooks of a folder (`*.ipynb`, sorted), or an Error naming the folder. */
export function listSources(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new Error(`assignments folder ${dir} does not exist`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
    .sort();
  if (files.length === 0) throw new Error(`assignments folder ${dir} has no .ipynb files`);
  return files.map((f) => path.join(dir, f));
}

export interface BuildResult {
  written: string[];
  /** Files that existed before and were replaced (derived files; each is reported). */
  replaced: string[];
}

/**
 * Writes the student version of every source notebook in `srcDir` to `outDir`, plus a `src` link
 * to the library (relative when possible) so the notebooks run in place. Refuses to write into
 * the source folder itself, which would overwrite the solutions.
 */
export function buildStudentVersions(srcDir: string, outDir: string, libDir: string): BuildResult {
  if (path.resolve(srcDir) === path.resolve(outDir)) {
    throw new Error(
      `--out ${outDir} is the source folder; the student versions would overwrite the solutions. Choose another folder`,
    );
  }
  const sources = listSources(srcDir);
  const notebooks = sources.map((f) => ({ f, nb: studentVersion(readNotebook(f), f) })); // all checked before any write
  fs.mkdirSync(outDir, { recursive: true });
  const result: BuildResult = { written: [], replaced: [] };
  for (const { f, nb } of notebooks) {
    const out = path.join(outDir, path.basename(f));
    if (fs.existsSync(out)) result.replaced.push(out);
    writeNotebook(out, nb);
    result.written.push(out);
  }
  linkLibrary(outDir, libDir);
  return result;
}

/** Makes `<dir>/src` point at the library folder unless something is already there. */
export function linkLibrary(dir: string, libDir: string): void {
  const link = path.join(dir, "src");
  if (fs.existsSync(link) || isLink(link)) return;
  fs.symlinkSync(path.relative(dir, path.resolve(libDir)) || ".", link);
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
