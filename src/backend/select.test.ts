import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { candidateOrder, CandidateName, LoadResult, Loaders, parseBackendRequest, selectBackend } from "./select";

type Behaviour = "absent" | "fail" | "ok";

/** Loaders whose behaviour is scripted per candidate; records the order of calls. */
function fakeLoaders(b: Partial<Record<CandidateName, Behaviour>>, calls: CandidateName[]): Loaders {
  const make = (c: CandidateName, backendName: string) => (): LoadResult => {
    calls.push(c);
    const what = b[c] ?? "ok";
    if (what === "fail") throw new Error(`${c} exploded\nsecond line of a long native trace`);
    if (what === "absent") return { status: "absent" };
    return { status: "loaded", backendName, version: `v-${c}` };
  };
  return {
    "tfjs-node-gpu": make("tfjs-node-gpu", "tensorflow"),
    "tfjs-node": make("tfjs-node", "tensorflow"),
    wasm: make("wasm", "wasm"),
    cpu: make("cpu", "cpu"),
  };
}

async function run(
  b: Partial<Record<CandidateName, Behaviour>>,
  requested?: "tensorflow" | "wasm" | "cpu",
  env?: string,
) {
  const calls: CandidateName[] = [];
  const warnings: string[] = [];
  const r = await selectBackend({ requested, env, loaders: fakeLoaders(b, calls), warn: (l) => warnings.push(l) });
  return { r, calls, warnings };
}

describe("candidateOrder", () => {
  test("automatic order is tfjs-node-gpu, tfjs-node, wasm, cpu", () => {
    assert.deepEqual(candidateOrder(), ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"]);
  });
  test("a request moves its candidates first and never falls back to a faster backend", () => {
    assert.deepEqual(candidateOrder("tensorflow"), ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"]);
    assert.deepEqual(candidateOrder("wasm"), ["wasm", "cpu"]);
    assert.deepEqual(candidateOrder("cpu"), ["cpu"]);
  });
});

describe("selectBackend", () => {
  test("picks the GPU build when it loads, without trying the others", async () => {
    const { r, calls, warnings } = await run({});
    assert.equal(r.candidate, "tfjs-node-gpu");
    assert.equal(r.backendName, "tensorflow");
    assert.deepEqual(calls, ["tfjs-node-gpu"]);
    assert.deepEqual(warnings, []);
    assert.equal(r.fallbackReason, undefined);
  });

  test("packages that are not installed are skipped silently", async () => {
    const { r, calls, warnings } = await run({ "tfjs-node-gpu": "absent", "tfjs-node": "absent" });
    assert.equal(r.candidate, "wasm");
    assert.deepEqual(calls, ["tfjs-node-gpu", "tfjs-node", "wasm"]);
    assert.deepEqual(warnings, []);
    assert.equal(r.source, "auto");
    assert.equal(r.fallbackReason, undefined);
  });

  test("an installed backend that fails to load gives one single-line warning and falls back", async () => {
    const { r, warnings } = await run({ "tfjs-node-gpu": "fail", "tfjs-node": "absent" });
    assert.equal(r.candidate, "wasm");
    assert.equal(warnings.length, 1);
    assert.ok(!warnings[0].includes("\n"), "warning must be one line");
    assert.match(warnings[0], /tfjs-node-gpu .*failed to load \(tfjs-node-gpu exploded\); falling back to tfjs-node/);
    assert.match(r.fallbackReason ?? "", /tfjs-node-gpu failed: tfjs-node-gpu exploded/);
  });

  test("every failure is warned once, down to cpu", async () => {
    const { r, warnings, calls } = await run({ "tfjs-node-gpu": "fail", "tfjs-node": "fail", wasm: "fail" });
    assert.equal(r.candidate, "cpu");
    assert.deepEqual(calls, ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"]);
    assert.equal(warnings.length, 3);
  });

  test("throws only when no backend at all loads", async () => {
    await assert.rejects(
      run({ "tfjs-node-gpu": "absent", "tfjs-node": "absent", wasm: "fail", cpu: "fail" }),
      /no TensorFlow\.js backend could be loaded/,
    );
  });

  test("PADAM_BACKEND selects a backend", async () => {
    const { r, calls } = await run({}, undefined, "cpu");
    assert.equal(r.candidate, "cpu");
    assert.equal(r.source, "env");
    assert.deepEqual(calls, ["cpu"]);
  });

  test("an empty PADAM_BACKEND means automatic", async () => {
    const { r } = await run({ "tfjs-node-gpu": "absent" }, undefined, "  ");
    assert.equal(r.candidate, "tfjs-node");
    assert.equal(r.source, "auto");
  });

  test("the function argument wins over PADAM_BACKEND", async () => {
    const { r } = await run({}, "wasm", "cpu");
    assert.equal(r.candidate, "wasm");
    assert.equal(r.source, "argument");
  });

  test("a request for tensorflow uses tfjs-node when the GPU build is absent", async () => {
    const { r, warnings } = await run({ "tfjs-node-gpu": "absent" }, "tensorflow");
    assert.equal(r.candidate, "tfjs-node");
    assert.deepEqual(warnings, []);
    assert.equal(r.fallbackReason, undefined);
  });

  test("an unavailable request falls back with one warning and a reason", async () => {
    const { r, warnings } = await run({ "tfjs-node-gpu": "absent", "tfjs-node": "absent" }, undefined, "tensorflow");
    assert.equal(r.candidate, "wasm");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /requested tensorflow \(PADAM_BACKEND\) unavailable: .*not installed.*; using wasm/);
    assert.match(r.fallbackReason ?? "", /^requested tensorflow/);
  });

  test("a failing wasm request falls back to cpu, not to a native backend", async () => {
    const { r, calls, warnings } = await run({ wasm: "fail" }, "wasm");
    assert.equal(r.candidate, "cpu");
    assert.deepEqual(calls, ["wasm", "cpu"]);
    assert.equal(warnings.length, 1);
  });

  test("invalid requests are refused before any loader runs", async () => {
    const calls: CandidateName[] = [];
    await assert.rejects(
      selectBackend({ env: "gpu", loaders: fakeLoaders({}, calls) }),
      /PADAM_BACKEND = "gpu" is not a backend; allowed: tensorflow, wasm, cpu/,
    );
    await assert.rejects(
      selectBackend({ requested: "webgl" as "cpu", loaders: fakeLoaders({}, calls) }),
      /initBackend\(\{ backend \}\) = "webgl"/,
    );
    assert.deepEqual(calls, []);
  });

  test("parseBackendRequest accepts exactly the three names", () => {
    for (const v of ["tensorflow", "wasm", "cpu"]) assert.equal(parseBackendRequest(v, "x"), v);
    assert.throws(() => parseBackendRequest("CPU", "x"), /x = "CPU"/);
  });
});
