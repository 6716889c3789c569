/**
 * Executes the workbook: every `notebooks/*.ipynb` (sorted by name) through Jupyter (nbclient) with
 * the tslab kernel, exported to self-contained HTML reports.
 *
 *   npm start                      # PADAM_MODE=quick (default) -> reports/<name>.html, figures/<name>/
 *   npm run nb:smoke               # PADAM_MODE=smoke -> .cache/nb-smoke/{reports,figures}
 *   npx tsx scripts/run-notebooks.ts [--mode smoke|quick|full] [--out DIR] [--figures DIR]
 *        [--timeout SECONDS] [--kernel-timeout SECONDS] [--jobs N] [--fail-fast] [--notebooks DIR] [NAME ...]
 *
 * NAME selects notebooks by name prefix ("00", "04-cifar10"). The mode comes from `--mode`, else
 * `PADAM_MODE`, else quick. The project-local kernel (<repo>/.jupyter) is registered first if
 * needed. A kernel that does not answer within --kernel-timeout (default 300 s) is started once
 * more. A notebook fails when a cell reports an error or runs past --timeout; the run goes on with
 * the next notebook (unless --fail-fast) and exits 1 at the end, naming each failed notebook and
 * cell. A usage error (unknown option, bad value, no such notebook) exits 2 before any work.
 * SIGINT/SIGTERM stop the notebooks running (each kernel is shut down) and exit 130/143.
 *
 * Reports are self-contained HTML: the math renderer is inlined (src/notebook/report.ts) and
 * plotly.js is embedded by the notebooks, so a report opens anywhere without network or this
 * machine's files. Reports of earlier runs are replaced (they are derived files; each
 * replacement is printed).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { reportHeadHtml } from "../src/notebook/report";
import { findPython, installKernel, KERNEL_NAME, kernelEnv, LOCAL_PREFIX, pythonHas, REPO_ROOT } from "./kernel";

export type Mode = "smoke" | "quick" | "full";
const MODES: Mode[] = ["smoke", "quick", "full"];
/** Seconds a kernel has to answer after its start (it is started once more if it does not). */
export const DEFAULT_KERNEL_TIMEOUT_S = 300;

/** A mistake in how the script was called (exit status 2). */
export class UsageError extends Error {}

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
  /** Seconds for a kernel to answer after its start (default {@link DEFAULT_KERNEL_TIMEOUT_S}). */
  kernelTimeoutS?: number;
  /** Jupyter kernel name (default the project's tslab kernel). */
  kernel?: string;
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
  /** Kernel starts it took (2 when the first start failed and the retry worked). */
  kernelStarts: number;
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
  if (!fs.existsSync(dir)) throw new UsageError(`notebooks folder ${dir} does not exist`);
  const all = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
    .sort();
  if (only.length === 0) return all.map((f) => path.join(dir, f));
  const picked = all.filter((f) => only.some((p) => f.startsWith(p)));
  const unmatched = only.filter((p) => !all.some((f) => f.startsWith(p)));
  if (unmatched.length > 0) {
    throw new UsageError(
      `no notebook matches ${unmatched.map((u) => JSON.stringify(u)).join(", ")}; available: ${all.join(", ")}`,
    );
  }
  return picked.map((f) => path.join(dir, f));
}

/** Python (with nbclient and nbconvert) that runs the notebooks, or an Error saying what is missing. */
export function notebookPython(): string {
  const python = findPython();
  if (!pythonHas(python, ["nbclient", "nbconvert", "nbformat"])) {
    throw new Error(
      `${python} lacks nbclient/nbconvert; on Debian/Ubuntu run \`sudo apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel\``,
    );
  }
  return python;
}

function fmtSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The nbexec.py processes running now: ended (SIGTERM, so each shuts its kernel down) if this process exits first. */
const running = new Set<ChildProcess>();
/** Temp folders of this run (result files, the report head), removed however the run ends. */
const tempDirs = new Set<string>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGTERM");
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

type RunOneOptions = Required<
  Pick<RunOptions, "mode" | "timeoutS" | "kernelTimeoutS" | "kernel" | "keepExecuted" | "verbose">
> & {
  outDir: string;
  figuresDir: string;
  env: NodeJS.ProcessEnv;
  headFile: string;
};

async function runOne(python: string, file: string, opts: RunOneOptions): Promise<NotebookResult> {
  const name = path.basename(file, ".ipynb");
  const html = path.join(opts.outDir, `${name}.html`);
  const resultFile = path.join(makeTempDir("padam-nb-"), "result.json");
  const args = [
    path.join(__dirname, "nbexec.py"),
    file,
    "--html",
    html,
    "--result",
    resultFile,
    "--kernel",
    opts.kernel,
    "--timeout",
    String(opts.timeoutS),
    "--startup-timeout",
    String(opts.kernelTimeoutS),
    "--head",
    opts.headFile,
  ];
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
    running.add(child);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (c) => {
      running.delete(child);
      resolve({ code: c ?? 2, stderr });
    });
  });
  const seconds = (Date.now() - t0) / 1000;
  let parsed: {
    ok: boolean;
    failed_cell: number | null;
    failed_code_cell: number | null;
    message: string;
    kernel_starts: number;
  } | null;
  try {
    parsed = JSON.parse(fs.readFileSync(resultFile, "utf8"));
  } catch {
    parsed = null;
  }
  removeTempDir(path.dirname(resultFile));
  if (!parsed) {
    const detail = stderr.trim().split("\n").slice(-20).join("\n");
    return {
      name,
      ok: false,
      html,
      seconds,
      failedCell: null,
      failedCodeCell: null,
      kernelStarts: 0,
      message: `nbexec.py exited with ${code} without a result${detail ? `:\n${detail}` : ""}`,
    };
  }
  return {
    name,
    ok: parsed.ok && code === 0,
    html,
    seconds,
    failedCell: parsed.failed_cell,
    failedCodeCell: parsed.failed_code_cell,
    message: parsed.message,
    kernelStarts: parsed.kernel_starts,
  };
}

/** Runs the notebooks; resolves to one result per notebook (it does not throw on notebook errors). */
export async function runNotebooks(options: RunOptions): Promise<NotebookResult[]> {
  if (!MODES.includes(options.mode)) {
    throw new UsageError(`mode is ${JSON.stringify(options.mode)}; allowed: ${MODES.join(", ")}`);
  }
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`jobs is ${jobs}; allowed: an integer >= 1`);
  const timeoutS = options.timeoutS ?? 0;
  if (!(timeoutS >= 0 && timeoutS < Infinity))
    throw new UsageError(`timeout is ${timeoutS}; allowed: seconds >= 0 (0 = none)`);
  const kernelTimeoutS = options.kernelTimeoutS ?? DEFAULT_KERNEL_TIMEOUT_S;
  if (!(kernelTimeoutS > 0 && kernelTimeoutS < Infinity))
    throw new UsageError(`kernel timeout is ${kernelTimeoutS}; allowed: seconds > 0`);
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
  const headDir = makeTempDir("padam-report-head-");
  const headFile = path.join(headDir, "head.html");
  fs.writeFileSync(headFile, reportHeadHtml());
  log(
    `running ${files.length} notebook(s) with PADAM_MODE=${options.mode} -> ${path.relative(process.cwd(), outDir) || "."}/ (figures: ${path.relative(process.cwd(), figuresDir) || "."}/)`,
  );

  const results: NotebookResult[] = new Array(files.length);
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && !interrupted && next < files.length) {
      const i = next++;
      const name = path.basename(files[i], ".ipynb");
      const existed = fs.existsSync(path.join(outDir, `${name}.html`));
      log(`[${i + 1}/${files.length}] ${name} ...`);
      const r = await runOne(python, files[i], {
        mode: options.mode,
        timeoutS,
        kernelTimeoutS,
        kernel: options.kernel ?? KERNEL_NAME,
        verbose,
        keepExecuted: options.keepExecuted ?? false,
        outDir,
        figuresDir,
        env: options.env ?? {},
        headFile,
      });
      results[i] = r;
      if (r.ok) {
        log(
          `[${i + 1}/${files.length}] ${name} ok in ${fmtSeconds(r.seconds)} -> ${path.relative(process.cwd(), r.html)}${existed ? " (replaced)" : ""}`,
        );
      } else {
        log(
          `[${i + 1}/${files.length}] ${name} FAILED at ${failedWhere(r)} after ${fmtSeconds(r.seconds)}: ${headline(r.message)}\n${indent(r.message)}`,
        );
        if (options.failFast) stop = true;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
  } finally {
    removeTempDir(headDir);
  }
  return results.filter((r) => r !== undefined);
}

/** Where a notebook failed, for messages: its cell, or the kernel start when no cell ran. */
export function failedWhere(r: Pick<NotebookResult, "failedCell" | "failedCodeCell">): string {
  if (r.failedCodeCell !== null) return `code cell ${r.failedCodeCell} (cell index ${r.failedCell})`;
  if (r.failedCell !== null) return `cell index ${r.failedCell}`;
  return "the kernel start (before the first cell)";
}

/** The most telling line of an error message: the first that names an error, else the first non-empty one. */
export function headline(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.find((l) => /\b(\w*Error|error TS\d+|Exception)\b/.test(l)) ?? lines[0] ?? "(no message)";
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

const USAGE =
  "usage: tsx scripts/run-notebooks.ts [--mode smoke|quick|full] [--out DIR] [--figures DIR] [--timeout S]\n" +
  "         [--kernel-timeout S] [--jobs N] [--fail-fast] [--keep-executed] [--notebooks DIR] [NAME ...]\n" +
  '  NAME: run only the notebooks whose name starts with it ("00", "04-cifar10")\n' +
  "  --timeout S: per-cell limit in seconds (0 = none, the default)\n" +
  `  --kernel-timeout S: seconds for a kernel to answer after its start (default ${DEFAULT_KERNEL_TIMEOUT_S}; one retry)`;

/** Parses the command line; throws {@link UsageError} naming the flag, the value and what is allowed. */
export function parseArgs(argv: string[], env: Record<string, string | undefined> = process.env): RunOptions | "help" {
  const opts: RunOptions = { mode: "quick", only: [] };
  let mode: string | undefined = env.PADAM_MODE && env.PADAM_MODE.trim() !== "" ? env.PADAM_MODE.trim() : undefined;
  const seen = new Set<string>();
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value; see --help`);
    return v;
  };
  const seconds = (i: number, flag: string): number => {
    const v = value(i, flag);
    if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`${flag} is ${JSON.stringify(v)}; allowed: a number of seconds`);
    return Number(v);
  };
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-")) {
      if (seen.has(a)) throw new UsageError(`${a} is given twice; give it once`);
      seen.add(a);
    }
    if (a === "--mode") mode = value(i++, a);
    else if (a === "--out") opts.outDir = value(i++, a);
    else if (a === "--notebooks") opts.notebooksDir = value(i++, a);
    else if (a === "--figures") opts.figuresDir = value(i++, a);
    else if (a === "--timeout") opts.timeoutS = seconds(i++, a);
    else if (a === "--kernel-timeout") opts.kernelTimeoutS = seconds(i++, a);
    else if (a === "--jobs") {
      const v = value(i++, a);
      if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--jobs is ${JSON.stringify(v)}; allowed: an integer >= 1`);
      opts.jobs = Number(v);
    } else if (a === "--fail-fast") opts.failFast = true;
    else if (a === "--keep-executed") opts.keepExecuted = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}; see --help`);
    else opts.only!.push(a);
  }
  if (mode !== undefined) {
    if (!(MODES as string[]).includes(mode))
      throw new UsageError(`mode (--mode or PADAM_MODE) is ${JSON.stringify(mode)}; allowed: ${MODES.join(", ")}`);
    opts.mode = mode as Mode;
  }
  return opts;
}

/** How long a stopped run waits for its notebooks to shut their kernels down. */
const STOP_GRACE_MS = 30_000;

/** Set by SIGINT/SIGTERM in the command-line run: no new notebook starts. */
let interrupted: NodeJS.Signals | null = null;

/** Stops the run on SIGINT/SIGTERM: the running nbexec.py processes shut their kernels down and exit. */
function stopOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      interrupted = signal;
      console.error(`run-notebooks: ${signal}: stopping ${running.size} running notebook(s) and their kernels`);
      for (const child of running) child.kill("SIGTERM");
      // A kernel still starting may not answer the shutdown: give up waiting after a while. The
      // nbexec.py processes then see their parent gone and kill their kernels themselves.
      setTimeout(() => process.exit(signal === "SIGINT" ? 130 : 143), STOP_GRACE_MS).unref();
    });
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts === "help") {
    console.log(USAGE);
    return;
  }
  stopOnSignals();
  const t0 = Date.now();
  const results = await runNotebooks(opts);
  if (interrupted) {
    process.exitCode = interrupted === "SIGINT" ? 130 : 143;
    return;
  }
  const failed = results.filter((r) => !r.ok);
  const total = fmtSeconds((Date.now() - t0) / 1000);
  if (failed.length === 0) {
    console.log(`all ${results.length} notebook(s) ran without errors in ${total}`);
    return;
  }
  console.error(`${failed.length} of ${results.length} notebook(s) failed (${total}):`);
  for (const r of failed) {
    console.error(`  ${r.name}: ${failedWhere(r)}: ${headline(r.message)}`);
  }
  process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`run-notebooks: ${(err as Error).message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
