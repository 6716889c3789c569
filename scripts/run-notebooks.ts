/**
 * Executes the workbook: every `notebooks/*.ipynb` (sorted by name) through Jupyter (nbclient) with
 * the tslab kernel, exported to self-contained HTML reports.
 *
 *   npm start                      # PADAM_MODE=quick (default) -> reports/<name>.html, figures/<name>/
 *   npm run nb:smoke               # PADAM_MODE=smoke -> .cache/nb-smoke/{reports,figures}
 *   npx tsx scripts/run-notebooks.ts [--mode smoke|quick|full] [--out DIR] [--figures DIR]
 *        [--timeout SECONDS] [--jobs N] [--fail-fast] [NAME ...]
 *
 * NAME selects notebooks by name prefix ("00", "04-cifar10"). The mode comes from `--mode`, else
 * `PADAM_MODE`, else quick. The project-local kernel (<repo>/.jupyter) is registered first if
 * needed. A notebook fails when a cell reports an error; the run goes on with the next notebook
 * (unless --fail-fast) and exits 1 at the end, naming each failed notebook and cell. Reports of
 * earlier runs are replaced (they are derived files; each replacement is printed).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findPython, installKernel, KERNEL_NAME, kernelEnv, LOCAL_PREFIX, pythonHas, REPO_ROOT } from "./kernel";

export type Mode = "smoke" | "quick" | "full";
const MODES: Mode[] = ["smoke", "quick", "full"];

export interface RunOptions {
  mode: Mode;
  /** Folder of the notebooks (default <repo>/notebooks). */
  notebooksDir?: string;
  /** Folder for the HTML reports. */
  outDir?: string;
  /** Folder for exported figures (passed to the kernel as PADAM_FIGURES_DIR). */
  figuresDir?: string;
  /** Name prefixes of the notebooks to run (default: all). */
  only?: string[];
  /** Per-cell timeout in seconds (0 = none). */
  timeoutS?: number;
  /** Notebooks executed at the same time (default 1). */
  jobs?: number;
  failFast?: boolean;
  /** Also write the executed notebooks (<outDir>/<name>.ipynb). */
  keepExecuted?: boolean;
  /** Print progress (default true). */
  verbose?: boolean;
  /** Extra environment for the kernels. */
  env?: NodeJS.ProcessEnv;
}

export interface NotebookResult {
  name: string;
  ok: boolean;
  html: string;
  seconds: number;
  /** 0-based index of the failing cell among all cells, and 1-based among code cells. */
  failedCell: number | null;
  failedCodeCell: number | null;
  message: string;
}

/** Defaults per mode: smoke writes into .cache so it never touches reports/ or figures/. */
export function defaultDirs(mode: Mode): { outDir: string; figuresDir: string } {
  if (mode === "smoke") {
    const base = path.join(REPO_ROOT, ".cache", "nb-smoke");
    return { outDir: path.join(base, "reports"), figuresDir: path.join(base, "figures") };
  }
  return { outDir: path.join(REPO_ROOT, "reports"), figuresDir: path.join(REPO_ROOT, "figures") };
}

/** The notebooks of a folder, sorted, optionally filtered by name prefixes. */
export function listNotebooks(dir: string, only: string[] = []): string[] {
  if (!fs.existsSync(dir)) throw new Error(`notebooks folder ${dir} does not exist`);
  const all = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !f.startsWith(".")).sort();
  if (only.length === 0) return all.map((f) => path.join(dir, f));
  const picked = all.filter((f) => only.some((p) => f.startsWith(p)));
  const unmatched = only.filter((p) => !all.some((f) => f.startsWith(p)));
  if (unmatched.length > 0) {
    throw new Error(`no notebook matches ${unmatched.map((u) => JSON.stringify(u)).join(", ")}; available: ${all.join(", ")}`);
  }
  return picked.map((f) => path.join(dir, f));
}

/** Python (with nbclient and nbconvert) that runs the notebooks, or an Error saying what is missing. */
export function notebookPython(): string {
  const python = findPython();
  if (!pythonHas(python, ["nbclient", "nbconvert", "nbformat"])) {
    throw new Error(`${python} lacks nbclient/nbconvert; on Debian/Ubuntu run \`sudo apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel\``);
  }
  return python;
}

function fmtSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

async function runOne(python: string, file: string, opts: Required<Pick<RunOptions, "mode" | "timeoutS" | "keepExecuted" | "verbose">> & { outDir: string; figuresDir: string; env: NodeJS.ProcessEnv }): Promise<NotebookResult> {
  const name = path.basename(file, ".ipynb");
  const html = path.join(opts.outDir, `${name}.html`);
  const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-")), "result.json");
  const args = [path.join(__dirname, "nbexec.py"), file, "--html", html, "--result", resultFile, "--kernel", KERNEL_NAME, "--timeout", String(opts.timeoutS)];
  if (opts.keepExecuted) args.push("--executed", path.join(opts.outDir, `${name}.ipynb`));
  const env: NodeJS.ProcessEnv = {
    ...kernelEnv(LOCAL_PREFIX, { ...process.env, ...opts.env }),
    PADAM_MODE: opts.mode,
    PADAM_NOTEBOOK: name,
    PADAM_FIGURES_DIR: opts.figuresDir,
    // Keep Python's own warnings (e.g. Jupyter path deprecations) out of the progress output.
    PYTHONWARNINGS: "ignore",
  };
  // Smoke runs train throw-away configurations: keep them out of the workbook's data/runs
  // (08-summary reads that), unless a runs directory was chosen explicitly.
  if (opts.mode === "smoke" && !env.PADAM_RUNS) env.PADAM_RUNS = path.join(opts.outDir, "runs");
  const t0 = Date.now();
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn(python, args, { env, stdio: ["ignore", opts.verbose ? "inherit" : "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (c) => resolve({ code: c ?? 2, stderr }));
  });
  const seconds = (Date.now() - t0) / 1000;
  let parsed: { ok: boolean; failed_cell: number | null; failed_code_cell: number | null; message: string } | null = null;
  try {
    parsed = JSON.parse(fs.readFileSync(resultFile, "utf8"));
  } catch {
    parsed = null;
  }
  fs.rmSync(path.dirname(resultFile), { recursive: true, force: true });
  if (!parsed) {
    const detail = stderr.trim().split("\n").slice(-20).join("\n");
    return { name, ok: false, html, seconds, failedCell: null, failedCodeCell: null, message: `nbexec.py exited with ${code} without a result${detail ? `:\n${detail}` : ""}` };
  }
  return {
    name,
    ok: parsed.ok && code === 0,
    html,
    seconds,
    failedCell: parsed.failed_cell,
    failedCodeCell: parsed.failed_code_cell,
    message: parsed.message,
  };
}

/** Runs the notebooks; resolves to one result per notebook (it does not throw on notebook errors). */
export async function runNotebooks(options: RunOptions): Promise<NotebookResult[]> {
  if (!MODES.includes(options.mode)) {
    throw new Error(`mode is ${JSON.stringify(options.mode)}; allowed: ${MODES.join(", ")}`);
  }
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs is ${jobs}; allowed: an integer >= 1`);
  const timeoutS = options.timeoutS ?? 0;
  if (!(timeoutS >= 0)) throw new Error(`timeout is ${timeoutS}; allowed: seconds >= 0 (0 = none)`);
  const verbose = options.verbose ?? true;
  const log = verbose ? (s: string) => console.log(s) : () => undefined;
  const dirs = defaultDirs(options.mode);
  const outDir = path.resolve(options.outDir ?? dirs.outDir);
  const figuresDir = path.resolve(options.figuresDir ?? dirs.figuresDir);
  const files = listNotebooks(options.notebooksDir ?? path.join(REPO_ROOT, "notebooks"), options.only ?? []);
  const python = notebookPython();
  installKernel({ prefix: LOCAL_PREFIX, python, verbose });
  fs.mkdirSync(outDir, { recursive: true });
  fs.mkdirSync(figuresDir, { recursive: true });
  log(`running ${files.length} notebook(s) with PADAM_MODE=${options.mode} -> ${path.relative(process.cwd(), outDir) || "."}/ (figures: ${path.relative(process.cwd(), figuresDir) || "."}/)`);

  const results: NotebookResult[] = new Array(files.length);
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && next < files.length) {
      const i = next++;
      const name = path.basename(files[i], ".ipynb");
      const existed = fs.existsSync(path.join(outDir, `${name}.html`));
      log(`[${i + 1}/${files.length}] ${name} ...`);
      const r = await runOne(python, files[i], { mode: options.mode, timeoutS, verbose, keepExecuted: options.keepExecuted ?? false, outDir, figuresDir, env: options.env ?? {} });
      results[i] = r;
      if (r.ok) {
        log(`[${i + 1}/${files.length}] ${name} ok in ${fmtSeconds(r.seconds)} -> ${path.relative(process.cwd(), r.html)}${existed ? " (replaced)" : ""}`);
      } else {
        const where = r.failedCodeCell !== null ? `code cell ${r.failedCodeCell} (cell index ${r.failedCell})` : "no cell (setup)";
        log(`[${i + 1}/${files.length}] ${name} FAILED at ${where} after ${fmtSeconds(r.seconds)}: ${headline(r.message)}\n${indent(r.message)}`);
        if (options.failFast) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
  return results.filter((r) => r !== undefined);
}

/** The most telling line of an error message: the first that names an error, else the first non-empty one. */
export function headline(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.find((l) => /\b(\w*Error|error TS\d+|Exception)\b/.test(l)) ?? lines[0] ?? "(no message)";
}

function indent(s: string): string {
  return s.split("\n").map((l) => `    ${l}`).join("\n");
}

function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { mode: "quick", only: [] };
  let mode: string | undefined = process.env.PADAM_MODE && process.env.PADAM_MODE.trim() !== "" ? process.env.PADAM_MODE.trim() : undefined;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--mode") mode = value(i++, a);
    else if (a === "--out") opts.outDir = value(i++, a);
    else if (a === "--figures") opts.figuresDir = value(i++, a);
    else if (a === "--timeout") opts.timeoutS = Number(value(i++, a));
    else if (a === "--jobs") opts.jobs = Number(value(i++, a));
    else if (a === "--fail-fast") opts.failFast = true;
    else if (a === "--keep-executed") opts.keepExecuted = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: tsx scripts/run-notebooks.ts [--mode smoke|quick|full] [--out DIR] [--figures DIR] [--timeout S] [--jobs N] [--fail-fast] [--keep-executed] [NAME ...]");
      process.exit(0);
    } else if (a.startsWith("--")) throw new Error(`unknown option ${a}; see --help`);
    else opts.only!.push(a);
  }
  if (mode !== undefined) {
    if (!(MODES as string[]).includes(mode)) throw new Error(`mode (--mode or PADAM_MODE) is ${JSON.stringify(mode)}; allowed: ${MODES.join(", ")}`);
    opts.mode = mode as Mode;
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const results = await runNotebooks(opts);
  const failed = results.filter((r) => !r.ok);
  const total = fmtSeconds((Date.now() - t0) / 1000);
  if (failed.length === 0) {
    console.log(`all ${results.length} notebook(s) ran without errors in ${total}`);
    return;
  }
  console.error(`${failed.length} of ${results.length} notebook(s) failed (${total}):`);
  for (const r of failed) {
    console.error(`  ${r.name}: ${r.failedCodeCell !== null ? `code cell ${r.failedCodeCell}` : "setup"}: ${headline(r.message)}`);
  }
  process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`run-notebooks: ${(err as Error).message}`);
    process.exit(1);
  });
}
