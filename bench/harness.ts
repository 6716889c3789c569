/**
 * Pieces of the benchmark that do not depend on tfjs: argument parsing, timing, result rows,
 * the PyTorch reference runner and the comparison.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** One result row: the format of `shared/bench/torch_reference.py`. */
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
  /** tfjs threads (wasm); default: initBackend's default. */
  threads?: number;
  /** PyTorch thread counts to run with --compare (best one is the reference). */
  torchThreads: number[];
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [--json] [--compare] [--seconds S] [--only NAME[,NAME...]]
                         [--backend tensorflow|wasm|cpu] [--threads N] [--torch-threads N[,N...]]

Training throughput of the four workloads of shared/bench/torch_reference.py on TensorFlow.js.
  --json           one JSON object per line: {"workload","engine","threads","unit","value"}
  --compare        also run the PyTorch reference (/usr/bin/python3 with torch) in the same run,
                   per workload right after the tfjs measurement, and print tfjs/PyTorch ratios
  --seconds S      timed seconds per workload after one warm-up step (default 3, as the reference)
  --only LIST      comma-separated subset of: fmnist-cnn, cifar-resnet18, ptb-lstm2, optimizer-step
  --backend B      TensorFlow.js backend (default: PADAM_BACKEND or automatic)
  --threads N      tfjs threads (wasm backend; default PADAM_THREADS or 1)
  --torch-threads  PyTorch thread counts for --compare (default: 1 and the number of cores);
                   the best of them is the reference`;

export function parseArgs(argv: string[], workloads: readonly string[], cores: number): BenchArgs {
  const args: BenchArgs = {
    json: false,
    compare: false,
    seconds: 3,
    only: [],
    torchThreads: [...new Set([1, cores])],
    help: false,
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
    else if (a === "--seconds") {
      const v = value();
      const s = Number(v);
      if (!(s > 0 && Number.isFinite(s))) throw new Error(`--seconds = ${JSON.stringify(v)} must be a positive number`);
      args.seconds = s;
    } else if (a === "--only") {
      args.only = value().split(",").filter((s) => s !== "");
      for (const w of args.only) {
        if (!workloads.includes(w)) throw new Error(`--only: unknown workload ${JSON.stringify(w)}; allowed: ${workloads.join(", ")}`);
      }
    } else if (a === "--backend") {
      const v = value();
      if (v !== "tensorflow" && v !== "wasm" && v !== "cpu") {
        throw new Error(`--backend = ${JSON.stringify(v)}; allowed: tensorflow, wasm, cpu`);
      }
      args.backend = v;
    } else if (a === "--threads") {
      const v = value();
      const n = Number(v);
      if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--threads = ${JSON.stringify(v)} must be a positive integer`);
      args.threads = n;
    } else if (a === "--torch-threads") {
      const v = value();
      const list = v.split(",").map(Number);
      if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= 1)) {
        throw new Error(`--torch-threads = ${JSON.stringify(v)} must be positive integers separated by commas`);
      }
      args.torchThreads = list;
    } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
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
        rows.push({ workload: o.workload, engine: o.engine, threads: Number(o.threads), unit: String(o.unit), value: o.value });
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
  pytorch: number;
  pytorchThreads: number;
  /** tfjs / PyTorch (higher is better for tfjs). */
  ratio: number;
}

/** Pairs each tfjs row with the best PyTorch row of the same workload (over thread settings). */
export function compareRows(tfjs: ResultRow[], torch: ResultRow[]): Comparison[] {
  const out: Comparison[] = [];
  for (const t of tfjs) {
    const candidates = torch.filter((r) => r.workload === t.workload);
    if (candidates.length === 0) continue;
    const best = candidates.reduce((a, b) => (b.value > a.value ? b : a));
    out.push({
      workload: t.workload,
      unit: t.unit,
      tfjs: t.value,
      tfjsEngine: t.engine,
      pytorch: best.value,
      pytorchThreads: best.threads,
      ratio: best.value > 0 ? t.value / best.value : NaN,
    });
  }
  return out;
}

/** Where the reference script lives: `$PADAM_TORCH_REFERENCE`, else `../shared/bench/` beside the repo. */
export function torchReferencePath(repoRoot: string): string {
  return process.env.PADAM_TORCH_REFERENCE ?? path.resolve(repoRoot, "..", "shared", "bench", "torch_reference.py");
}

export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Why the reference cannot run, or undefined when it can. */
export function torchUnavailable(script: string, python = SYSTEM_PYTHON): string | undefined {
  if (!fs.existsSync(script)) return `reference script not found at ${script} (set PADAM_TORCH_REFERENCE)`;
  if (!fs.existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (r.status !== 0) return `${python} has no torch (on Debian: apt-get install python3-torch)`;
  return undefined;
}

/** Runs the reference for one workload and thread count; returns its rows. */
export function runTorch(script: string, workload: string, threads: number, seconds: number, python = SYSTEM_PYTHON): ResultRow[] {
  const r = spawnSync(python, [script, "--threads", String(threads), "--seconds", String(seconds), "--only", workload], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    throw new Error(`PyTorch reference failed (exit ${r.status}) for ${workload}: ${(r.stderr || "").trim().split("\n").pop()}`);
  }
  return parseRows(r.stdout);
}
