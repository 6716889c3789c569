/**
 * Loading committed reference results: hand-built run directories (no training) with known
 * accuracies, one of them made by other sources, checked for grouping, staleness and the
 * provenance line a notebook prints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newProvenance, sourceHash } from "../experiment/provenance";
import { finalConfigs, referenceExperiment } from "../experiment/reference";
import { RunDir, runId } from "../experiment/store";
import { loadReferenceResults } from "./reference_results";

function writeRun(
  root: string,
  config: ReturnType<typeof finalConfigs>[number],
  testAcc: number,
  stale = false,
  made?: { revision: string; created: string; dirty: boolean },
): string {
  const id = runId(config, "wasm");
  const dir = new RunDir(join(root, "p-sweep-fmnist", id));
  mkdirSync(dir.dir, { recursive: true });
  dir.create({ runId: id, config });
  dir.writeMetrics(
    Array.from({ length: config.epochs }, (_, epoch) => [
      { epoch, step: 63 * (epoch + 1), split: "train" as const, loss: 0.01, acc: 0.999, lr: 0.1, wallMs: 1000 },
      { epoch, step: 63 * (epoch + 1), split: "valid" as const, loss: 0.3, acc: testAcc, lr: 0.1, wallMs: 1000 },
      { epoch, step: 63 * (epoch + 1), split: "test" as const, loss: 0.3, acc: testAcc, lr: 0.1, wallMs: 1000 },
    ]).flat(),
  );
  dir.setStatus("finished", config.epochs - 1);
  const p = { ...newProvenance(id), wallMs: 1.8e6, ...made }; // half an hour each
  dir.setProvenance(stale ? { ...p, sourceHash: "0000000000000000" } : p);
  return id;
}

test("committed runs are grouped over seeds; a run made by other sources is stale and left out", () => {
  const root = mkdtempSync(join(tmpdir(), "padam-reference-"));
  const empty = loadReferenceResults("p-sweep-fmnist", { root });
  assert.equal(empty.experiments.length, 0);
  assert.match(
    empty.provenanceLine,
    /No committed results for p-sweep-fmnist yet: create them with `npm run reproduce -- p-sweep-fmnist`/,
  );

  const configs = finalConfigs(referenceExperiment("p-sweep-fmnist"));
  assert.equal(configs.length, 5 * 3);
  const quarter = configs.filter((c) => c.optimizerOptions.partial === 0.25);
  const eighth = configs.filter((c) => c.optimizerOptions.partial === 0.125);
  quarter.forEach((c, i) => writeRun(root, c, [0.9, 0.91, 0.92][i]));
  eighth.forEach((c, i) => writeRun(root, c, [0.88, 0.89, 0.9][i], i === 2));

  const r = loadReferenceResults("p-sweep-fmnist", { root });
  assert.equal(r.planned, 15);
  assert.equal(r.finished, 6);
  assert.equal(r.stale.length, 1);
  assert.equal(r.experiments.length, 1);
  const groups = r.experiments[0].groups;
  assert.deepEqual(
    groups.map((g) => g.seeds),
    [
      [0, 1, 2],
      [0, 1],
    ],
  );
  // mean of 90, 91, 92 % = 91 %
  assert.ok(Math.abs(groups[0].stats.finalTestAcc!.mean - 91) < 1e-9);
  assert.ok(Math.abs(r.trainingHours - 3) < 1e-9, "six runs of half an hour");
  assert.match(
    r.provenanceLine,
    new RegExp(
      `Reference results \\(6 runs\\) made \\d{4}-\\d\\d-\\d\\d at revision .*; 3\\.0 h of training in all\\.`,
    ),
  );
  assert.notEqual(sourceHash(), "0000000000000000");
});

test("the provenance line names one to three revisions, and a range (oldest to newest) beyond", () => {
  const root = mkdtempSync(join(tmpdir(), "padam-reference-"));
  const configs = finalConfigs(referenceExperiment("p-sweep-fmnist"));
  // Written newest first: the line orders them by creation time.
  const made = ["eeeeeee", "ddddddd", "ccccccc", "bbbbbbb", "aaaaaaa"].map((revision, i) => ({
    revision: revision + "0".repeat(33),
    created: `2026-12-0${5 - i}T10:00:00.000Z`,
    dirty: false,
  }));
  writeRun(root, configs[0], 0.9, false, made[4]);
  writeRun(root, configs[1], 0.9, false, made[3]);
  assert.match(loadReferenceResults("p-sweep-fmnist", { root }).provenanceLine, /at revisions aaaaaaa, bbbbbbb, /);
  made.slice(0, 3).forEach((m, i) => writeRun(root, configs[2 + i], 0.9, false, m));
  assert.match(
    loadReferenceResults("p-sweep-fmnist", { root }).provenanceLine,
    /made 2026-12-01 to 2026-12-05 at 5 revisions from aaaaaaa to eeeeeee, /,
  );
});
