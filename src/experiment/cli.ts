/**
 * Command-line front ends: `npm run train` (one run) and `npm run sweep` (a grid over
 * optimizers, Padam's p and seeds). Arguments are parsed and every resulting config validated
 * before any run starts or any file is written; bad input exits with code 2.
 */
import { parseArgs } from "node:util";
import { OPTIMIZER_NAMES, isOptimizerName, type OptimizerName } from "../optim/registry";
import { validateConfig, type ExperimentConfig } from "./config";
import { PRESETS, PRESET_NAMES, presetConfig } from "./presets";
import { runExperiment, type RunResult } from "./runner";

/** The paper's seven optimizers, in its table order. */
export const PAPER_OPTIMIZERS: OptimizerName[] = ["sgd", "adam", "amsgrad", "adamw", "yogi", "adabound", "padam"];

export class UsageError extends Error {}

const COMMON = {
  preset: { type: "string" },
  lr: { type: "string" },
  epochs: { type: "string" },
  "runs-dir": { type: "string" },
  "train-limit": { type: "string" },
  "batch-size": { type: "string" },
  "gradient-stats": { type: "boolean" },
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
  --seed <s>             random seed (default 0)
  --train-limit <n>      use n training examples (0 = all)
  --batch-size <n>       training batch size
  --gradient-stats       record the gradient statistics of the convergence bound
  --runs-dir <dir>       where runs are written (default $PADAM_RUNS or data/runs)
  --resume               continue an unfinished run from its last checkpoint
  -h, --help             this text

Presets:
${presetTable()}
`;

export const SWEEP_HELP = `Usage: npm run sweep -- --preset <name> [options]

Runs a grid of configurations one after another. Finished runs are skipped, interrupted ones resumed,
diverged ones recorded and skipped.

Options:
  --preset <name>        experiment preset (below)                       required
  --optimizers <list>    comma-separated (default the paper's seven: ${PAPER_OPTIMIZERS.join(",")})
  --partials <list>      Padam p values, e.g. 0.25,0.125,0.0625 (default the preset's)
  --seeds <list>         e.g. 0,1,2 (default 0)
  --lr <x>, --epochs <n>, --train-limit <n>, --batch-size <n>, --gradient-stats, --runs-dir <dir>  as for train
  -h, --help             this text

Presets:
${presetTable()}
`;

function num(flag: string, value: string | undefined, check: (v: number) => boolean, allowed: string): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === "" || !Number.isFinite(v) || !check(v)) throw new UsageError(`--${flag} ${value} is invalid; allowed: ${allowed}`);
  return v;
}

function list<T>(flag: string, value: string | undefined, parse: (s: string) => T): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new UsageError(`--${flag} is empty; give a comma-separated list`);
  return items.map(parse);
}

const isInt = (v: number) => Number.isInteger(v) && v >= 0;
const isPosInt = (v: number) => Number.isInteger(v) && v > 0;

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], extra: Record<string, { type: "string" | "boolean" }>): { values: Values } {
  try {
    const { values } = parseArgs({ args: argv, options: { ...COMMON, ...extra }, strict: true, allowPositionals: false });
    return { values: values as Values };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^Unknown option/, "unknown option"));
  }
}

function overridesFrom(values: Values): Partial<ExperimentConfig> {
  const o: Partial<ExperimentConfig> = {};
  const epochs = num("epochs", values.epochs as string | undefined, isPosInt, "an integer >= 1");
  if (epochs !== undefined) o.epochs = epochs;
  const limit = num("train-limit", values["train-limit"] as string | undefined, isInt, "an integer >= 0 (0 = all)");
  if (limit !== undefined) o.trainLimit = limit;
  const batch = num("batch-size", values["batch-size"] as string | undefined, isPosInt, "an integer >= 1");
  if (batch !== undefined) o.batchSize = batch;
  if (values["gradient-stats"]) o.gradientStats = true;
  return o;
}

function requirePreset(value: string | undefined, help: string): string {
  if (value === undefined) throw new UsageError(`--preset is required\n\n${help}`);
  if (!(value in PRESETS)) throw new UsageError(`--preset ${value} is unknown; known presets: ${PRESET_NAMES.join(", ")}`);
  return value;
}

function optimizerName(value: string): OptimizerName {
  if (!isOptimizerName(value)) throw new UsageError(`optimizer ${JSON.stringify(value)} is unknown; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`);
  return value;
}

function buildConfig(preset: string, optimizer: OptimizerName, values: Values, seed: number, partial?: number): ExperimentConfig {
  const options: Record<string, unknown> = {};
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
export function parseTrainArgs(argv: string[]): { config?: ExperimentConfig; help?: string; resume: boolean; runsDir?: string } {
  const { values } = parse(argv, { optimizer: { type: "string" }, partial: { type: "string" }, seed: { type: "string" }, resume: { type: "boolean" } });
  if (values.help) return { help: TRAIN_HELP, resume: false };
  const preset = requirePreset(values.preset as string | undefined, TRAIN_HELP);
  if (values.optimizer === undefined) throw new UsageError(`--optimizer is required; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`);
  const optimizer = optimizerName(values.optimizer as string);
  const seed = num("seed", values.seed as string | undefined, isInt, "an integer >= 0") ?? 0;
  const partial = num("partial", values.partial as string | undefined, (v) => v >= 0 && v <= 0.5, "0 <= p <= 0.5");
  const config = buildConfig(preset, optimizer, values, seed, partial);
  return { config, resume: Boolean(values.resume), runsDir: values["runs-dir"] as string | undefined };
}

/** Parses `npm run sweep` arguments into the grid of configs (throws UsageError). */
export function parseSweepArgs(argv: string[]): { configs?: ExperimentConfig[]; help?: string; runsDir?: string } {
  const { values } = parse(argv, { optimizers: { type: "string" }, partials: { type: "string" }, seeds: { type: "string" } });
  if (values.help) return { help: SWEEP_HELP };
  const preset = requirePreset(values.preset as string | undefined, SWEEP_HELP);
  const optimizers = list("optimizers", values.optimizers as string | undefined, optimizerName) ?? PAPER_OPTIMIZERS;
  const partials = list("partials", values.partials as string | undefined, (s) => num("partials", s, (v) => v >= 0 && v <= 0.5, "0 <= p <= 0.5")!);
  const seeds = list("seeds", values.seeds as string | undefined, (s) => num("seeds", s, isInt, "integers >= 0")!) ?? [0];
  const configs: ExperimentConfig[] = [];
  for (const seed of seeds) {
    for (const optimizer of optimizers) {
      const ps = optimizer === "padam" && partials ? partials : [undefined];
      for (const p of ps) configs.push(buildConfig(preset, optimizer, values, seed, p));
    }
  }
  return { configs, runsDir: values["runs-dir"] as string | undefined };
}

async function main(kind: "train" | "sweep", argv: string[]): Promise<number> {
  let configs: ExperimentConfig[];
  let runsDir: string | undefined;
  let resume = true;
  try {
    if (kind === "train") {
      const parsed = parseTrainArgs(argv);
      if (parsed.help) {
        process.stdout.write(parsed.help);
        return 0;
      }
      configs = [parsed.config!];
      runsDir = parsed.runsDir;
      resume = parsed.resume;
    } else {
      const parsed = parseSweepArgs(argv);
      if (parsed.help) {
        process.stdout.write(parsed.help);
        return 0;
      }
      configs = parsed.configs!;
      runsDir = parsed.runsDir;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n(see --help)\n`);
      return 2;
    }
    throw e;
  }
  const results: RunResult[] = [];
  for (const [i, config] of configs.entries()) {
    if (configs.length > 1) process.stderr.write(`[${i + 1}/${configs.length}] `);
    try {
      const r = await runExperiment(config, { runsDir, resume });
      if (r.skipped) process.stderr.write(`run ${r.runId}: already ${r.status}, skipped\n`);
      results.push(r);
    } catch (e) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      return kind === "train" ? 1 : 1;
    }
  }
  for (const r of results) {
    const last = [...r.metrics].reverse().find((m) => m.split !== "train");
    const score = last ? (last.ppl !== undefined ? `${last.split} ppl ${last.ppl.toFixed(2)}` : `${last.split} acc ${(100 * (last.acc ?? 0)).toFixed(2)}%`) : "no metrics";
    process.stdout.write(`${r.status.padEnd(8)} ${score.padEnd(22)} ${r.dir}\n`);
  }
  return 0;
}

export function cliMain(kind: "train" | "sweep"): void {
  main(kind, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
