/**
 * Pieces of the benchmark that do not depend on tfjs: argument parsing, timing, result rows,
 * the PyTorch reference runner and the comparison.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** One result row: the format `bench/torch_reference.py` prints too. */
export interface ResultRow {
  workload: string;
  engine: string;
  threads: number;
  unit: string;
  value: number;
}

export interface BenchArgs {
  json: boolean;
  compare: boolean;
  /** Seconds of timed steps per workload (after one warm-up step). */
  seconds: number;
  only: string[];
  backend?: "tensorflow" | "wasm" | "cpu";
  /** tfjs thread counts (wasm), each measured in turn; default: initBackend's default. */
  threads?: number[];
  /** PyTorch thread counts to run with --compare (best one is the reference). */
  torchThreads: number[];
  /** Alternations of tfjs and PyTorch per workload with --compare (each side's best counts). */
  rounds: number;
  /** --memory: run `steps` steps per workload and check that memory does not grow. */
  memory: boolean;
  steps: number;
  /** --ceiling: single convolutions against the wasm SIMD ceiling instead of the workloads. */
  ceiling: boolean;
  /** --memory only: the networks' batch size instead of their presets'. */
  batch?: number;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [--json] [--compare] [--seconds S] [--only NAME[,NAME...]]
                         [--backend tensorflow|wasm|cpu] [--threads N[,N...]] [--torch-threads N[,N...]]
                         [--rounds R] [--memory [--steps N] [--batch B]] [--ceiling]

Training throughput of the workloads of bench/workloads.ts on TensorFlow.js.
  --json           one JSON object per line: {"workload","engine","threads","unit","value"}
  --compare        also run the PyTorch counterparts (bench/torch_reference.py with /usr/bin/python3
                   and Debian's python3-torch) in the same run, per workload alternating with the
                   tfjs measurement, and print tfjs/PyTorch ratios
  --rounds R       with --compare: R alternations tfjs, PyTorch per workload; each side's best
                   round counts (default 1)
  --seconds S      timed seconds per workload after one warm-up step (default 3, as the reference)
  --only LIST      comma-separated subset of: fmnist-cnn, cifar-resnet20, ptb-lstm-small,
                   cifar-resnet18, optimizer-step
  --memory         instead of speed: run --steps steps of each workload and check that neither the
                   live tensors nor the resident set grow (exit 1 when one does)
  --ceiling        instead of speed: the conv nets' dominant convolutions one at a time (forward,
                   input gradient, filter gradient) in GFLOP/s against the arithmetic ceiling of
                   128-bit wasm SIMD (bench/ceiling.ts; needs clang and lld), at 1 thread; with
                   --compare also PyTorch's rates and ceiling / PyTorch
  --steps N        steps per workload for --memory (default 1000)
  --batch B        with --memory: every network's batch (sequences for the LSTM) is B instead of
                   its preset's; a leak grows per step whatever the batch, and a small batch takes
                   ResNet-20, ResNet-18 and the LSTM through 1,000 steps in minutes, not hours
  --backend B      TensorFlow.js backend (default: PADAM_BACKEND or automatic)
  --threads LIST   tfjs thread counts (wasm backend), each measured; the best counts (default:
                   with --compare 1 and the number of cores, else PADAM_THREADS or one per core)
  --torch-threads  PyTorch thread counts for --compare (default: 1 and the number of cores);
                   the best of them is the reference`;

export function parseArgs(argv: string[], workloads: readonly string[], cores: number): BenchArgs {
  const args: BenchArgs = {
    json: false,
    compare: false,
    seconds: 3,
    only: [],
    torchThreads: [...new Set([1, cores])],
    rounds: 1,
    memory: false,
    steps: 1000,
    ceiling: false,
    help: false,
  };
  const positiveInt = (flag: string, v: string): number => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${flag} = ${JSON.stringify(v)} must be a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--json") args.json = true;
    else if (a === "--compare") args.compare = true;
    else if (a === "--help" || a === "-h") args.help = true;
    else if (a === "--memory") args.memory = true;
    else if (a === "--ceiling") args.ceiling = true;
    else if (a === "--rounds") args.rounds = positiveInt(a, value());
    else if (a === "--steps") args.steps = positiveInt(a, value());
    else if (a === "--batch") args.batch = positiveInt(a, value());
    else if (a === "--seconds") {
      const v = value();
      const s = Number(v);
      if (!(s > 0 && Number.isFinite(s))) throw new Error(`--seconds = ${JSON.stringify(v)} must be a positive number`);
      args.seconds = s;
    } else if (a === "--only") {
      args.only = value()
        .split(",")
        .filter((s) => s !== "");
      for (const w of args.only) {
        if (!workloads.includes(w))
          throw new Error(`--only: unknown workload ${JSON.stringify(w)}; allowed: ${workloads.join(", ")}`);
      }
    } else if (a === "--backend") {
      const v = value();
      if (v !== "tensorflow" && v !== "wasm" && v !== "cpu") {
        throw new Error(`--backend = ${JSON.stringify(v)}; allowed: tensorflow, wasm, cpu`);
      }
      args.backend = v;
    } else if (a === "--threads" || a === "--torch-threads") {
      const v = value();
      const list = v.split(",").map(Number);
      if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= 1)) {
        throw new Error(`${a} = ${JSON.stringify(v)} must be positive integers separated by commas`);
      }
      if (a === "--threads") args.threads = list;
      else args.torchThreads = list;
    } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  if (args.batch !== undefined && !args.memory) {
    throw new Error(
      `--batch = ${args.batch} applies to --memory only: the speed table measures every network at its preset's batch`,
    );
  }
  if (args.ceiling && args.memory) throw new Error("--ceiling and --memory are separate modes; give one");
  if (args.ceiling && args.only.length > 0)
    throw new Error(`--only applies to the workloads; --ceiling measures its own convolution shapes`);
  return args;
}

/**
 * Steps per second, measured as the reference does: one warm-up step, then steps until at
 * least `seconds` have passed and at least 3 steps ran.
 */
export function timed(step: () => void, seconds: number, now: () => number = () => performance.now() / 1000): number {
  step();
  let n = 0;
  const start = now();
  for (;;) {
    step();
    n++;
    const elapsed = now() - start;
    if (elapsed >= seconds && n >= 3) return n / elapsed;
  }
}

/**
 * Steps per second of several steps measured in turns (one warm-up step each, then rounds in
 * which each runs for about `seconds / rounds`), so that a machine whose load changes during the
 * run affects all of them alike: the ratios between them are what this is for. Each gets at
 * least `seconds` and 3 steps in total.
 */
export function timedInterleaved(
  steps: (() => void)[],
  seconds: number,
  rounds = 5,
  now: () => number = () => performance.now() / 1000,
): number[] {
  for (const step of steps) step();
  const n = steps.map(() => 0);
  const spent = steps.map(() => 0);
  const slice = seconds / rounds;
  while (steps.some((_, i) => spent[i] < seconds || n[i] < 3)) {
    steps.forEach((step, i) => {
      const start = now();
      let k = 0;
      do {
        step();
        k++;
      } while (now() - start < slice && spent[i] + now() - start < seconds);
      spent[i] += now() - start;
      n[i] += k;
    });
  }
  return n.map((k, i) => k / spent[i]);
}

/** What `memoryCheck` found over `steps` steps after the warm-up. */
export interface MemoryReport {
  steps: number;
  /** Lowest resident set over the first and over the last tenth of the steps, and the peak (bytes). */
  rssStart: number;
  rssEnd: number;
  rssPeak: number;
  /** Live tensors after the warm-up and at the end. */
  tensorsStart: number;
  tensorsEnd: number;
  /** Allowed resident-set growth (bytes): 32 MB plus 2 % of the start (allocator and GC noise). */
  rssAllowance: number;
  ok: boolean;
}

/**
 * Runs `warmup` steps (allocator pools and JIT settle), then `steps` steps, and checks that the
 * live tensors did not change and the resident set grew by at most the allowance: a leak of one
 * tensor or one buffer per step shows in either over 1,000 steps. The resident set is compared
 * by its floor, the lowest value over the first and over the last tenth of the steps: between
 * collections V8's heap saws up and down by 100 MB and more (ResNet-20, batch 4), which a
 * comparison of two single readings mistook for growth, while a leak raises the floor.
 */
export function memoryCheck(
  step: () => void,
  steps: number,
  read: { rss: () => number; tensors: () => number },
  warmup = 20,
): MemoryReport {
  for (let i = 0; i < warmup; i++) step();
  const tensorsStart = read.tensors();
  const window = Math.max(1, Math.ceil(steps / 10));
  let rssStart = Number.POSITIVE_INFINITY;
  let rssEnd = Number.POSITIVE_INFINITY;
  let rssPeak = 0;
  for (let i = 0; i < steps; i++) {
    step();
    const rss = read.rss();
    rssPeak = Math.max(rssPeak, rss);
    if (i < window) rssStart = Math.min(rssStart, rss);
    if (i >= steps - window) rssEnd = Math.min(rssEnd, rss);
  }
  const tensorsEnd = read.tensors();
  const rssAllowance = 32 * 2 ** 20 + 0.02 * rssStart;
  const ok = tensorsEnd === tensorsStart && rssEnd - rssStart <= rssAllowance;
  return { steps, rssStart, rssEnd, rssPeak, tensorsStart, tensorsEnd, rssAllowance, ok };
}

/** Rounds as the reference (2 decimals) but keeps 3 significant digits for slow rows. */
export function roundValue(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const digits = Math.max(2, 2 - Math.floor(Math.log10(Math.abs(v))));
  return Number(v.toFixed(Math.min(digits, 8)));
}

export function formatRow(r: ResultRow): string {
  return JSON.stringify({ workload: r.workload, engine: r.engine, threads: r.threads, unit: r.unit, value: r.value });
}

/** Parses the reference's JSON lines, ignoring anything else it prints. */
export function parseRows(stdout: string): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const line of stdout.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const o = JSON.parse(t) as Partial<ResultRow>;
      if (typeof o.workload === "string" && typeof o.value === "number" && typeof o.engine === "string") {
        rows.push({
          workload: o.workload,
          engine: o.engine,
          threads: Number(o.threads),
          unit: String(o.unit),
          value: o.value,
        });
      }
    } catch {
      // not a result line
    }
  }
  return rows;
}

export interface Comparison {
  workload: string;
  unit: string;
  tfjs: number;
  tfjsEngine: string;
  tfjsThreads: number;
  pytorch: number;
  pytorchThreads: number;
  /** tfjs / PyTorch (higher is better for tfjs). */
  ratio: number;
}

/** Pairs the best tfjs row of each workload with the best PyTorch row (over thread settings). */
export function compareRows(tfjs: ResultRow[], torch: ResultRow[]): Comparison[] {
  const out: Comparison[] = [];
  const bestTfjs = tfjs.filter((t) => !tfjs.some((o) => o.workload === t.workload && o.value > t.value));
  for (const t of bestTfjs.filter((r, i) => bestTfjs.findIndex((o) => o.workload === r.workload) === i)) {
    const candidates = torch.filter((r) => r.workload === t.workload);
    if (candidates.length === 0) continue;
    const best = candidates.reduce((a, b) => (b.value > a.value ? b : a));
    out.push({
      workload: t.workload,
      unit: t.unit,
      tfjs: t.value,
      tfjsEngine: t.engine,
      tfjsThreads: t.threads,
      pytorch: best.value,
      pytorchThreads: best.threads,
      ratio: best.value > 0 ? t.value / best.value : NaN,
    });
  }
  return out;
}

/** The PyTorch counterparts: `bench/torch_reference.py` in the repository. */
export function torchReferencePath(repoRoot: string): string {
  return path.join(repoRoot, "bench", "torch_reference.py");
}

export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Why the reference cannot run, or undefined when it can. */
export function torchUnavailable(script: string, python = SYSTEM_PYTHON): string | undefined {
  if (!fs.existsSync(script)) return `reference script not found at ${script}`;
  if (!fs.existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (r.status !== 0) return `${python} has no torch (on Debian: apt-get install python3-torch)`;
  return undefined;
}

/** Runs the reference for one workload and thread count; returns its rows. */
export function runTorch(
  script: string,
  workload: string,
  threads: number,
  seconds: number,
  python = SYSTEM_PYTHON,
): ResultRow[] {
  return runTorchScript(script, ["--only", workload], workload, threads, seconds, python);
}

/** Runs the reference's single-convolution timing (`--conv-shapes`, see ceiling.ts); returns its rows. */
export function runTorchConvShapes(
  script: string,
  shapes: readonly object[],
  threads: number,
  seconds: number,
  python = SYSTEM_PYTHON,
): ResultRow[] {
  return runTorchScript(script, ["--conv-shapes", JSON.stringify(shapes)], "--conv-shapes", threads, seconds, python);
}

function runTorchScript(
  script: string,
  args: string[],
  what: string,
  threads: number,
  seconds: number,
  python: string,
): ResultRow[] {
  const r = spawnSync(python, [script, "--threads", String(threads), "--seconds", String(seconds), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    throw new Error(
      `PyTorch reference failed (exit ${r.status}) for ${what}: ${(r.stderr || "").trim().split("\n").pop()}`,
    );
  }
  return parseRows(r.stdout);
}
