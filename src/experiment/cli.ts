/**
 * Command-line front ends: `npm run train` (one run) and `npm run sweep` (a grid over
 * optimizers, Padam's p and seeds). Arguments are parsed, every resulting config validated and
 * the runs directory checked before any run starts; bad input exits with code 2 (`EXIT`).
 */
import { parseArgs } from "node:util";
import { MAX_SEED } from "../models/common";
import { BACKEND_REQUESTS } from "../backend/select";
import { DEFAULT_SIGNAL_SECONDS, type SlurmOptions } from "./slurm";
import { OPTIMIZER_NAMES, isOptimizerName, type AnyOptimizerOptions, type OptimizerName } from "../optim/registry";
import { validateConfig, type ExperimentConfig } from "./config";
import { isPresetName, PRESETS, PRESET_NAMES, presetConfig } from "./presets";
import { runExperiment, type RunOptions, type RunResult } from "./runner";
import { assertRunsDir, RunsDirError } from "./runs_dir";
import { resolveRunsDir } from "./store";
import { slurmCommand, statusCommand, workCommand, writePlanCommand, type SweepIo } from "./sweep_commands";
import { PlanError } from "./sweep_plan";
import { EXIT } from "./exit_codes";

/** The paper's seven optimizers, in its table order. */
export const PAPER_OPTIMIZERS: OptimizerName[] = ["sgd", "adam", "amsgrad", "adamw", "yogi", "adabound", "padam"];

export class UsageError extends Error {}

export { EXIT } from "./exit_codes";

const EXIT_HELP = `Exit codes:
  ${EXIT.ok}  every run finished (or was already finished)
  ${EXIT.error}  a run failed, or its stored records were refused (the message says why and what to do)
  ${EXIT.usage}  bad options or an unusable runs directory; nothing was trained or written
  ${EXIT.diverged}  a run diverged (non-finite training loss; the reason is printed)`;

const PLAN_EXIT_HELP = `  ${EXIT.locked}  (--index/--shard) a run is held by another live worker and was left to it
  ${EXIT.stopped}  (--index/--shard) stopped by a signal (time limit, scancel, Ctrl-C); the run resumes when run again`;

const COMMON = {
  preset: { type: "string" },
  lr: { type: "string" },
  epochs: { type: "string" },
  "runs-dir": { type: "string" },
  "train-limit": { type: "string" },
  "batch-size": { type: "string" },
  "gradient-stats": { type: "boolean" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function presetTable(): string {
  const width = Math.max(...PRESET_NAMES.map((n) => n.length));
  return PRESET_NAMES.map((n) => `  ${n.padEnd(width)}  ${PRESETS[n].description}`).join("\n");
}

export const TRAIN_HELP = `Usage: npm run train -- --preset <name> --optimizer <name> [options]

Trains one configuration and writes data/runs/<runId>/ (config.json, metrics.jsonl, checkpoint).

Options:
  --preset <name>        experiment preset (below)                       required
  --optimizer <name>     ${OPTIMIZER_NAMES.join(", ")}   required
  --partial <p>          Padam's p in [0, 0.5] (preset default 0.125)
  --lr <x>               initial learning rate (preset default per optimizer)
  --epochs <n>           number of epochs
  --seed <s>             random seed, an integer 0 ... ${MAX_SEED} (default 0)
  --train-limit <n>      use n training examples (0 = all)
  --batch-size <n>       training batch size
  --gradient-stats       record the gradient statistics of the convergence bound
  --runs-dir <dir>       where runs are written (default $PADAM_RUNS or data/runs); created if
                         absent, must be a writable directory
  --resume               continue an unfinished run from its last checkpoint
  --force                train from scratch, deleting this config's existing run (finished,
                         diverged, unfinished or damaged) first; not with --resume
  -h, --help             this text

Each option may be given once. A finished or diverged run is reported, not trained again,
unless --force is given.

${EXIT_HELP}

Presets:
${presetTable()}
`;

export const SWEEP_HELP = `Usage: npm run sweep -- --preset <name> [options]
       npm run sweep -- --preset <name> [options] --plan <file> [--slurm ...]
       npm run sweep -- --plan <file> (--index <i> | --shard <i/n> | --slurm ...)
       npm run sweep -- --status <file> [--resubmit-failed]

Runs a grid of configurations one after another. Finished runs are skipped, interrupted ones resumed,
diverged ones recorded and skipped (the sweep goes on with the next configuration).

Options:
  --preset <name>        experiment preset (below)                       required
  --optimizers <list>    comma-separated (default the paper's seven: ${PAPER_OPTIMIZERS.join(",")})
  --partials <list>      Padam p values, e.g. 0.25,0.125,0.0625 (default the preset's)
  --seeds <list>         e.g. 0,1,2 (default 0); integers 0 ... ${MAX_SEED}
  --lr <x>, --epochs <n>, --train-limit <n>, --batch-size <n>, --gradient-stats, --runs-dir <dir>  as for train
  --force                train every run of the grid from scratch, deleting existing runs (finished,
                         diverged, unfinished or damaged) first
  -h, --help             this text

Each option may be given once, and each list value once.

Plans (a grid run by many workers, machines or a SLURM job array, sharing one runs directory):
  --plan <file>          with --preset and the grid options: write the grid's configs and run ids to
                         <file> and train nothing (a file holding another plan is never replaced)
  --backend <name>       backend of the plan's runs (part of every run id): ${BACKEND_REQUESTS.join(", ")}
                         (default $PADAM_BACKEND, else the one selected on this machine); workers
                         refuse to train on another backend
  --threads <n>          wasm/cpu threads of the plan's runs, 1 ... 8 (default $PADAM_THREADS, else 1)
  --plan <file> --index <i>    run entry i: resumed if interrupted, never redone once finished; a run
                         another live worker holds is left to it (exit ${EXIT.locked})
  --plan <file> --shard <i/n>  run entries i, i+n, i+2n, ... one after another
  --runs-dir <dir>       with a plan: use <dir> instead of the plan's runs directory
  --plan <file> --slurm  write an sbatch script running the plan as a job array (one task per entry,
                         requeued on preemption; stops and requeues itself before the time limit):
    --time <limit>         per task, SLURM format (e.g. 30, 12:00:00, 2-00:00:00)   required
    --partition <name>     --cpus-per-task <n> (default the plan's threads)   --gpus-per-task <n>
    --mem <size>           e.g. 16G          --max-parallel <n>   tasks at once
    --signal-seconds <s>   stop this long before the time limit (default ${DEFAULT_SIGNAL_SECONDS})
    --job-name <name>      (default padam-<plan name>)   --setup <shell line>  run first (module load ...)
    --log-dir <dir>        task logs (default <runs dir>/slurm-logs)
    --script <file>        (default <plan>.sbatch; an existing other script is never replaced)
    --submit               submit it with sbatch (recorded in <plan>.jobs.jsonl)
  --status <file>        each entry's state (pending, queued, running, finished, diverged, failed,
                         stale-locked), epochs done, the node and task that made it, queue state
    --resubmit-failed      submit the failed and stale-locked entries again (last submission's script)

${EXIT_HELP}
${PLAN_EXIT_HELP}

Presets:
${presetTable()}
`;

function num(
  flag: string,
  value: string | undefined,
  check: (v: number) => boolean,
  allowed: string,
): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === "" || !Number.isFinite(v) || !check(v))
    throw new UsageError(`--${flag} ${value} is invalid; allowed: ${allowed}`);
  return v;
}

/**
 * A decimal integer in [min, max]. Digits only: `Number` would also take 1e3 or 0x10, and round
 * values past 2^53 to a neighbour (two different seeds, one run).
 */
function int(
  flag: string,
  value: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  note = "",
): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!/^[0-9]+$/.test(value) || v < min || v > max) {
    const allowed = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min} ... ${max}`;
    throw new UsageError(`--${flag} ${value} is invalid; allowed: ${allowed}${note}`);
  }
  return v;
}

const seedValue = (flag: string, value: string) => int(flag, value, 0, MAX_SEED)!;

/** A comma-separated list; a value given twice (by equality of the parsed values) is refused. */
function list<T>(flag: string, value: string | undefined, parse: (s: string) => T): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) throw new UsageError(`--${flag} is empty; give a comma-separated list`);
  const parsed = items.map(parse);
  parsed.forEach((v, i) => {
    const first = parsed.indexOf(v);
    if (first < i)
      throw new UsageError(
        `--${flag} lists the same value twice (${items[first]} and ${items[i]}); give each value once`,
      );
  });
  return parsed;
}

type Values = Record<string, string | boolean | undefined>;
type Token = { kind: string; name?: string; value?: string };

function parse(argv: string[], extra: Record<string, { type: "string" | "boolean" }>): { values: Values } {
  let parsed: { values: Values; tokens?: Token[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...COMMON, ...extra },
      strict: true,
      allowPositionals: false,
      tokens: true,
    }) as typeof parsed;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^Unknown option/, "unknown option"));
  }
  refuseRepeats(parsed.tokens ?? []);
  return { values: parsed.values };
}

/** parseArgs keeps the last of repeated options; a repeat is far more often a slip than intended. */
function refuseRepeats(tokens: Token[]): void {
  const seen = new Map<string, string | undefined>();
  for (const t of tokens) {
    if (t.kind !== "option" || t.name === undefined || t.name === "help") continue;
    if (seen.has(t.name)) {
      const values = t.value === undefined ? "" : ` (${seen.get(t.name)} and ${t.value})`;
      throw new UsageError(`--${t.name} is given twice${values}; give it once`);
    }
    seen.set(t.name, t.value);
  }
}

function overridesFrom(values: Values): Partial<ExperimentConfig> {
  const o: Partial<ExperimentConfig> = {};
  const epochs = int("epochs", values.epochs as string | undefined, 1);
  if (epochs !== undefined) o.epochs = epochs;
  const limit = int("train-limit", values["train-limit"] as string | undefined, 0, undefined, " (0 = all)");
  if (limit !== undefined) o.trainLimit = limit;
  const batch = int("batch-size", values["batch-size"] as string | undefined, 1);
  if (batch !== undefined) o.batchSize = batch;
  if (values["gradient-stats"]) o.gradientStats = true;
  return o;
}

function requirePreset(value: string | undefined, help: string): string {
  if (value === undefined) throw new UsageError(`--preset is required\n\n${help}`);
  if (!isPresetName(value))
    throw new UsageError(`--preset ${value} is unknown; known presets: ${PRESET_NAMES.join(", ")}`);
  return value;
}

function runsDirFlag(values: Values): string | undefined {
  const dir = values["runs-dir"] as string | undefined;
  if (dir !== undefined && dir.trim() === "") throw new UsageError("--runs-dir is empty; give a directory");
  return dir;
}

function optimizerName(value: string): OptimizerName {
  if (!isOptimizerName(value))
    throw new UsageError(
      `optimizer ${JSON.stringify(value)} is unknown; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`,
    );
  return value;
}

function buildConfig(
  preset: string,
  optimizer: OptimizerName,
  values: Values,
  seed: number,
  partial?: number,
): ExperimentConfig {
  const options: AnyOptimizerOptions = {};
  const lr = num("lr", values.lr as string | undefined, (v) => v >= 0, "a number >= 0");
  if (lr !== undefined) options.learningRate = lr;
  if (partial !== undefined) {
    if (optimizer !== "padam") throw new UsageError(`--partial applies to padam only, not ${optimizer}`);
    options.partial = partial;
  }
  const config = presetConfig(preset, optimizer, { ...overridesFrom(values), seed, optimizerOptions: options });
  try {
    validateConfig(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return config;
}

/** Parses `npm run train` arguments into a config (throws UsageError). */
export function parseTrainArgs(argv: string[]): {
  config?: ExperimentConfig;
  help?: string;
  resume: boolean;
  force: boolean;
  runsDir?: string;
} {
  const { values } = parse(argv, {
    optimizer: { type: "string" },
    partial: { type: "string" },
    seed: { type: "string" },
    resume: { type: "boolean" },
  });
  if (values.help) return { help: TRAIN_HELP, resume: false, force: false };
  const preset = requirePreset(values.preset as string | undefined, TRAIN_HELP);
  if (values.optimizer === undefined)
    throw new UsageError(`--optimizer is required; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`);
  const optimizer = optimizerName(values.optimizer as string);
  const seed = int("seed", values.seed as string | undefined, 0, MAX_SEED) ?? 0;
  const partial = num("partial", values.partial as string | undefined, (v) => v >= 0 && v <= 0.5, "0 <= p <= 0.5");
  if (values.resume && values.force)
    throw new UsageError(
      "--resume and --force exclude each other: --resume continues the stored run, --force deletes it and starts over",
    );
  const config = buildConfig(preset, optimizer, values, seed, partial);
  return { config, resume: Boolean(values.resume), force: Boolean(values.force), runsDir: runsDirFlag(values) };
}

const STRING = { type: "string" } as const;
const BOOLEAN = { type: "boolean" } as const;

const SLURM_OPTIONS = {
  time: STRING,
  partition: STRING,
  "cpus-per-task": STRING,
  "gpus-per-task": STRING,
  mem: STRING,
  "signal-seconds": STRING,
  "max-parallel": STRING,
  "job-name": STRING,
  "log-dir": STRING,
  setup: STRING,
  script: STRING,
  submit: BOOLEAN,
} as const;

const SWEEP_OPTIONS = {
  optimizers: STRING,
  partials: STRING,
  seeds: STRING,
  plan: STRING,
  backend: STRING,
  threads: STRING,
  index: STRING,
  shard: STRING,
  slurm: BOOLEAN,
  status: STRING,
  "resubmit-failed": BOOLEAN,
  ...SLURM_OPTIONS,
} as const;

/** The grid options (they make the configs); a plan fixes them. */
const GRID_FLAGS = [
  "preset",
  "optimizers",
  "partials",
  "seeds",
  "lr",
  "epochs",
  "train-limit",
  "batch-size",
  "gradient-stats",
];
const SLURM_FLAGS = ["slurm", ...Object.keys(SLURM_OPTIONS)];

/** What a sweep command line does, and the options each of these accepts. */
const SWEEP_MODES = {
  grid: { what: "without --plan", flags: [...GRID_FLAGS, "runs-dir", "force"] },
  write: {
    what: "when writing a plan (--preset with --plan)",
    flags: [...GRID_FLAGS, "plan", "backend", "threads", "runs-dir", ...SLURM_FLAGS],
  },
  work: { what: "to --index/--shard (the plan fixes the grid)", flags: ["plan", "index", "shard", "runs-dir"] },
  slurm: { what: "to --slurm on an existing plan", flags: ["plan", "runs-dir", ...SLURM_FLAGS] },
  status: { what: "to --status", flags: ["status", "runs-dir", "resubmit-failed"] },
} as const;
export type SweepMode = keyof typeof SWEEP_MODES;

/** What `--slurm` asks for: the script's options (defaults needing the plan filled in later), where to write it, and whether to submit. */
export interface SlurmArgs {
  options: Partial<SlurmOptions> & { time: string };
  script?: string;
  submit: boolean;
}

/** The plan part of a sweep command line. */
export interface PlanArgs {
  mode: Exclude<SweepMode, "grid">;
  path: string;
  backend?: string;
  threads?: number;
  pick?: { index: number } | { shard: number; of: number };
  slurm?: SlurmArgs;
  resubmitFailed?: boolean;
}

function sweepMode(values: Values): SweepMode {
  if (values.status !== undefined) return "status";
  if (values.plan === undefined) return "grid";
  if (values.preset !== undefined) return "write";
  if (values.index !== undefined || values.shard !== undefined) return "work";
  if (values.slurm) return "slurm";
  throw new UsageError(
    "--plan <file> needs --preset and grid options (write a plan), --index <i> or --shard <i/n> (run entries), or --slurm (a batch script)",
  );
}

/** Refuses every given option that `mode` does not take, naming the first. */
function refuseOthers(values: Values, mode: SweepMode): void {
  const { what, flags } = SWEEP_MODES[mode];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || (flags as readonly string[]).includes(name)) continue;
    const needs =
      name === "resubmit-failed"
        ? "--status"
        : SLURM_FLAGS.includes(name)
          ? "--slurm"
          : ["index", "shard", "backend", "threads"].includes(name)
            ? "--plan"
            : undefined;
    const missing =
      needs &&
      (mode === "grid" || mode === "write") &&
      !(needs === "--slurm" ? values.slurm : needs === "--status" ? values.status : values.plan);
    throw new UsageError(missing ? `--${name} needs ${needs}` : `--${name} does not apply ${what}`);
  }
  const slurmOnly = Object.keys(SLURM_OPTIONS).find((name) => values[name] !== undefined);
  if (slurmOnly && !values.slurm) throw new UsageError(`--${slurmOnly} needs --slurm`);
  if (values.index !== undefined && values.shard !== undefined)
    throw new UsageError("--index and --shard exclude each other: give one");
  if (values.submit && !values.slurm) throw new UsageError("--submit needs --slurm (the script it submits)");
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === "") throw new UsageError(`--${flag} is empty; give a value`);
  return value;
}

function shardOf(value: string): { shard: number; of: number } {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(value);
  const [shard, of] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || of < 1 || shard >= of)
    throw new UsageError(`--shard ${value} is invalid; allowed: i/n with integers n >= 1 and 0 <= i < n (e.g. 0/4)`);
  return { shard, of };
}

function slurmArgs(values: Values): SlurmArgs | undefined {
  if (!values.slurm) return undefined;
  const str = (flag: string) => nonEmpty(flag, values[flag] as string | undefined);
  const time = str("time");
  if (time === undefined)
    throw new UsageError(
      "--slurm needs --time <limit> (per task, e.g. 12:00:00): the worker stops and requeues itself before it",
    );
  const options: SlurmArgs["options"] = { time };
  const ints: [keyof SlurmOptions, string][] = [
    ["cpusPerTask", "cpus-per-task"],
    ["gpusPerTask", "gpus-per-task"],
    ["signalSeconds", "signal-seconds"],
    ["maxParallel", "max-parallel"],
  ];
  for (const [key, flag] of ints) {
    const v = int(flag, values[flag] as string | undefined, 1);
    if (v !== undefined) (options as Record<string, unknown>)[key] = v;
  }
  const strings: [keyof SlurmOptions, string][] = [
    ["partition", "partition"],
    ["mem", "mem"],
    ["jobName", "job-name"],
    ["logDir", "log-dir"],
    ["setup", "setup"],
  ];
  for (const [key, flag] of strings) {
    const v = str(flag);
    if (v !== undefined) (options as Record<string, unknown>)[key] = v;
  }
  return { options, script: str("script"), submit: Boolean(values.submit) };
}

function planArgs(values: Values, mode: Exclude<SweepMode, "grid">): PlanArgs {
  const path = nonEmpty(
    mode === "status" ? "status" : "plan",
    (mode === "status" ? values.status : values.plan) as string,
  )!;
  const args: PlanArgs = { mode, path };
  if (values.backend !== undefined) args.backend = values.backend as string;
  const threads = int("threads", values.threads as string | undefined, 1, 8);
  if (threads !== undefined) args.threads = threads;
  if (values.index !== undefined) args.pick = { index: int("index", values.index as string, 0)! };
  if (values.shard !== undefined) args.pick = shardOf(values.shard as string);
  const slurm = slurmArgs(values);
  if (slurm) args.slurm = slurm;
  if (values["resubmit-failed"]) args.resubmitFailed = true;
  return args;
}

function gridConfigs(values: Values): ExperimentConfig[] {
  const preset = requirePreset(values.preset as string | undefined, SWEEP_HELP);
  const optimizers = list("optimizers", values.optimizers as string | undefined, optimizerName) ?? PAPER_OPTIMIZERS;
  const partials = list("partials", values.partials as string | undefined, (s) =>
    num("partials", s, (v) => v >= 0 && v <= 0.5, "0 <= p <= 0.5")!,
  );
  const seeds = list("seeds", values.seeds as string | undefined, (s) => seedValue("seeds", s)) ?? [0];
  const configs: ExperimentConfig[] = [];
  for (const seed of seeds) {
    for (const optimizer of optimizers) {
      const ps = optimizer === "padam" && partials ? partials : [undefined];
      for (const p of ps) configs.push(buildConfig(preset, optimizer, values, seed, p));
    }
  }
  return configs;
}

/**
 * Parses `npm run sweep` arguments (throws UsageError): the grid of configs (sequential sweep,
 * or a plan to write) and, with --plan or --status, what to do with the plan.
 */
export function parseSweepArgs(argv: string[]): {
  configs?: ExperimentConfig[];
  help?: string;
  force: boolean;
  runsDir?: string;
  plan?: PlanArgs;
} {
  const { values } = parse(argv, SWEEP_OPTIONS);
  if (values.help) return { help: SWEEP_HELP, force: false };
  const mode = sweepMode(values);
  refuseOthers(values, mode);
  const configs = mode === "grid" || mode === "write" ? gridConfigs(values) : undefined;
  const plan = mode === "grid" ? undefined : planArgs(values, mode);
  return { configs, force: Boolean(values.force), runsDir: runsDirFlag(values), ...(plan ? { plan } : {}) };
}

/** What a command line asks for: the configs to run and the options of every run. */
interface Command {
  configs: ExperimentConfig[];
  options: RunOptions;
}

/** A plan command: what the plan part of the command line asks for, with the grid when writing a plan. */
interface PlanCommand {
  plan: PlanArgs;
  configs?: ExperimentConfig[];
  runsDir?: string;
}

/** Parses and checks a command line (throws UsageError or RunsDirError); a string is the help text. */
function commandFrom(kind: "train" | "sweep", argv: string[]): Command | PlanCommand | string {
  if (kind === "train") {
    const { help, config, resume, force, runsDir } = parseTrainArgs(argv);
    return help ?? { configs: [config!], options: { runsDir: checkedRunsDir(runsDir), resume, force } };
  }
  const { help, configs, force, runsDir, plan } = parseSweepArgs(argv);
  if (help) return help;
  if (plan) return { plan, configs, runsDir };
  // A sweep always resumes what it finds unfinished.
  return { configs: configs!, options: { runsDir: checkedRunsDir(runsDir), resume: true, force } };
}

/** Runs a plan command; bad plans and options are usage errors (nothing was trained). */
async function runPlanCommand(argv: string[], { plan, configs, runsDir }: PlanCommand, io: CliIo): Promise<number> {
  const sweepIo: SweepIo = { ...io, runsDir: checkedRunsDir };
  switch (plan.mode) {
    case "write":
      return writePlanCommand(configs!, plan, runsDir, sweepIo);
    case "work":
      return workCommand(argv, plan, runsDir, sweepIo);
    case "slurm":
      return slurmCommand(plan, runsDir, sweepIo);
    case "status":
      return statusCommand(plan, runsDir, sweepIo);
  }
}

function checkedRunsDir(flag: string | undefined): string {
  try {
    return assertRunsDir(resolveRunsDir(flag));
  } catch (e) {
    if (!(e instanceof RunsDirError)) throw e;
    const from =
      flag !== undefined
        ? "--runs-dir"
        : process.env.PADAM_RUNS !== undefined
          ? "$PADAM_RUNS"
          : "the default runs directory";
    throw new RunsDirError(`${e.message} (from ${from})`);
  }
}

/** Where the commands write: results to `out`, messages to `err` (tests pass collectors). */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const STD_IO: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

function reportRun(r: RunResult, io: CliIo): void {
  if (r.skipped) io.err(`run ${r.runId}: already ${r.status}, skipped (--force trains it again)\n`);
  if (r.status === "diverged") io.err(`run ${r.runId} diverged: ${r.reason ?? "no reason recorded"}\n`);
}

function summary(results: RunResult[], io: CliIo): void {
  for (const r of results) {
    const last = [...r.metrics].reverse().find((m) => m.split !== "train");
    const score = last
      ? last.ppl !== undefined
        ? `${last.split} ppl ${last.ppl.toFixed(2)}`
        : `${last.split} acc ${(100 * (last.acc ?? 0)).toFixed(2)}%`
      : "no metrics";
    io.out(`${r.status.padEnd(8)} ${score.padEnd(22)} ${r.dir}\n`);
  }
  const diverged = results.filter((r) => r.status === "diverged").length;
  if (diverged > 0) io.err(`${diverged} of ${results.length} run(s) diverged (exit code ${EXIT.diverged})\n`);
}

/** Runs `npm run train` / `npm run sweep` with `argv`; resolves to the exit code (`EXIT`). */
export async function runCli(kind: "train" | "sweep", argv: string[], io: CliIo = STD_IO): Promise<number> {
  let command: Command | PlanCommand | string;
  try {
    command = commandFrom(kind, argv);
    if (typeof command === "object" && "plan" in command) return await runPlanCommand(argv, command, io);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof RunsDirError || e instanceof PlanError)) throw e;
    io.err(`error: ${e.message}\n(see --help)\n`);
    return EXIT.usage;
  }
  if (typeof command === "string") {
    io.out(command);
    return EXIT.ok;
  }
  const { configs, options } = command;
  const results: RunResult[] = [];
  for (const [i, config] of configs.entries()) {
    if (configs.length > 1) io.err(`[${i + 1}/${configs.length}] `);
    try {
      results.push(await runExperiment(config, options));
    } catch (e) {
      io.err(`error: ${(e as Error).message}\n`);
      return EXIT.error;
    }
    reportRun(results[results.length - 1], io);
  }
  summary(results, io);
  return results.some((r) => r.status === "diverged") ? EXIT.diverged : EXIT.ok;
}

export function cliMain(kind: "train" | "sweep"): void {
  runCli(kind, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
      process.exit(EXIT.error);
    },
  );
}
