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
  write("src/datasets/availability.ts", "x");
  assert.equal(sourceHash(root), first);
  write("src/datasets/availability.ts", "where data is found: not a number"); // excluded by name
  const lock = (tfjs: string, extra: string) =>
    JSON.stringify({
      packages: {
        "node_modules/@tensorflow/tfjs-core": { version: tfjs },
        [`node_modules/${extra}`]: { version: "1.0.0" },
      },
    });
  write("package-lock.json", lock("4.22.0", "eslint"));
  const withLock = sourceHash(root);
  write("package-lock.json", lock("4.22.0", "prettier")); // a tool added: the numbers cannot change
  assert.equal(sourceHash(root), withLock);
  write("package-lock.json", lock("4.23.0", "prettier")); // another tfjs: they can
  assert.notEqual(sourceHash(root), withLock);
  write("src/optim/padam.ts", "a2");
  const last = sourceHash(root);
  assert.notEqual(last, first);
});
