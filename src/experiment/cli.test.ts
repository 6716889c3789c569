import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseSweepArgs, parseTrainArgs, PAPER_OPTIMIZERS, UsageError } from "./cli";
import { runId } from "./store";
import { validateConfig } from "./config";
import { presetConfig, PRESETS, PRESET_NAMES, adamwDecay } from "./presets";

const REPO = resolve(__dirname, "../..");

describe("train/sweep argument parsing", () => {
  test("a full train command becomes the preset's config with the overrides", () => {
    const { config, resume, runsDir } = parseTrainArgs(["--preset", "fmnist-cnn", "--optimizer", "padam", "--partial", "0.25", "--lr", "0.05", "--epochs", "3", "--seed", "7", "--runs-dir", "/tmp/x", "--resume"]);
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
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--partial", "0.7"], /--partial 0.7 is invalid; allowed: 0 <= p <= 0.5/],
    [["--preset", "fmnist-cnn", "--optimizer", "adam", "--partial", "0.25"], /--partial applies to padam only, not adam/],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--epochs", "0"], /--epochs 0 is invalid; allowed: an integer >= 1/],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--lr", "fast"], /--lr fast is invalid; allowed: a number >= 0/],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--seed=-1"], /--seed -1 is invalid; allowed: an integer >= 0/],
    [["--preset", "fmnist-cnn", "--optimizer", "padam", "--bogus"], /unknown option '--bogus'/],
  ];
  for (const [argv, message] of BAD) {
    test(`refuses ${argv.join(" ")}`, () => {
      assert.throws(() => parseTrainArgs(argv), (e: Error) => e instanceof UsageError && message.test(e.message));
    });
  }

  test("a sweep expands optimizers x partials x seeds, p only for Padam", () => {
    const { configs } = parseSweepArgs(["--preset", "fmnist-cnn-smoke", "--optimizers", "padam,sgd", "--partials", "0.25,0.125", "--seeds", "0,1"]);
    assert.equal(configs!.length, 2 * (2 + 1));
    assert.deepEqual(configs!.filter((c) => c.optimizer === "padam").map((c) => [c.seed, c.optimizerOptions.partial]), [[0, 0.25], [0, 0.125], [1, 0.25], [1, 0.125]]);
    assert.equal(new Set(configs!.map(runId)).size, configs!.length, "distinct run ids");
    const all = parseSweepArgs(["--preset", "fmnist-cnn-smoke"]).configs!;
    assert.deepEqual(all.map((c) => c.optimizer), PAPER_OPTIMIZERS);
  });

  test("the CLI exits 2 on bad input and writes nothing", () => {
    const runsDir = mkdtempSync(join(tmpdir(), "padam-cli-"));
    const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts/train.ts"), "--preset", "fmnist-cnn", "--optimizer", "padam", "--partial", "2", "--runs-dir", runsDir], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /error: --partial 2 is invalid; allowed: 0 <= p <= 0.5/);
    assert.deepEqual(readdirSync(runsDir), []);
    const help = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts/train.ts"), "--help"], { cwd: REPO, encoding: "utf8" });
    assert.equal(help.status, 0);
    for (const name of PRESET_NAMES) assert.ok(help.stdout.includes(name), `--help lists ${name}`);
    assert.ok(!existsSync(join(runsDir, "x")));
  });
});

describe("presets", () => {
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
    assert.deepEqual(c.optimizerOptions, { learningRate: 0.1, partial: 0.125, beta1: 0.9, beta2: 0.999, weightDecay: 5e-4 });
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
    assert.throws(() => validateConfig({ ...base, epochs: 1.5 }), { message: "config: epochs = 1.5 is invalid; allowed: an integer >= 1" });
    assert.throws(() => validateConfig({ ...base, dataset: "mnist" as never }), { message: 'config: dataset = "mnist" is unknown; known datasets: fashion-mnist, cifar10, image-folder, ptb' });
    assert.throws(() => validateConfig({ ...base, model: "lstm-lm" }), /does not fit dataset "fashion-mnist"/);
    assert.throws(() => validateConfig({ ...base, lr: 1 } as never), /config: unknown field "lr"/);
    assert.throws(() => validateConfig({ ...base, schedule: { milestones: [3, 2], gamma: 0.1 } }), /strictly increasing/);
  });
});
