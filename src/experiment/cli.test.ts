import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  EXIT,
  parseSweepArgs,
  parseTrainArgs,
  PAPER_OPTIMIZERS,
  runCli,
  SWEEP_HELP,
  TRAIN_HELP,
  UsageError,
} from "./cli";
import { runId } from "./store";
import { validateConfig, type ExperimentConfig, type ExperimentDataset } from "./config";
import { isPresetName, presetConfig, PRESETS, PRESET_NAMES, adamwDecay } from "./presets";

const REPO = resolve(__dirname, "../..");

describe("train/sweep argument parsing", () => {
  test("a full train command becomes the preset's config with the overrides", () => {
    const { config, resume, runsDir } = parseTrainArgs([
      "--preset",
      "fmnist-cnn",
      "--optimizer",
      "padam",
      "--partial",
      "0.25",
      "--lr",
      "0.05",
      "--epochs",
      "3",
      "--seed",
      "7",
      "--runs-dir",
      "/tmp/x",
      "--resume",
    ]);
    assert.equal(config!.model, "fmnist-cnn");
    assert.equal(config!.optimizer, "padam");
    assert.equal(config!.optimizerOptions.partial, 0.25);
    assert.equal(config!.optimizerOptions.learningRate, 0.05);
    assert.equal(config!.optimizerOptions.weightDecay, 5e-4, "the family's setting is kept");
    assert.equal(config!.epochs, 3);
    assert.equal(config!.seed, 7);
    assert.equal(resume, true);
    assert.equal(runsDir, "/tmp/x");
  });

  const BAD: [string[], RegExp][] = [
    [["--optimizer", "padam"], /--preset is required/],
    [["--preset", "nope", "--optimizer", "padam"], /--preset nope is unknown; known presets: cifar10-vgg16/],
    [["--preset", "fmnist-cnn"], /--optimizer is required; known optimizers: padam, sgd/],
    [["--preset", "fmnist-cnn", "--optimizer", "rmsprop"], /optimizer "rmsprop" is unknown; known optimizers: padam/],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--partial", "0.7"],
      /--partial 0.7 is invalid; allowed: 0 <= p <= 0.5/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "adam", "--partial", "0.25"],
      /--partial applies to padam only, not adam/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--epochs", "0"],
      /--epochs 0 is invalid; allowed: an integer >= 1/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--lr", "fast"],
      /--lr fast is invalid; allowed: a number >= 0/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--seed=-1"],
      /^--seed -1 is invalid; allowed: an integer 0 \.\.\. 2147483647$/,
    ],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--bogus"], /unknown option '--bogus'/],
    // Names of Object's own properties are not presets.
    [
      ["--preset", "__proto__", "--optimizer", "padam"],
      /^--preset __proto__ is unknown; known presets: cifar10-vgg16, /,
    ],
    [["--preset", "toString", "--optimizer", "padam"], /^--preset toString is unknown; known presets: cifar10-vgg16, /],
    [["--preset", "constructor", "--optimizer", "padam"], /^--preset constructor is unknown/],
    [["--preset", "hasOwnProperty", "--optimizer", "padam"], /^--preset hasOwnProperty is unknown/],
    // Seeds: the models take 0 ... 2^31 - 1; 2^53 + 1 would round to 2^53 (a second seed, same run).
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--seed", "2147483648"],
      /^--seed 2147483648 is invalid; allowed: an integer 0 \.\.\. 2147483647$/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--seed", "9007199254740993"],
      /^--seed 9007199254740993 is invalid; allowed: an integer 0 \.\.\. 2147483647$/,
    ],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--seed", "1.5"], /^--seed 1\.5 is invalid/],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--seed", "1e3"], /^--seed 1e3 is invalid/],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--epochs", "0x2"],
      /^--epochs 0x2 is invalid; allowed: an integer >= 1$/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--train-limit=-5"],
      /^--train-limit -5 is invalid; allowed: an integer >= 0 \(0 = all\)$/,
    ],
    // Repeated options are refused, not resolved to the last one.
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--lr", "0.1", "--lr", "0.2"],
      /^--lr is given twice \(0\.1 and 0\.2\); give it once$/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--optimizer=adam"],
      /^--optimizer is given twice \(padam and adam\); give it once$/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--resume", "--resume"],
      /^--resume is given twice; give it once$/,
    ],
    [
      ["--preset", "fmnist-cnn", "--optimizer", "padam", "--resume", "--force"],
      /^--resume and --force exclude each other/,
    ],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--runs-dir="], /^--runs-dir is empty; give a directory$/],
  ];
  for (const [argv, message] of BAD) {
    test(`refuses ${argv.join(" ")}`, () => {
      assert.throws(
        () => parseTrainArgs(argv),
        (e: Error) => e instanceof UsageError && message.test(e.message),
      );
    });
  }

  test("the largest seed is accepted; --force is parsed for train and sweep", () => {
    const { config, force, resume } = parseTrainArgs([
      "--preset",
      "fmnist-cnn-smoke",
      "--optimizer",
      "sgd",
      "--seed",
      "2147483647",
      "--force",
    ]);
    assert.equal(config!.seed, 2 ** 31 - 1);
    assert.deepEqual([force, resume], [true, false]);
    assert.equal(parseSweepArgs(["--preset", "fmnist-cnn-smoke", "--force"]).force, true);
  });

  const BAD_SWEEP: [string[], RegExp][] = [
    [["--preset", "toString"], /^--preset toString is unknown/],
    [
      ["--preset", "fmnist-cnn-smoke", "--seeds", "1,01"],
      /^--seeds lists the same value twice \(1 and 01\); give each value once$/,
    ],
    [
      ["--preset", "fmnist-cnn-smoke", "--seeds", "0,4294967296"],
      /^--seeds 4294967296 is invalid; allowed: an integer 0 \.\.\. 2147483647$/,
    ],
    [
      ["--preset", "fmnist-cnn-smoke", "--partials", "0.25,0.250"],
      /^--partials lists the same value twice \(0\.25 and 0\.250\)/,
    ],
    [
      ["--preset", "fmnist-cnn-smoke", "--optimizers", "padam,sgd,padam"],
      /^--optimizers lists the same value twice \(padam and padam\)/,
    ],
    [
      ["--preset", "fmnist-cnn-smoke", "--seeds", "0", "--seeds", "1"],
      /^--seeds is given twice \(0 and 1\); give it once$/,
    ],
  ];
  for (const [argv, message] of BAD_SWEEP) {
    test(`sweep refuses ${argv.join(" ")}`, () => {
      assert.throws(
        () => parseSweepArgs(argv),
        (e: Error) => e instanceof UsageError && message.test(e.message),
      );
    });
  }

  test("--help spells out --force and the exit codes", () => {
    for (const help of [TRAIN_HELP, SWEEP_HELP]) {
      assert.match(help, /--force {16}train (every run of the grid )?from scratch, deleting/);
      assert.match(
        help,
        /Exit codes:\n {2}0 {2}every run finished[^]*\n {2}2 {2}bad options or an unusable runs directory[^]*\n {2}3 {2}a run diverged/,
      );
    }
  });

  test("a sweep expands optimizers x partials x seeds, p only for Padam", () => {
    const { configs } = parseSweepArgs([
      "--preset",
      "fmnist-cnn-smoke",
      "--optimizers",
      "padam,sgd",
      "--partials",
      "0.25,0.125",
      "--seeds",
      "0,1",
    ]);
    assert.equal(configs!.length, 2 * (2 + 1));
    assert.deepEqual(
      configs!.filter((c) => c.optimizer === "padam").map((c) => [c.seed, c.optimizerOptions.partial]),
      [
        [0, 0.25],
        [0, 0.125],
        [1, 0.25],
        [1, 0.125],
      ],
    );
    assert.equal(new Set(configs!.map((c) => runId(c, "cpu"))).size, configs!.length, "distinct run ids");
    const all = parseSweepArgs(["--preset", "fmnist-cnn-smoke"]).configs!;
    assert.deepEqual(
      all.map((c) => c.optimizer),
      PAPER_OPTIMIZERS,
    );
  });

  test("the CLI exits 2 on bad input and writes nothing", () => {
    const runsDir = mkdtempSync(join(tmpdir(), "padam-cli-"));
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO, "scripts/train.ts"),
        "--preset",
        "fmnist-cnn",
        "--optimizer",
        "padam",
        "--partial",
        "2",
        "--runs-dir",
        runsDir,
      ],
      { cwd: REPO, encoding: "utf8" },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /error: --partial 2 is invalid; allowed: 0 <= p <= 0.5/);
    assert.deepEqual(readdirSync(runsDir), []);
    const help = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts/train.ts"), "--help"], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(help.status, 0);
    for (const name of PRESET_NAMES) assert.ok(help.stdout.includes(name), `--help lists ${name}`);
    assert.ok(!existsSync(join(runsDir, "x")));
  });

  /** Runs scripts/<script>.ts in a child process (with a time limit: some failures used to hang). */
  function cli(script: "train" | "sweep", args: string[]) {
    return spawnSync(process.execPath, ["--import", "tsx", join(REPO, `scripts/${script}.ts`), ...args], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 60_000,
    });
  }

  test("prototype names as presets exit 2 with the list of presets, not a stack trace", () => {
    const r = cli("sweep", ["--preset", "__proto__"]);
    assert.equal(r.status, EXIT.usage, r.stderr);
    assert.equal(
      r.stderr,
      `error: --preset __proto__ is unknown; known presets: ${PRESET_NAMES.join(", ")}\n(see --help)\n`,
    );
  });

  test(
    "a runs directory inside /proc exits 2 at once, naming the path and the reason",
    { skip: existsSync("/proc/self") ? false : "no /proc on this platform" },
    () => {
      const started = Date.now();
      const r = cli("train", ["--preset", "fmnist-cnn-smoke", "--optimizer", "sgd", "--runs-dir", "/proc/x"]);
      assert.equal(r.error, undefined, "answers before the time limit");
      assert.equal(r.status, EXIT.usage, r.stderr);
      assert.equal(
        r.stderr,
        "error: runs directory /proc/x cannot be created: mkdir /proc/x failed with ENOENT (no such file or directory) (from --runs-dir)\n(see --help)\n",
      );
      assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
    },
  );
});

/** Calls runCli in this process; returns the exit code and what the command wrote. */
async function runCaptured(
  kind: "train" | "sweep",
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const code = await runCli(kind, argv, { out: (t) => (out.stdout += t), err: (t) => (out.stderr += t) });
  return { code, ...out };
}

describe("train/sweep outcomes", () => {
  test("a regular file as --runs-dir exits 2 before any data is loaded", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "padam-cli-")), "runs");
    writeFileSync(file, "");
    const { code, stderr } = await runCaptured("train", [
      "--preset",
      "fmnist-cnn-smoke",
      "--optimizer",
      "sgd",
      "--runs-dir",
      file,
    ]);
    assert.equal(code, EXIT.usage);
    assert.equal(stderr, `error: runs directory ${file} is not a directory (from --runs-dir)\n(see --help)\n`);
  });

  test("a diverged run exits 3 and says why, also when found diverged; --force trains it again", async () => {
    const runsDir = mkdtempSync(join(tmpdir(), "padam-cli-"));
    // SGD at lr 1e12 overflows within the first batches of the first epoch.
    const argv = [
      "--preset",
      "fmnist-cnn-smoke",
      "--optimizer",
      "sgd",
      "--lr",
      "1e12",
      "--epochs",
      "1",
      "--train-limit",
      "128",
      "--runs-dir",
      runsDir,
    ];
    const first = await runCaptured("train", argv);
    assert.equal(first.code, EXIT.diverged, first.stderr);
    assert.match(first.stderr, /run \S+ diverged: non-finite training loss \((NaN|Infinity)\) at epoch 1, batch \d+\n/);
    assert.match(first.stderr, /1 of 1 run\(s\) diverged \(exit code 3\)/);
    assert.match(first.stdout, /^diverged no metrics +\S+\n/m);
    const again = await runCaptured("train", argv);
    assert.equal(again.code, EXIT.diverged);
    assert.match(
      again.stderr,
      /already diverged, skipped \(--force trains it again\)\n.*diverged: non-finite training loss/,
    );
    const forced = await runCaptured("train", [...argv, "--force"]);
    assert.equal(forced.code, EXIT.diverged);
    assert.doesNotMatch(forced.stderr, /skipped/, "trained again, not reused");
    assert.match(forced.stderr, /diverged: non-finite training loss/);
  });
});

describe("presets", () => {
  test("names of Object's own properties are not presets", () => {
    for (const name of ["__proto__", "toString", "constructor", "valueOf"]) {
      assert.equal(isPresetName(name), false, name);
      assert.equal(PRESETS[name], undefined, name);
      assert.throws(() => presetConfig(name, "sgd"), {
        message: `unknown preset ${JSON.stringify(name)}; known presets: ${PRESET_NAMES.join(", ")}`,
      });
    }
    assert.equal(isPresetName("fmnist-cnn-smoke"), true);
  });

  test("every preset gives a valid config for every paper optimizer", () => {
    for (const name of PRESET_NAMES) {
      for (const opt of PAPER_OPTIMIZERS) validateConfig(presetConfig(name, opt));
    }
  });

  test("the paper's CIFAR protocol: 200 epochs, x0.1 at 100 and 150, batch 128, Padam p = 1/8 at lr 0.1 with 5e-4 decay", () => {
    const c = presetConfig("cifar10-resnet18", "padam");
    assert.equal(c.epochs, 200);
    assert.deepEqual(c.schedule, { milestones: [100, 150], gamma: 0.1 });
    assert.equal(c.batchSize, 128);
    assert.deepEqual(c.optimizerOptions, {
      learningRate: 0.1,
      partial: 0.125,
      beta1: 0.9,
      beta2: 0.999,
      weightDecay: 5e-4,
    });
    assert.equal(PRESETS["cifar10-resnet18"].scale, "paper");
  });

  test("AdamW's normalized decay 0.025 converts to about 0.0894 for CIFAR (b 128, B 50k, T 200, lr 1e-3)", () => {
    // 0.025·sqrt(128/(50000·200))/1e-3 = 0.025·3.5777e-3/1e-3 = 0.089443
    assert.ok(Math.abs(adamwDecay(0.025, 128, 50000, 200, 1e-3) - 0.089443) < 1e-6);
  });

  test("AdamW's decay follows the run's own batch size, epochs and training subset", () => {
    const base = presetConfig("fmnist-cnn", "adamw");
    assert.equal(base.optimizerOptions.weightDecay, adamwDecay(0.025, 64, 12000, 4, 1e-3));
    const small = presetConfig("fmnist-cnn", "adamw", { epochs: 2, trainLimit: 3000 });
    assert.equal(small.optimizerOptions.weightDecay, adamwDecay(0.025, 64, 3000, 2, 1e-3));
  });

  test("config errors name the field, the value and what is allowed", () => {
    const base = presetConfig("fmnist-cnn-smoke", "padam");
    assert.throws(() => validateConfig({ ...base, epochs: 1.5 }), {
      message: "config: epochs = 1.5 is invalid; allowed: an integer >= 1",
    });
    assert.throws(() => validateConfig({ ...base, dataset: "mnist" as ExperimentDataset }), {
      message: 'config: dataset = "mnist" is unknown; known datasets: fashion-mnist, cifar10, image-folder, ptb',
    });
    assert.throws(() => validateConfig({ ...base, model: "lstm-lm" }), /does not fit dataset "fashion-mnist"/);
    assert.throws(() => validateConfig({ ...base, lr: 1 } as ExperimentConfig), /config: unknown field "lr"/);
    assert.throws(
      () => validateConfig({ ...base, schedule: { milestones: [3, 2], gamma: 0.1 } }),
      /strictly increasing/,
    );
  });
});
