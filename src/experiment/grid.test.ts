import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fraction, runGrid, runLabel, summarize, type LiveSink } from "./grid";
import { presetConfig } from "./presets";
import type { MetricLine } from "./store";

describe("grid helpers", () => {
  test("labels name the optimizer and Padam's p as a fraction", () => {
    assert.equal(fraction(0.125), "1/8");
    assert.equal(fraction(0.4), "2/5");
    assert.equal(fraction(0.3), "0.3");
    assert.equal(runLabel(presetConfig("fmnist-cnn", "padam")), "Padam (p = 1/8)");
    assert.equal(runLabel(presetConfig("fmnist-cnn", "sgd"), { lr: true }), "SGD-M lr 0.1");
  });

  test("runGrid trains each config once, feeds the live sink, and reuses finished runs", async () => {
    const runsDir = mkdtempSync(join(tmpdir(), "padam-grid-"));
    const configs = ["padam", "sgd"].map((o) =>
      presetConfig("fmnist-cnn-smoke", o as "padam" | "sgd", { epochs: 1, trainLimit: 64, testLimit: 50 }),
    );
    const seen: { run?: string; line: MetricLine }[] = [];
    const live: LiveSink = { push: (line, run) => seen.push({ run, line }) };
    const first = await runGrid(configs, { runsDir, live, progress: "none" });
    assert.deepEqual(
      first.map((r) => [r.label, r.result.status, r.result.skipped]),
      [
        ["Padam (p = 1/8)", "finished", false],
        ["SGD-M", "finished", false],
      ],
    );
    assert.equal(seen.length, 4);
    seen.length = 0;
    const second = await runGrid(configs, { runsDir, live, progress: "none" });
    assert.ok(second.every((r) => r.result.skipped));
    assert.equal(seen.length, 4, "cached runs are replayed into the live display");
    const s = summarize(first[0].label, configs[0], first[0].result);
    assert.equal(s.epochs, 1);
    assert.equal(s.finalTestAcc, 100 * first[0].result.metrics[1].acc!);
  });
});
