/**
 * Strips outputs from the committed notebooks (outputs belong in reports/, not in git).
 *
 *   npm run nb:strip                 # strip notebooks/*.ipynb in place (only files that change)
 *   npx tsx scripts/strip-notebooks.ts --check   # exit 1 and list notebooks that have outputs
 *
 * Stripping clears code-cell outputs and execution counts, and drops per-cell execution metadata
 * (`execution`, `collapsed`, `scrolled`) that Jupyter adds when a notebook runs. Everything else
 * (sources, cell ids, tags, the kernelspec) is kept byte-for-byte in Jupyter's JSON layout
 * (one-space indent, trailing newline).
 */
import * as fs from "fs";
import * as path from "path";

export const NOTEBOOKS_DIR = path.resolve(__dirname, "..", "notebooks");

interface Cell {
  cell_type: string;
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  [key: string]: unknown;
}

interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

const VOLATILE_CELL_METADATA = ["execution", "collapsed", "scrolled"];

/** Returns a copy of the notebook with outputs stripped. */
export function stripNotebook(nb: Notebook): Notebook {
  if (!nb || !Array.isArray(nb.cells)) throw new Error("stripNotebook: not a notebook (no cells array)");
  const cells = nb.cells.map((cell) => {
    const out: Cell = { ...cell };
    if (cell.cell_type === "code") {
      out.outputs = [];
      out.execution_count = null;
    }
    if (cell.metadata) {
      const meta = { ...cell.metadata };
      for (const k of VOLATILE_CELL_METADATA) delete meta[k];
      out.metadata = meta;
    }
    return out;
  });
  return { ...nb, cells };
}

/** What in a notebook is not stripped: a list of "cell N: ..." strings (empty when clean). */
export function unstrippedParts(nb: Notebook): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if (Array.isArray(cell.outputs) && cell.outputs.length > 0)
      problems.push(`cell ${i}: ${cell.outputs.length} output(s)`);
    if (cell.execution_count !== null && cell.execution_count !== undefined)
      problems.push(`cell ${i}: execution_count ${cell.execution_count}`);
    for (const k of VOLATILE_CELL_METADATA) {
      if (cell.metadata && k in cell.metadata) problems.push(`cell ${i}: metadata.${k}`);
    }
  });
  return problems;
}

/** Jupyter's on-disk JSON layout (nbformat: sorted keys, one-space indent, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort())
      out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

export function readNotebook(file: string): Notebook {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
  } catch (err) {
    throw new Error(`${file} is not a readable notebook: ${(err as Error).message}`, { cause: err });
  }
}

export function listNotebookFiles(dir: string = NOTEBOOKS_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Strips each file in place when it changes; returns the files that changed. */
export function stripFiles(files: string[]): string[] {
  const changed: string[] = [];
  for (const file of files) {
    const before = fs.readFileSync(file, "utf8");
    const after = serializeNotebook(stripNotebook(readNotebook(file)));
    if (after !== before) {
      fs.writeFileSync(file, after);
      changed.push(file);
    }
  }
  return changed;
}

function main(argv: string[]): void {
  const check = argv.includes("--check");
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--check");
  if (unknown.length > 0)
    throw new Error(`unknown option ${unknown[0]}; allowed: --check, then optional notebook paths`);
  const given = argv.filter((a) => !a.startsWith("--"));
  const files = given.length > 0 ? given.map((f) => path.resolve(f)) : listNotebookFiles();
  if (check) {
    let bad = 0;
    for (const file of files) {
      const problems = unstrippedParts(readNotebook(file));
      if (problems.length > 0) {
        bad++;
        console.log(`${path.relative(process.cwd(), file)}: ${problems.join("; ")}`);
      }
    }
    if (bad > 0) {
      console.log(`${bad} notebook(s) have outputs; run \`npm run nb:strip\``);
      process.exitCode = 1;
    } else {
      console.log(`${files.length} notebook(s) are stripped`);
    }
    return;
  }
  const changed = stripFiles(files);
  for (const f of changed) console.log(`stripped ${path.relative(process.cwd(), f)}`);
  console.log(`${changed.length} of ${files.length} notebook(s) changed`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`strip-notebooks: ${(err as Error).message}`);
    process.exit(1);
  }
}
