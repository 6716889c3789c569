// Data roots from PADAM_DATA (several, ':'-separated), the cache location, and the one-line
// message for an absent data set.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dataRoots, envDataRoots, REPO_ROOT } from "./manifest";
import { defaultCacheDir } from "./cache";
import { dataAvailable, dataSkip, missingDataLine, requireData, type DataNeedName } from "./availability";

function withEnv<T>(vars: Record<string, string | undefined>, body: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  set(vars);
  try {
    return body();
  } finally {
    set(saved);
  }
}

test("PADAM_DATA holds several roots separated by ':', searched left to right before <repo>/data", () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), "padam-root-a-"));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), "padam-root-b-"));
  try {
    assert.deepEqual(envDataRoots(`${a}:${b}`), [a, b]);
    assert.deepEqual(envDataRoots(`${a}::`), [a], "empty entries are ignored");
    assert.deepEqual(envDataRoots(""), []);
    withEnv({ PADAM_DATA: `${b}:/no/such/root:${a}` }, () => {
      const roots = dataRoots().map((r) => r.dir);
      assert.deepEqual(roots, [b, a, path.join(REPO_ROOT, "data")], "missing roots are dropped, order kept");
    });
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test("a data set in the second PADAM_DATA root is found; the cache stays in the repository", () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), "padam-root-a-"));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), "padam-root-b-"));
  try {
    fs.mkdirSync(path.join(b, "cifar10-jpeg", "test", "cat"), { recursive: true });
    withEnv({ PADAM_DATA: `${a}:${b}`, PADAM_CACHE: undefined }, () => {
      assert.equal(dataAvailable("cifar10-jpeg"), true);
      assert.equal(dataAvailable("cifar10"), true, "CIFAR-10 loads from the JPEG copy as well");
      assert.equal(dataSkip("cifar10"), false);
      assert.equal(defaultCacheDir(), path.join(REPO_ROOT, "data", "cache"));
    });
    withEnv({ PADAM_CACHE: a }, () => assert.equal(defaultCacheDir(), a));
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test("an absent data set: one line naming the roots searched and the command that fetches it", () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "padam-empty-"));
  try {
    // dataDir alone cannot hide <repo>/data, so check with a name whose data is nowhere:
    // the PTB copy is looked up in `empty` first; only when absent everywhere is the line shown.
    const opts = { dataDir: empty };
    const line = missingDataLine("ptb", opts);
    assert.ok(!line.includes("\n"));
    assert.ok(line.startsWith(`Penn Treebank not found (data roots: ${empty}, `), line);
    assert.ok(line.endsWith("fetch it with `npm run data -- ptb` or add its folder to PADAM_DATA."), line);
    assert.match(
      missingDataLine("cifar10-jpeg", opts),
      /^CIFAR-10 \(JPEG copy\) not found .*`npm run data -- cifar10`/,
    );
    const printed: string[] = [];
    const present = requireData("ptb", { ...opts, log: (l) => printed.push(l) });
    assert.equal(present, dataAvailable("ptb", opts));
    assert.deepEqual(printed, present ? [] : [line]);
    assert.throws(
      () => dataAvailable("imagenet" as DataNeedName),
      /unknown data need "imagenet"; allowed: cifar10, cifar10-jpeg, ptb, fashion-mnist/,
    );
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
