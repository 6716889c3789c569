/**
 * The reference-results section a notebook shows, rendered from hand-built committed runs of
 * `cifar10-resnet20` (tuning grid and three final seeds per optimizer, no training): what the
 * reader sees must hold the provenance line, the chosen learning rates, the figures, every claim
 * and the sentences generated from the verdicts; without results, one line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExperimentConfig } from "../experiment/config";
import { newProvenance } from "../experiment/provenance";
import { finalConfigs, referenceExperiment, tuningConfigs } from "../experiment/reference";
import { RunDir, runId, type MetricLine } from "../experiment/store";
import { setDisplaySink, type MimeBundle } from "./display";
import { showReferenceResults } from "./reference_section";

function writeRun(
  root: string,
  config: ExperimentConfig,
  acc: number,
  split: "valid" | "test",
  experiment = "cifar10-resnet20",
): void {
  const id = runId(config, "wasm");
  const dir = new RunDir(join(root, experiment, id));
  mkdirSync(dir.dir, { recursive: true });
  dir.create({ runId: id, config });
  const lines: MetricLine[] = Array.from({ length: config.epochs }, (_, epoch) => [
    { epoch, step: 157 * (epoch + 1), split: "train" as const, loss: 0.05, acc: 0.99, lr: 0.1, wallMs: 1000 },
    { epoch, step: 157 * (epoch + 1), split, loss: 0.5, acc, lr: 0.1, wallMs: 1100 },
  ]).flat();
  dir.writeMetrics(lines);
  dir.setStatus("finished", config.epochs - 1);
  dir.setProvenance({ ...newProvenance(id), wallMs: 3.6e6 });
}

async function rendered(root: string, experiment = "cifar10-resnet20"): Promise<string> {
  const shown: MimeBundle[] = [];
  const previous = setDisplaySink((bundle) => void shown.push(bundle));
  try {
    await showReferenceResults(experiment, { root, export: false });
  } finally {
    setDisplaySink(previous);
  }
  return shown.map((b) => String(b["text/html"] ?? "")).join("\n");
}

test("without committed results the section is the one provenance line", async () => {
  const html = await rendered(mkdtempSync(join(tmpdir(), "padam-section-")));
  assert.match(
    html,
    /No committed results for cifar10-resnet20 yet: create them with <code>npm run reproduce -- cifar10-resnet20<\/code>\./,
  );
  assert.doesNotMatch(html, /<table/);
});

test("with committed results: provenance, tuning, results, figures, claims and sentences that match the verdicts", async () => {
  const root = mkdtempSync(join(tmpdir(), "padam-section-"));
  const exp = referenceExperiment("cifar10-resnet20");
  // Validation accuracy peaks at each optimizer's middle grid point, which is therefore chosen.
  for (const c of tuningConfigs(exp)) {
    const grid = exp.tuning!.grid[c.optimizer]!;
    writeRun(root, c, grid.indexOf(c.optimizerOptions.learningRate as number) === 1 ? 0.8 : 0.7, "valid");
  }
  const tuningOnly = await rendered(root);
  assert.match(
    tuningOnly,
    /No final run yet: 12 of the 12 tuning runs are done; the final runs of each optimizer start/,
  );
  const finals = finalConfigs(exp, { sgd: 0.1, adam: 1e-3, amsgrad: 1e-3, padam: 0.1 });
  const acc: Record<string, number> = { sgd: 0.9, adam: 0.85, amsgrad: 0.86, padam: 0.9 };
  for (const c of finals) writeRun(root, c, acc[c.optimizer] + 0.001 * c.seed, "test");
  const html = await rendered(root);
  assert.match(html, /Reference results \(24 runs\) made \d{4}-\d\d-\d\d at revision/);
  assert.equal((html.match(/<td[^>]*>chosen<\/td>/g) ?? []).length, 4, "one chosen lr per optimizer");
  assert.match(html, /cifar10-resnet20: test error per epoch, mean over seeds/);
  assert.match(html, /cifar10-resnet20: mean over seeds, 95 % interval, every seed/);
  // Padam − Adam = 5 points, far beyond the noise: supported; Padam vs SGD-M: a tie within ±1.
  assert.match(html, /“Padam better than Adam at the end” is supported: /);
  assert.match(html, /“Padam ≈ SGD-M at the end” is (supported|inconclusive): /);
  assert.match(
    html,
    /The paper \(CIFAR-10 ResNet-18\) orders them SGD-M 95, Padam \(p = 1\/8\) 94\.94, AMSGrad 93\.53, Adam 92\.89/,
  );
  assert.match(html, /s per step \(measured\)/);
  assert.doesNotMatch(html, /contradicted/, "no claim here goes against the paper");
});

test("a p sweep: results per p, the p = 1/8 claims and no optimizer claims", async () => {
  const root = mkdtempSync(join(tmpdir(), "padam-section-"));
  const finals = finalConfigs(referenceExperiment("p-sweep-fmnist")).filter((c) =>
    [0.25, 0.125].includes(c.optimizerOptions.partial as number),
  );
  for (const c of finals)
    writeRun(root, c, (c.optimizerOptions.partial === 0.125 ? 0.9 : 0.8) + 0.001 * c.seed, "test", "p-sweep-fmnist");
  const html = await rendered(root, "p-sweep-fmnist");
  assert.match(html, /“p = 1\/8 better than p = 1\/4 at the end” is supported: /);
  assert.match(html, /claims on these runs: 1 supported\./);
  assert.doesNotMatch(html, /Padam ≈ SGD-M/);
  assert.match(html, /6 of the 15 planned final runs are finished/);
});
