/**
 * Assignment notebooks: the Jupyter JSON (nbformat 4) and nbgrader's cell metadata convention.
 *
 * Each cell of a source notebook may carry `metadata.nbgrader`:
 *
 *     { solution, grade, locked, grade_id, points?, schema_version: 3 }
 *
 * - solution cell (`solution: true`): the student writes code between the marker lines
 *   `### BEGIN SOLUTION` and `### END SOLUTION`;
 * - grade cell (`grade: true`, `locked: true`, `points`): a check; lines between
 *   `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS` are checks the student never sees;
 * - locked cell (`locked: true`): narrative or setup that must not be edited.
 *
 * In TypeScript the marker lines are written as comments (`// ### BEGIN SOLUTION`) so the source
 * notebook runs as it is; nbgrader finds its markers as substrings of a line, so it reads them too.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";

export interface NbgraderMeta {
  solution: boolean;
  grade: boolean;
  locked: boolean;
  grade_id: string;
  points?: number;
  schema_version: 3;
}

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown> & { nbgrader?: NbgraderMeta };
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
  [key: string]: unknown;
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** The marker lines; a line is a marker when it contains the text (with `//` or `#` before it). */
export const MARKERS = {
  beginSolution: "### BEGIN SOLUTION",
  endSolution: "### END SOLUTION",
  beginHidden: "### BEGIN HIDDEN TESTS",
  endHidden: "### END HIDDEN TESTS",
} as const;

/** The cell's source as one string (Jupyter stores it either way). */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Jupyter's on-disk layout of a source: lines, each but the last ending in "\n". */
export function sourceLines(text: string): string[] {
  if (text === "") return [];
  const parts = text.split("\n");
  return parts.map((l, i) => (i < parts.length - 1 ? `${l}\n` : l)).filter((l) => l !== "");
}

/** sha256 of a cell's source with line endings normalized (what "edited" means for locked cells). */
export function sourceChecksum(text: string): string {
  return createHash("sha256").update(text.replace(/\r\n/g, "\n").trimEnd()).digest("hex");
}

export function nbgraderMeta(cell: Cell): NbgraderMeta | undefined {
  const m = cell.metadata?.nbgrader;
  return m && typeof m === "object" && typeof m.grade_id === "string" ? m : undefined;
}

/** Parses notebook JSON text; throws an Error naming `what` when it is not an nbformat-4 notebook. */
export function parseNotebook(text: string, what: string): Notebook {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not a notebook: not JSON (${(err as Error).message})`, { cause: err });
  }
  const o = nb as Partial<Notebook>;
  if (!o || typeof o !== "object" || !Array.isArray(o.cells)) {
    throw new Error(`${what} is not a notebook: no "cells" array`);
  }
  if (o.nbformat !== 4) throw new Error(`${what} has nbformat ${String(o.nbformat)}; allowed: 4`);
  for (const [i, c] of o.cells.entries()) {
    if (
      !c ||
      !["code", "markdown", "raw"].includes(c.cell_type) ||
      (typeof c.source !== "string" && !Array.isArray(c.source))
    ) {
      throw new Error(`${what} is not a notebook: cell ${i} has no valid cell_type/source`);
    }
    c.metadata ??= {};
  }
  return o as Notebook;
}

export function readNotebook(file: string): Notebook {
  return parseNotebook(fs.readFileSync(file, "utf8"), file);
}

/** Jupyter's JSON layout (one-space indent, trailing newline). */
export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
}

/** The grade ids of a notebook, with their points (grade cells only). */
export function gradeCells(nb: Notebook): { id: string; points: number; index: number }[] {
  const out: { id: string; points: number; index: number }[] = [];
  nb.cells.forEach((c, index) => {
    const m = nbgraderMeta(c);
    if (m?.grade) out.push({ id: m.grade_id, points: m.points ?? 0, index });
  });
  return out;
}

/**
 * Checks the nbgrader metadata of a source notebook: unique grade ids, schema version 3, points
 * only on grade cells, balanced markers (solution markers only in solution cells, hidden-test
 * markers only in grade cells). Throws an Error naming the notebook, the cell and the problem.
 */
export function validateSource(nb: Notebook, what: string): void {
  const seen = new Set<string>();
  nb.cells.forEach((c, i) => {
    const m = nbgraderMeta(c);
    const text = cellSource(c);
    const where = `${what}, cell ${i}${m ? ` (${m.grade_id})` : ""}`;
    if (!m) {
      if (Object.values(MARKERS).some((k) => text.includes(k)))
        throw new Error(`${where}: has nbgrader markers but no metadata.nbgrader`);
      return;
    }
    if (m.schema_version !== 3) throw new Error(`${where}: schema_version is ${String(m.schema_version)}; allowed: 3`);
    if (seen.has(m.grade_id)) throw new Error(`${where}: grade_id ${JSON.stringify(m.grade_id)} is used twice`);
    seen.add(m.grade_id);
    if (m.grade && !(typeof m.points === "number" && m.points >= 0))
      throw new Error(`${where}: grade cell needs points >= 0, got ${String(m.points)}`);
    if (m.grade && !m.locked && !m.solution)
      throw new Error(`${where}: a grade cell that is not a solution must be locked`);
    regions(text, MARKERS.beginSolution, MARKERS.endSolution, where);
    regions(text, MARKERS.beginHidden, MARKERS.endHidden, where);
    if (!m.solution && text.includes(MARKERS.beginSolution))
      throw new Error(`${where}: solution markers in a cell that is not a solution cell`);
    if (!m.grade && text.includes(MARKERS.beginHidden))
      throw new Error(`${where}: hidden-test markers in a cell that is not a grade cell`);
  });
}

/**
 * The regions between `begin` and `end` marker lines: [first line, last line] index pairs of the
 * marker lines themselves. Throws on unbalanced or nested markers.
 */
export function regions(text: string, begin: string, end: string, where: string): [number, number][] {
  const lines = text.split("\n");
  const out: [number, number][] = [];
  let open = -1;
  lines.forEach((line, i) => {
    if (line.includes(begin)) {
      if (open >= 0) throw new Error(`${where}: "${begin}" on line ${i + 1} inside an open region (line ${open + 1})`);
      open = i;
    } else if (line.includes(end)) {
      if (open < 0) throw new Error(`${where}: "${end}" on line ${i + 1} without "${begin}"`);
      out.push([open, i]);
      open = -1;
    }
  });
  if (open >= 0) throw new Error(`${where}: "${begin}" on line ${open + 1} is never closed by "${end}"`);
  return out;
}
