/**
 * Reference experiments: the protocol's arithmetic (steps, schedules, seeds), the lr choice on
 * the validation split, and `--verify`, which must pass on an untouched committed run and fail
 * when one number of its metrics is changed.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { presetConfig } from "./presets";
import {
  finalConfigs,
  MIN_STEPS,
  paperSchedule,
  REFERENCE_EXPERIMENTS,
  referenceExperiment,
  tuningConfigs,
} from "./reference";
import {
  chooseLearningRates,
  findCommittedRun,
  extendedGrid,
  nextHalfDecade,
  staleRunsInOrder,
  verifyRun,
  verifyStaleRuns,
} from "./reproduce";
import { runExperiment } from "./runner";
import { freshness } from "./provenance";
import { recordCheck, RunDir, type MetricLine, type StoredRun } from "./store";

describe("reference protocol", () => {
  test("every final run takes at least 2,000 steps, decays at 50 % and 75 %, with 3 seeds", () => {
    assert.deepEqual(paperSchedule(36), { milestones: [18, 27], gamma: 0.1 });
    for (const exp of REFERENCE_EXPERIMENTS.filter((e) => e.metric === "acc")) {
      const c = finalConfigs(exp, {
        sgd: 0.1,
        adam: 1e-3,
        amsgrad: 1e-3,
        adamw: 1e-3,
        yogi: 1e-3,
        adabound: 1e-3,
        padam: 0.1,
      });
      assert.equal(c.length, exp.arms.length * 3, exp.name);
      for (const config of c) {
        const steps = Math.ceil(config.trainLimit! / config.batchSize) * config.epochs;
        assert.ok(steps >= MIN_STEPS, `${exp.name}: ${steps} steps`);
        // Padam's official factor sqrt(1 − 0.999^t)/(1 − 0.9^t) at the end of the shortest run
        assert.ok(Math.sqrt(1 - 0.999 ** steps) / (1 - 0.9 ** steps) >= 0.93);
        assert.equal(config.validLimit, 1000, "the lr was chosen on held-out training images");
      }
    }
    const ptb = finalConfigs(referenceExperiment("ptb-lstm"), { sgd: 1, adam: 1e-3, amsgrad: 1e-3, padam: 0.1 })[0];
    assert.ok(Math.floor(ptb.trainLimit! / ptb.batchSize / ptb.bptt!) * ptb.epochs >= MIN_STEPS);
  });

  test("tuning: each optimizer's grid, seed 0, shorter runs with the schedule scaled", () => {
    const exp = referenceExperiment("cifar10-resnet20");
    const t = tuningConfigs(exp);
    assert.equal(t.length, 4 * 3);
    assert.deepEqual(
      t.filter((c) => c.optimizer === "adam").map((c) => c.optimizerOptions.learningRate),
      [3e-4, 1e-3, 3e-3],
    );
    assert.ok(t.every((c) => c.seed === 0 && c.epochs === 7 && c.schedule!.milestones.join() === "4,5"));
  });
});

describe("referenceExperiment", () => {
  test("an unknown name lists the comparisons; paper-networks says where it is read", () => {
    assert.throws(() => referenceExperiment("cifar"), /unknown reference experiment "cifar"; known: fmnist-cnn, /);
    assert.throws(
      () => referenceExperiment("cifar"),
      (e: Error) => !e.message.includes("paper-networks"),
    );
    assert.throws(
      () => referenceExperiment("paper-networks"),
      /throughput budget, not an optimizer comparison: read it with paperNetworkCosts\(\)/,
    );
  });
});

describe("learning-rate choice", () => {
  const exp = referenceExperiment("cifar10-resnet20");
  const stored = (
    config: ReturnType<typeof tuningConfigs>[number],
    status: "finished" | "diverged",
    validAcc: number[],
  ): StoredRun => ({
    id: "x",
    dir: "x",
    config,
    status: { status, epoch: validAcc.length - 1, updated: "" },
    metrics: validAcc.map((acc, epoch) => ({
      epoch,
      step: epoch,
      split: "valid" as const,
      loss: 1,
      acc,
      lr: 0.1,
      wallMs: 0,
    })),
  });

  test("the best final validation accuracy wins; diverged runs rank last; an optimizer with a missing run waits", () => {
    const t = tuningConfigs(exp);
    const of = (o: string) => t.filter((c) => c.optimizer === o);
    const runs = [
      // SGD: the last epoch counts, not the best one
      stored(of("sgd")[0], "finished", [0.9, 0.5]),
      stored(of("sgd")[1], "finished", [0.4, 0.6]),
      stored(of("sgd")[2], "diverged", []),
      stored(of("adam")[0], "finished", [0.7]),
      stored(of("adam")[1], "finished", [0.71]),
      stored(of("adam")[2], "finished", [0.69]),
      stored(of("padam")[0], "finished", [0.8]),
      stored(of("padam")[1], "finished", [0.8]), // p 0.3 still missing
    ];
    const { chosen, rows } = chooseLearningRates(exp, runs);
    assert.deepEqual(chosen, { sgd: 0.1, adam: 1e-3 });
    assert.equal(rows.filter((r) => r.chosen).length, 2);
    assert.equal(rows.find((r) => r.optimizer === "sgd" && r.learningRate === 0.3)?.status, "diverged");
    assert.equal(rows.find((r) => r.optimizer === "padam" && r.learningRate === 0.3)?.status, "missing");
  });

  test("--verify-stale order: final runs first, where a diverged grid point is part of the lr choice", () => {
    const t = tuningConfigs(exp);
    const of = (o: string) => t.filter((c) => c.optimizer === o);
    const grid = [
      stored(of("sgd")[0], "finished", [0.5]),
      stored(of("sgd")[1], "finished", [0.6]), // lr 0.1 is chosen
      stored(of("sgd")[2], "diverged", []),
    ];
    const [final] = finalConfigs(exp, { sgd: 0.1 }).filter((c) => c.optimizer === "sgd");
    const runs = [...grid, { ...stored(final, "finished", [0.7]), id: "final" }].map((r, i) => ({
      ...r,
      id: r.id === "x" ? `tuning-${i}` : r.id,
    }));
    const order = staleRunsInOrder("cifar10-resnet20", runs, () => true);
    assert.deepEqual(
      order.map((o) => `${o.run.id}${o.final ? " (final)" : ""}`),
      ["final (final)", "tuning-0", "tuning-1"], // the diverged run has nothing to verify
    );
    // Only what is stale is listed.
    assert.deepEqual(
      staleRunsInOrder("cifar10-resnet20", runs, (r) => r.id !== "final").map((o) => o.run.id),
      ["tuning-0", "tuning-1"],
    );
  });
});

describe("grid extension at an edge", () => {
  const exp = referenceExperiment("cifar10-resnet20");
  const t = tuningConfigs(exp);
  const finished = (config: ReturnType<typeof tuningConfigs>[number], acc: number): StoredRun => ({
    id: "x",
    dir: "x",
    config,
    status: { status: "finished", epoch: 0, updated: "" },
    metrics: [{ epoch: 0, step: 1, split: "valid", loss: 1, acc, lr: 0.1, wallMs: 0 }],
  });

  test("the 1-3-10 sequence: up from 0.3 is 1, from 1e-3 is 3e-3; down from 0.03 is 0.01, from 0.01 is 3e-3", () => {
    assert.deepEqual(
      [
        nextHalfDecade(0.3, 1),
        nextHalfDecade(1e-3, 1),
        nextHalfDecade(3e-3, 1),
        nextHalfDecade(0.03, -1),
        nextHalfDecade(0.01, -1),
        nextHalfDecade(3e-4, -1),
      ],
      [1, 3e-3, 0.01, 0.01, 3e-3, 1e-4],
    );
  });

  test("a best lr at the top edge adds the next value and waits for it; a worse new point leaves the edge chosen", () => {
    const padam = t.filter((c) => c.optimizer === "padam"); // lr 0.03, 0.1, 0.3
    const runs = [finished(padam[0], 0.8), finished(padam[1], 0.85), finished(padam[2], 0.9)];
    assert.deepEqual(extendedGrid(exp, runs).padam, [0.03, 0.1, 0.3, 1]);
    assert.equal(chooseLearningRates(exp, runs).chosen.padam, undefined, "waits for lr 1");
    const atOne = tuningConfigs(exp, { padam: [1] })[0];
    const worse = [...runs, finished(atOne, 0.7)];
    assert.deepEqual(extendedGrid(exp, worse).padam, [0.03, 0.1, 0.3, 1]);
    assert.equal(chooseLearningRates(exp, worse).chosen.padam, 0.3);
    // better again at the new edge: one more point, then the cap (two extensions) ends the search
    const better = [...runs, finished(atOne, 0.95)];
    assert.deepEqual(extendedGrid(exp, better).padam, [0.03, 0.1, 0.3, 1, 3]);
    const atThree = tuningConfigs(exp, { padam: [3] })[0];
    const capped = [...better, finished(atThree, 0.97)];
    assert.deepEqual(extendedGrid(exp, capped).padam, [0.03, 0.1, 0.3, 1, 3]);
    assert.equal(chooseLearningRates(exp, capped).chosen.padam, 3);
  });
});

describe("--verify", () => {
  test("a committed run re-executes to identical metrics; one changed number is found", async () => {
    const root = mkdtempSync(join(tmpdir(), "padam-results-"));
    const config = presetConfig("fmnist-cnn-smoke", "padam", { epochs: 2, trainLimit: 64, testLimit: 50 });
    const run = await runExperiment(config, { runsDir: join(root, "smoke"), progress: "none" });
    const ok = await verifyRun(run.runId, { root, epochs: 1 });
    assert.equal(ok.ok, true);
    assert.equal(ok.sameBackend, true);
    assert.deepEqual(ok.mismatches, []);

    // Made by other sources: a full re-execution with identical numbers makes it count as current again.
    const provenanceFile = join(run.dir, "provenance.json");
    const p = JSON.parse(readFileSync(provenanceFile, "utf8"));
    writeFileSync(provenanceFile, JSON.stringify({ ...p, sourceHash: "0123456789abcdef" }));
    assert.equal(freshness(new RunDir(run.dir).provenance()), "stale");
    assert.equal((await verifyRun(run.runId, { root })).ok, true);
    assert.equal(freshness(new RunDir(run.dir).provenance()), "verified");

    const file = join(run.dir, "metrics.jsonl");
    const rows = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as MetricLine);
    // Change the test loss of epoch 1 in the last decimal kept, and give the record a matching check:
    // only re-execution can find this.
    const edited = { ...rows[1], loss: rows[1].loss + 1e-6 };
    delete edited.check;
    rows[1] = { ...edited, check: recordCheck(edited) };
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const bad = await verifyRun(run.runId, { root, epochs: 1 });
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.mismatches.map((m) => `${m.epoch}/${m.split}/${m.key}`),
      ["0/test/loss"],
    );

    // Made at another thread count on wasm: identity is still required (a 1e-6 change is far
    // inside the cross-backend tolerance, so only an exact comparison finds it).
    const withThreads = JSON.parse(readFileSync(provenanceFile, "utf8"));
    assert.equal(withThreads.backend.name, "wasm");
    writeFileSync(provenanceFile, JSON.stringify({ ...withThreads, backend: { ...withThreads.backend, threads: 7 } }));
    const otherThreads = await verifyRun(run.runId, { root, epochs: 1 });
    assert.equal(otherThreads.sameBackend, true);
    assert.deepEqual(
      otherThreads.mismatches.map((m) => `${m.epoch}/${m.split}/${m.key}`),
      ["0/test/loss"],
    );

    // Changed without a matching check, the record is refused before anything runs.
    rows[1] = { ...rows[1], loss: 7 };
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    await assert.rejects(verifyRun(run.runId, { root, epochs: 1 }), /metrics\.jsonl:2: its check does not match/);
  });
});

describe("a run listed in two experiments", () => {
  test("identical copies are one run; copies that differ are refused by name", () => {
    const root = mkdtempSync(join(tmpdir(), "padam-results-"));
    const id = "fmnist-cnn-padam-p0.125-00000000-wasm-s0";
    for (const exp of ["p-sweep-fmnist", "bias-factor-fmnist"]) {
      mkdirSync(join(root, exp, id), { recursive: true });
      writeFileSync(join(root, exp, id, "metrics.jsonl"), '{"epoch":0,"acc":0.9}\n');
    }
    assert.match(findCommittedRun(id, root), /(p-sweep|bias-factor)-fmnist/);
    writeFileSync(join(root, "bias-factor-fmnist", id, "metrics.jsonl"), '{"epoch":0,"acc":0.8}\n');
    assert.throws(
      () => findCommittedRun(id, root),
      new RegExp(`run ${id} is in several experiments with different metrics .*remove the wrong copy`),
    );
    assert.throws(() => findCommittedRun("nowhere-s0", root), /run nowhere-s0 is not in /);
  });
});

describe("--verify-stale", () => {
  test("re-executes every stale finished run in full, records each success, leaves a differing run stale", async () => {
    const root = mkdtempSync(join(tmpdir(), "padam-results-"));
    const dir = join(root, "p-sweep-fmnist");
    const make = (seed: number) =>
      runExperiment(presetConfig("fmnist-cnn-smoke", "padam", { epochs: 2, trainLimit: 64, testLimit: 50, seed }), {
        runsDir: dir,
        progress: "none",
      });
    const [current, stale, edited] = [await make(0), await make(1), await make(2)];
    const otherSources = (runDir: string) => {
      const file = join(runDir, "provenance.json");
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), sourceHash: "0123456789abcdef" }),
      );
    };
    otherSources(stale.dir);
    otherSources(edited.dir);
    // One number of the last epoch changed (with a matching check): only a full re-execution finds it.
    const file = join(edited.dir, "metrics.jsonl");
    const rows = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as MetricLine);
    const last = { ...rows[rows.length - 1], loss: rows[rows.length - 1].loss + 1e-6 };
    delete last.check;
    rows[rows.length - 1] = { ...last, check: recordCheck(last) };
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");

    const lines: string[] = [];
    const s = await verifyStaleRuns("p-sweep-fmnist", { root, log: (l) => lines.push(l) });
    assert.deepEqual(s.verified, [stale.runId]);
    assert.deepEqual(s.differs, [edited.runId]);
    assert.equal(s.upToDate, 1);
    assert.ok(lines.some((l) => l.includes(`stale run [1/2]`)));
    assert.equal(freshness(new RunDir(stale.dir).provenance()), "verified");
    assert.deepEqual(
      new RunDir(stale.dir).provenance()?.verified?.map((v) => v.epochs),
      [2],
    );
    assert.equal(freshness(new RunDir(edited.dir).provenance()), "stale");
    assert.equal(freshness(new RunDir(current.dir).provenance()), "current");

    // A second pass re-executes only what is still stale.
    const again = await verifyStaleRuns("p-sweep-fmnist", { root, log: () => {} });
    assert.deepEqual([again.verified, again.differs, again.upToDate], [[], [edited.runId], 2]);
  });
});
