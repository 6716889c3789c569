/**
 * The grader: runs each submission with the tslab kernel in isolation, restores the locked cells
 * (grade cells with their hidden checks) from the source notebook by grade_id, flags edited or
 * deleted locked cells, and scores each grade cell (passed = ran without an error).
 *
 * Isolation: every submission runs in its own temporary folder (the notebook, links to the
 * library and node_modules, its own runs and figures folders), under a time budget for the whole
 * notebook. A submission that is not a notebook, crashes the kernel or runs out of time gets a
 * report that says so; one bad submission never stops the others.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executableSource, listSources, studentSource } from "./build";
import {
  Cell,
  Notebook,
  cellSource,
  gradeCells,
  nbgraderMeta,
  parseNotebook,
  readNotebook,
  sourceChecksum,
  sourceLines,
  validateSource,
  writeNotebook,
} from "./notebook";

export type SubmissionStatus =
  "graded" | "timeout" | "kernel-error" | "not-a-notebook" | "unknown-assignment" | "grader-error";

export interface CheckResult {
  id: string;
  points: number;
  earned: number;
  status: "passed" | "failed" | "not-run";
  /** The check's message: what passed, or what differs and why. */
  feedback: string;
}

export interface Flag {
  id: string;
  problem: "edited-locked-cell" | "deleted-cell";
  detail: string;
}

export interface StudentReport {
  student: string;
  file: string;
  assignment: string | null;
  status: SubmissionStatus;
  message: string;
  score: number;
  maxScore: number;
  checks: CheckResult[];
  flags: Flag[];
  seconds: number;
}

export interface Source {
  name: string;
  file: string;
  nb: Notebook;
}

export interface GradeOptions {
  sources: Source[];
  /** Python with nbclient that runs src/assignments/execute.py. */
  python: string;
  /** Environment in which Jupyter finds the tslab kernel. */
  env: NodeJS.ProcessEnv;
  /** Library folder (linked as `src` next to each submission) and node_modules folder. */
  libDir: string;
  nodeModules: string;
  /** Budget for one whole notebook, seconds. */
  timeoutS: number;
  kernel?: string;
}

/** The source notebooks of the assignments folder, checked. */
export function loadSources(dir: string): Source[] {
  return listSources(dir).map((file) => {
    const nb = readNotebook(file);
    validateSource(nb, file);
    return { name: path.basename(file, ".ipynb"), file, nb };
  });
}

/** The source a submission belongs to: the one sharing most grade ids (null when none is shared). */
export function matchSource(sub: Notebook, sources: Source[]): Source | null {
  const ids = new Set(sub.cells.map((c) => nbgraderMeta(c)?.grade_id).filter((x): x is string => !!x));
  let best: Source | null = null;
  let bestCount = 0;
  for (const s of sources) {
    const n = s.nb.cells.filter((c) => ids.has(nbgraderMeta(c)?.grade_id ?? "")).length;
    if (n > bestCount) [best, bestCount] = [s, n];
  }
  return best;
}

function withSource(cell: Cell, text: string): Cell {
  const out: Cell = { ...cell, source: sourceLines(text), metadata: { ...cell.metadata } };
  if (cell.cell_type === "code") [out.outputs, out.execution_count] = [[], null];
  return out;
}

/**
 * The notebook to execute: the source's cells in the source's order, the student's version of
 * each solution cell, the instructor's version (hidden checks included) of every locked cell, and
 * the cells the student added after the cell they follow. Locked cells whose source differs from
 * both the student and the instructor version are flagged.
 */
export function assemble(sub: Notebook, source: Notebook): { nb: Notebook; flags: Flag[] } {
  const flags: Flag[] = [];
  const byId = new Map<string, number>();
  sub.cells.forEach((c, i) => {
    const id = nbgraderMeta(c)?.grade_id;
    if (id !== undefined && !byId.has(id)) byId.set(id, i);
  });
  const sourceIds = new Set(source.cells.map((c) => nbgraderMeta(c)?.grade_id));
  // Cells the student added (or whose metadata is gone), keyed by the nbgrader cell before them.
  const extras = new Map<string, Cell[]>();
  let last = "";
  for (const c of sub.cells) {
    const id = nbgraderMeta(c)?.grade_id;
    if (id !== undefined && sourceIds.has(id)) last = id;
    else extras.set(last, [...(extras.get(last) ?? []), withSource(c, cellSource(c))]);
  }
  const cells: Cell[] = [...(extras.get("") ?? [])];
  for (const sc of source.cells) {
    const meta = nbgraderMeta(sc);
    if (!meta) {
      cells.push(withSource(sc, executableSource(sc)));
      continue;
    }
    const i = byId.get(meta.grade_id);
    const subCell = i === undefined ? undefined : sub.cells[i];
    if (meta.solution) {
      if (!subCell)
        flags.push({
          id: meta.grade_id,
          problem: "deleted-cell",
          detail: "the exercise cell was deleted; the empty exercise was put back",
        });
      cells.push(withSource(sc, subCell ? cellSource(subCell) : studentSource(sc)));
    } else {
      if (!subCell) {
        flags.push({
          id: meta.grade_id,
          problem: "deleted-cell",
          detail: "a locked cell was deleted; it was restored",
        });
      } else {
        const sum = sourceChecksum(cellSource(subCell));
        if (sum !== sourceChecksum(studentSource(sc)) && sum !== sourceChecksum(cellSource(sc))) {
          flags.push({
            id: meta.grade_id,
            problem: "edited-locked-cell",
            detail: "a locked cell was edited; the original was restored for grading",
          });
        }
      }
      cells.push(withSource(sc, executableSource(sc)));
    }
    cells.push(...(extras.get(meta.grade_id) ?? []));
  }
  return { nb: { ...source, cells }, flags };
}

interface ExecResult {
  status: "ok" | "timeout" | "kernel-error";
  message: string;
  seconds: number;
  timed_out_cell: number | null;
  cells: { index: number; status: "ok" | "error" | "not-run"; stdout: string; stderr: string; error: string }[];
}

/** The check's message from a failed cell's error output (tslab writes errors to stderr). */
export function failureText(stderr: string, error: string): string {
  const text = `${stderr}\n${error}`;
  const check = /^CheckFailure: (.+)$/m.exec(text);
  if (check) return check[1];
  const other = /^\w*Error: .+$/m.exec(text); // an exception the check did not expect
  if (other) return other[0];
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(0, 6).join("\n") || "the cell failed without a message";
}

function runExecutor(opts: GradeOptions, dir: string): Promise<ExecResult | string> {
  const result = path.join(dir, "result.json");
  const args = [
    path.join(__dirname, "execute.py"),
    path.join(dir, "notebook.ipynb"),
    "--out",
    path.join(dir, "executed.ipynb"),
    "--result",
    result,
    "--timeout",
    String(opts.timeoutS),
    "--kernel",
    opts.kernel ?? "tslab",
  ];
  const env = {
    ...opts.env,
    PADAM_MODE: "smoke",
    PADAM_RUNS: path.join(dir, "runs"),
    PADAM_FIGURES_DIR: path.join(dir, "figures"),
    PYTHONWARNINGS: "ignore",
  };
  return new Promise((resolve) => {
    // A process group of its own: the kernel execute.py starts is its child, and a kernel left
    // behind by a killed executor would hold the stderr pipe open for ever.
    const child = spawn(opts.python, args, { env, cwd: dir, stdio: ["ignore", "ignore", "pipe"], detached: true });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is gone already
      }
    };
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    // execute.py stops the kernel itself at the budget; this is the backstop if it cannot.
    const killer = setTimeout(killGroup, (opts.timeoutS + 60) * 1000);
    // "exit", not "close": "close" waits for every holder of the pipe, a stray kernel included.
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      killGroup();
      try {
        resolve(JSON.parse(fs.readFileSync(result, "utf8")) as ExecResult);
      } catch {
        const why = signal ? `was stopped by ${signal}` : `exited with ${code}`;
        resolve(`the executor ${why} without a result: ${stderr.trim().split("\n").slice(-5).join("\n")}`);
      }
    });
  });
}

/** Scores the grade cells of an executed notebook. */
export function scoreCells(nb: Notebook, exec: ExecResult): CheckResult[] {
  const byIndex = new Map(exec.cells.map((c) => [c.index, c]));
  return gradeCells(nb).map(({ id, points, index }) => {
    const c = byIndex.get(index);
    if (!c || c.status === "not-run") {
      const why =
        exec.status === "timeout"
          ? "the notebook ran out of time before this check"
          : exec.status === "kernel-error"
            ? "the kernel stopped before this check"
            : "not run";
      return { id, points, earned: 0, status: "not-run", feedback: why };
    }
    if (c.status === "ok")
      return { id, points, earned: points, status: "passed", feedback: c.stdout.trim() || "passed" };
    return { id, points, earned: 0, status: "failed", feedback: failureText(c.stderr, c.error) };
  });
}

function baseReport(student: string, file: string): StudentReport {
  return {
    student,
    file,
    assignment: null,
    status: "graded",
    message: "",
    score: 0,
    maxScore: 0,
    checks: [],
    flags: [],
    seconds: 0,
  };
}

/** Grades one submission file; never throws (problems become the report's status and message). */
export async function gradeFile(file: string, student: string, opts: GradeOptions): Promise<StudentReport> {
  const report = baseReport(student, file);
  const t0 = Date.now();
  let dir = "";
  try {
    let sub: Notebook;
    try {
      if (!file.endsWith(".ipynb"))
        throw new Error(`${path.basename(file)} is not a notebook: the name does not end in .ipynb`);
      sub = parseNotebook(fs.readFileSync(file, "utf8"), path.basename(file));
    } catch (err) {
      return { ...report, status: "not-a-notebook", message: (err as Error).message };
    }
    const source = matchSource(sub, opts.sources);
    if (!source) {
      return {
        ...report,
        status: "unknown-assignment",
        message: `${path.basename(file)} shares no graded cell with any assignment (${opts.sources.map((s) => s.name).join(", ")})`,
      };
    }
    report.assignment = source.name;
    report.maxScore = gradeCells(source.nb).reduce((a, g) => a + g.points, 0);
    const { nb, flags } = assemble(sub, source.nb);
    report.flags = flags;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "padam-grade-"));
    writeNotebook(path.join(dir, "notebook.ipynb"), nb);
    fs.symlinkSync(path.resolve(opts.libDir), path.join(dir, "src"));
    fs.symlinkSync(path.resolve(opts.nodeModules), path.join(dir, "node_modules"));
    const exec = await runExecutor(opts, dir);
    if (typeof exec === "string") return { ...report, status: "kernel-error", message: exec };
    report.checks = scoreCells(nb, exec);
    report.score = report.checks.reduce((a, c) => a + c.earned, 0);
    report.status = exec.status === "ok" ? "graded" : exec.status;
    report.message = exec.message;
    return report;
  } catch (err) {
    return {
      ...report,
      status: "grader-error",
      message: `the grader failed on this submission: ${(err as Error).message}`,
    };
  } finally {
    report.seconds = (Date.now() - t0) / 1000;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The submissions under a path: a single file, or every non-hidden file of a folder and of its
 * subfolders one level down (`<student>.ipynb` or `<student>/<anything>`). Student names come
 * from the file name, or from the subfolder.
 */
export function listSubmissions(target: string): { file: string; student: string }[] {
  if (!fs.existsSync(target))
    throw new Error(`submissions path ${target} does not exist; give a folder of submissions or one .ipynb file`);
  if (fs.statSync(target).isFile()) return [{ file: target, student: path.basename(target).replace(/\.[^.]*$/, "") }];
  const out: { file: string; student: string }[] = [];
  for (const e of fs.readdirSync(target, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith(".")) continue;
    const p = path.join(target, e.name);
    if (e.isFile()) out.push({ file: p, student: e.name.replace(/\.[^.]*$/, "") });
    else if (e.isDirectory()) {
      const files = fs
        .readdirSync(p)
        .filter((f) => !f.startsWith(".") && fs.statSync(path.join(p, f)).isFile())
        .sort();
      for (const f of files)
        out.push({
          file: path.join(p, f),
          student: files.length > 1 ? `${e.name}-${f.replace(/\.[^.]*$/, "")}` : e.name,
        });
    }
  }
  if (out.length === 0) throw new Error(`submissions folder ${target} has no files`);
  return out;
}
