/**
 * Freshness of stored runs against today's determining sources: made by them, made by others,
 * re-verified under them, or resumed under other sources part-way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshness, sourceHash, type Provenance } from "./provenance";

const OTHER = "0123456789abcdef";

test("current, stale, verified, and a run resumed under other sources", () => {
  const now = sourceHash();
  assert.notEqual(now, OTHER);
  const session = (epochs: number, hash?: string) => ({ started: "t", epochs, ...(hash ? { sourceHash: hash } : {}) });
  const run = (p: Partial<Provenance>) => ({ sourceHash: now, sessions: [session(4)], ...p }) as Provenance;
  assert.equal(freshness(run({})), "current");
  assert.equal(freshness(undefined), "stale", "no provenance: nothing says which code made it");
  assert.equal(freshness(run({ sourceHash: OTHER })), "stale");
  const check = { sourceHash: now, date: "d", backend: "wasm", identical: true };
  assert.equal(freshness(run({ sourceHash: OTHER, verified: [{ ...check, epochs: 4 }] })), "verified");
  assert.equal(
    freshness(run({ sourceHash: OTHER, verified: [{ ...check, epochs: 2 }] })),
    "stale",
    "2 of 4 epochs verified",
  );
  assert.equal(
    freshness(run({ sessions: [session(2, OTHER), session(2, now)] })),
    "stale",
    "started under other sources",
  );
  assert.equal(
    freshness(run({ sessions: [session(2), session(2, now)] })),
    "current",
    "older records: the run's own hash",
  );
});

test("the source hash covers the determining sources and nothing else", () => {
  const root = mkdtempSync(join(tmpdir(), "padam-hash-"));
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write("src/optim/padam.ts", "a");
  write("src/experiment/runner.ts", "b");
  write("src/notebook/plotly.ts", "c");
  const first = sourceHash(root);
  write("src/notebook/plotly.ts", "changed"); // not a determining source
  write("src/optim/padam.test.ts", "tests do not count");
  assert.equal(sourceHash(root), first);
  write("src/optim/padam.ts", "a2");
  assert.notEqual(sourceHash(root), first);
});
