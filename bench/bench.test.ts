import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  compareRows,
  formatRow,
  memoryCheck,
  parseArgs,
  parseRows,
  roundValue,
  SYSTEM_PYTHON,
  timed,
  timedInterleaved,
  torchReferencePath,
  torchUnavailable,
} from "./harness";
import { prepareWorkload, WORKLOAD_NAMES, WorkloadScale } from "./workloads";
import { initBackend } from "../src/backend";

describe("parseArgs", () => {
  test("defaults and every flag", () => {
    const d = parseArgs([], WORKLOAD_NAMES, 2);
    assert.deepEqual(d, {
      json: false,
      compare: false,
      seconds: 3,
      only: [],
      torchThreads: [1, 2],
      rounds: 1,
      memory: false,
      steps: 1000,
      ceiling: false,
      help: false,
    });
    assert.deepEqual(parseArgs([], WORKLOAD_NAMES, 1).torchThreads, [1]);
    const a = parseArgs(
      [
        "--json",
        "--compare",
        "--seconds",
        "0.5",
        "--only",
        "fmnist-cnn,ptb-lstm-small",
        "--backend",
        "cpu",
        "--threads",
        "1,2",
        "--torch-threads",
        "1,4",
        "--rounds",
        "2",
        "--memory",
        "--steps",
        "50",
        "--batch",
        "4",
      ],
      WORKLOAD_NAMES,
      2,
    );
    assert.deepEqual(a, {
      json: true,
      compare: true,
      seconds: 0.5,
      only: ["fmnist-cnn", "ptb-lstm-small"],
      backend: "cpu",
      threads: [1, 2],
      torchThreads: [1, 4],
      rounds: 2,
      memory: true,
      steps: 50,
      batch: 4,
      ceiling: false,
      help: false,
    });
  });
  test("bad input names the flag, the value and what is allowed", () => {
    assert.throws(
      () => parseArgs(["--only", "mnist"], WORKLOAD_NAMES, 2),
      /--only: unknown workload "mnist"; allowed: fmnist-cnn, cifar-resnet20, ptb-lstm-small, cifar-resnet18, optimizer-step/,
    );
    assert.throws(() => parseArgs(["--steps", "0"], WORKLOAD_NAMES, 2), /--steps = "0" must be a positive integer/);
    assert.throws(
      () => parseArgs(["--rounds", "1.5"], WORKLOAD_NAMES, 2),
      /--rounds = "1.5" must be a positive integer/,
    );
    assert.throws(
      () => parseArgs(["--seconds", "-1"], WORKLOAD_NAMES, 2),
      /--seconds = "-1" must be a positive number/,
    );
    assert.throws(
      () => parseArgs(["--backend", "webgl"], WORKLOAD_NAMES, 2),
      /--backend = "webgl"; allowed: tensorflow, wasm, cpu/,
    );
    assert.throws(() => parseArgs(["--torch-threads", "0"], WORKLOAD_NAMES, 2), /--torch-threads = "0"/);
    assert.throws(() => parseArgs(["--seconds"], WORKLOAD_NAMES, 2), /--seconds needs a value/);
    assert.throws(() => parseArgs(["--fast"], WORKLOAD_NAMES, 2), /unknown argument "--fast"/);
    assert.throws(
      () => parseArgs(["--memory", "--batch", "0"], WORKLOAD_NAMES, 2),
      /--batch = "0" must be a positive integer/,
    );
    assert.throws(
      () => parseArgs(["--batch", "8"], WORKLOAD_NAMES, 2),
      /--batch = 8 applies to --memory only: the speed table measures every network at its preset's batch/,
    );
  });
});

describe("timing and rows", () => {
  test("timed: one warm-up step, then at least `seconds` and at least 3 steps", () => {
    let clock = 0;
    let calls = 0;
    const sps = timed(
      () => {
        calls++;
        clock += 0.5;
      },
      1.2,
      () => clock,
    );
    // warm-up + 3 timed steps (1.5 s >= 1.2 s) -> 3 / 1.5
    assert.equal(calls, 4);
    assert.equal(sps, 2);
    clock = 0;
    calls = 0;
    assert.equal(
      timed(
        () => {
          calls++;
          clock += 10;
        },
        1,
        () => clock,
      ),
      3 / 30,
    ); // slow steps: still 3
  });
  test("roundValue keeps 2 decimals, or 3 significant digits below 1", () => {
    assert.equal(roundValue(1234.5678), 1234.57);
    assert.equal(roundValue(0.012345), 0.0123);
    assert.equal(roundValue(2.975), 2.98);
  });
  test("rows print in the reference's key order and parse back, skipping other output", () => {
    const row = { workload: "fmnist-cnn", engine: "tfjs-wasm", threads: 1, unit: "samples/s", value: 12.5 };
    assert.equal(
      formatRow(row),
      '{"workload":"fmnist-cnn","engine":"tfjs-wasm","threads":1,"unit":"samples/s","value":12.5}',
    );
    const torchOut =
      'warning: something\n{"workload": "fmnist-cnn", "engine": "pytorch", "threads": 2, "unit": "samples/s", "value": 50.0}\nnot json {\n';
    assert.deepEqual(parseRows(torchOut), [
      { workload: "fmnist-cnn", engine: "pytorch", threads: 2, unit: "samples/s", value: 50 },
    ]);
  });
  test("compareRows pairs the best thread setting of each side per workload", () => {
    const tfjs = [
      { workload: "a", engine: "tfjs-wasm", threads: 2, unit: "samples/s", value: 24 },
      { workload: "a", engine: "tfjs-wasm", threads: 1, unit: "samples/s", value: 30 },
      { workload: "b", engine: "tfjs-wasm", threads: 1, unit: "steps/s", value: 1 },
    ];
    const torch = [
      { workload: "a", engine: "pytorch", threads: 1, unit: "samples/s", value: 40 },
      { workload: "a", engine: "pytorch", threads: 2, unit: "samples/s", value: 60 },
    ];
    const c = compareRows(tfjs, torch);
    assert.equal(c.length, 1, "workloads without a reference row are not compared");
    assert.deepEqual(c[0], {
      workload: "a",
      unit: "samples/s",
      tfjs: 30,
      tfjsEngine: "tfjs-wasm",
      tfjsThreads: 1,
      pytorch: 60,
      pytorchThreads: 2,
      ratio: 0.5,
    });
  });
  test("timedInterleaved: steps in turns, each at least `seconds` and 3 steps", () => {
    let clock = 0;
    const order: string[] = [];
    const rates = timedInterleaved(
      [
        () => {
          order.push("a");
          clock += 0.125;
        },
        () => {
          order.push("b");
          clock += 0.5;
        },
      ],
      1.5,
      3,
      () => clock,
    );
    // warm-up a, b; then rounds of 0.5 s slices: a runs 4 steps, b 1 step per round, 3 rounds
    assert.deepEqual(order.slice(0, 8), ["a", "b", "a", "a", "a", "a", "b", "a"]);
    assert.equal(order.length, 2 + 3 * 5);
    assert.deepEqual(rates, [8, 2]);
  });
});

describe("memoryCheck", () => {
  const read = (rss: () => number, tensors: () => number) => ({ rss, tensors });
  test("a step that keeps one tensor, or 100 kB of memory, per step fails over 1,000 steps; a clean one passes", () => {
    let tensors = 10;
    let rss = 500 * 2 ** 20;
    const clean = memoryCheck(
      () => undefined,
      1000,
      read(
        () => rss,
        () => tensors,
      ),
    );
    assert.equal(clean.ok, true);
    assert.equal(clean.rssAllowance, 32 * 2 ** 20 + 10 * 2 ** 20);
    const leaky = memoryCheck(
      () => {
        tensors++;
      },
      1000,
      read(
        () => rss,
        () => tensors,
      ),
    );
    assert.equal(leaky.ok, false);
    assert.equal(leaky.tensorsEnd - leaky.tensorsStart, 1000);
    const growing = memoryCheck(
      () => {
        rss += 100 * 1024;
      },
      1000,
      read(
        () => rss,
        () => tensors,
      ),
    );
    // Floors: the first timed step's reading and the first of the last 100: 900 steps apart,
    // +87.9 MB > 32 MB + 2 % of ~502 MB.
    assert.equal(growing.rssEnd - growing.rssStart, 900 * 100 * 1024);
    assert.equal(growing.ok, false);
    assert.equal(growing.rssPeak - growing.rssEnd, 99 * 100 * 1024);
  });
  test("the garbage collector's sawtooth passes; a leak under the same sawtooth fails", () => {
    const base = 300 * 2 ** 20;
    let k = 0;
    // Up to +150 MB between collections every 41 steps, no trend; a single reading after the
    // warm-up (k = 20: +75 MB) against one at the end (k = 1020: +135 MB) would call it growth.
    const saw = () => base + ((k % 41) / 40) * 150 * 2 ** 20;
    const sawtooth = memoryCheck(
      () => {
        k++;
      },
      1000,
      read(saw, () => 10),
    );
    assert.equal(sawtooth.ok, true, `floor ${sawtooth.rssStart} -> ${sawtooth.rssEnd}`);
    k = 0;
    const leak = memoryCheck(
      () => {
        k++;
      },
      1000,
      read(
        () => saw() + k * 100 * 1024,
        () => 10,
      ),
    );
    assert.equal(leak.ok, false);
    assert.ok(leak.rssEnd - leak.rssStart > 80 * 2 ** 20, "the floor rose by about 90 MB");
  });
});

describe("PyTorch counterparts", () => {
  test("live in the repository", () => {
    assert.equal(torchReferencePath("/x/main"), path.join("/x/main", "bench", "torch_reference.py"));
  });
  // A benchmark reference only (Debian: apt-get install python3-torch): without it, say so and skip.
  const torchMissing = torchUnavailable(torchReferencePath(path.resolve(__dirname, "..")));
  test(
    "cover every workload and build networks with the tfjs parameter counts",
    { skip: torchMissing ?? false },
    () => {
      const script = torchReferencePath(path.resolve(__dirname, ".."));
      // One Python process (importing torch takes seconds): the workload names and parameter counts.
      const probe = [
        `import sys, json; sys.path.insert(0, ${JSON.stringify(path.dirname(script))}); import torch_reference as t`,
        "n = lambda m: sum(p.numel() for p in m.parameters())",
        "print(json.dumps({'workloads': list(t.WORKLOADS), 'fmnist': n(t.fmnist_cnn()), 'resnet20': n(t.resnet20()), 'resnet18': n(t.resnet18()), 'lstm': n(t.LstmLm())}))",
      ].join("\n");
      const r = spawnSync(SYSTEM_PYTHON, ["-c", probe], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as {
        workloads: string[];
        fmnist: number;
        resnet20: number;
        resnet18: number;
        lstm: number;
      };
      for (const w of WORKLOAD_NAMES) assert.ok(got.workloads.includes(w), `torch_reference.py lacks ${w}`);
      // The parameter counts the tfjs models document (src/models), so the networks are the same.
      assert.equal(got.fmnist, 225034);
      assert.equal(got.resnet20, 269722);
      assert.equal(got.resnet18, 11173962);
      // 10000·200 + 2·(4·200·200 + 4·200·200 + 8·200) + (200·10000 + 10000): PyTorch's LSTM keeps
      // two bias vectors per layer where tfjs keeps one (2·800 values, the same function).
      assert.equal(got.lstm, 4_653_200);
    },
  );
});

describe("workloads (tiny sizes)", () => {
  const tiny: WorkloadScale = {
    fmnistBatch: 2,
    resnet20Batch: 2,
    resnetBatch: 2,
    lstmBatch: 2,
    lstmSteps: 3,
    lstmVocab: 50,
    optimizerModel: "fmnist-cnn",
  };
  test("every workload steps on wasm without leaking tensors per step or after dispose", async () => {
    await initBackend({ backend: "wasm", quiet: true });
    for (const name of WORKLOAD_NAMES) {
      const before = tf.memory().numTensors;
      const prepared = prepareWorkload(name, tiny);
      assert.ok(prepared.length >= 1);
      for (const p of prepared) {
        assert.ok(p.perStep >= 1);
        p.step();
        const mid = tf.memory().numTensors;
        p.step();
        assert.equal(tf.memory().numTensors, mid, `${p.name}: a step must not leak tensors`);
      }
      for (const p of prepared) p.dispose();
      // Each optimizer keeps one scalar after dispose inside tfjs-core itself (tf.train.adam too).
      assert.ok(
        tf.memory().numTensors - before <= prepared.length,
        `${name}: ${tf.memory().numTensors - before} tensors left`,
      );
    }
    assert.deepEqual(
      prepareWorkload("optimizer-step", tiny).map((p) => {
        p.dispose();
        return p.name;
      }),
      [
        "optimizer-step",
        "optimizer-step:adam",
        "optimizer-step:padam",
        "optimizer-step:padam-no-max",
        "optimizer-step:tf.train.adam",
      ],
    );
  });
});
