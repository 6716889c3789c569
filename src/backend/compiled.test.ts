/**
 * The compiled optimizer pass: the committed artifacts are what `scripts/build-wasm.sh` builds
 * from the C source; they import only a memory and use none of their own (so they can run on
 * tfjs's heap); and they run on both builds of the wasm backend (plain memory with 1 thread,
 * shared memory with 2) and on copies, against the golden trajectories of torch's AMSGrad and
 * values worked by hand.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./index";
import { artifactPath, compiledStepOnArrays } from "./compiled";
import { createOptimizer } from "../optim/registry";
import { padamCoefficients, PADAM_DEFAULTS } from "../optim/padam";
import { expectClose } from "../testing/expect_close";
import { loadGoldenCases } from "../testing/golden";

const ROOT = path.resolve(__dirname, "../..");
/** The module introspection used below (the project's `lib` has no WebAssembly types). */
const WebAssembly = (
  globalThis as unknown as {
    WebAssembly: {
      Module: { new (bytes: Uint8Array): object; imports(m: object): object[]; exports(m: object): object[] };
    };
  }
).WebAssembly;

/** The clang the artifacts are defined by: Debian 12's (scripts/build-wasm.sh). */
function clangMajor(): number | undefined {
  const r = spawnSync("clang", ["--version"], { encoding: "utf8" });
  const m = r.status === 0 ? /clang version (\d+)/.exec(r.stdout) : null;
  return m ? Number(m[1]) : undefined;
}
const clang = clangMajor();
const wasmLd = spawnSync("wasm-ld", ["--version"]).status === 0;

describe("compiled artifacts", () => {
  test(
    "equal a fresh build of src/backend/wasm/adaptive_step.c",
    // Without the toolchain there is nothing to rebuild with (.ci/run installs it); another clang
    // major version emits other (valid) code, so only clang 14 defines the bytes.
    {
      skip:
        clang !== 14 || !wasmLd
          ? `needs clang 14 and wasm-ld (found clang ${clang ?? "none"}, wasm-ld ${wasmLd ? "yes" : "no"})`
          : false,
    },
    () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "padam-wasm-"));
      try {
        execFileSync("bash", [path.join(ROOT, "scripts/build-wasm.sh"), out], { cwd: ROOT, stdio: "pipe" });
        for (const shared of [false, true]) {
          const fresh = fs.readFileSync(path.join(out, path.basename(artifactPath(shared))));
          assert.ok(
            fresh.equals(fs.readFileSync(artifactPath(shared))),
            `${artifactPath(shared)} differs from a fresh build: run scripts/build-wasm.sh and commit`,
          );
        }
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  );

  for (const shared of [false, true]) {
    test(`${path.basename(artifactPath(shared))} imports only a ${shared ? "shared " : ""}memory and exports only the step`, () => {
      const mod = new WebAssembly.Module(fs.readFileSync(artifactPath(shared)));
      assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: "env", name: "memory", kind: "memory" }]);
      assert.deepEqual(WebAssembly.Module.exports(mod), [{ name: "adaptive_step", kind: "function" }]);
      // No data segment: the module writes nothing into the heap but the output arrays.
      assert.equal(hasSection(fs.readFileSync(artifactPath(shared)), 11), false, "the module has a data section");
    });
  }

  test(
    "the step never touches the stack (it would lie in tfjs's heap)",
    {
      skip:
        spawnSync("wasm-dis", ["--version"]).status === 0 ? false : "needs binaryen's wasm-dis (.ci/run installs it)",
    },
    () => {
      for (const shared of [false, true]) {
        const text = execFileSync("wasm-dis", [artifactPath(shared)], { encoding: "utf8" });
        assert.match(text, /\(func /);
        assert.doesNotMatch(text, /global\.(get|set)/, `${artifactPath(shared)} uses a global (the stack pointer)`);
      }
    },
  );
});

/** Whether the binary has a section with this id (walks the section headers). */
function hasSection(bytes: Buffer, id: number): boolean {
  let i = 8;
  while (i < bytes.length) {
    const sid = bytes[i++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++];
      size |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
    }
    if (sid === id) return true;
    i += size;
  }
  return false;
}

describe("compiled pass", () => {
  // torch's AMSGrad on recorded gradients (src/testing/fixtures/optimizers.json).
  const amsgradReplays = loadGoldenCases().filter((c) => c.optimizer === "amsgrad" && c.mode === "replay");

  for (const threads of [1, 2]) {
    test(`AMSGrad on the tfjs heap (wasm, ${threads} thread${threads > 1 ? "s: shared" : ": plain"} memory) follows torch's golden trajectories`, async () => {
      await initBackend({ backend: "wasm", threads, quiet: true });
      assert.ok(amsgradReplays.length > 0, "the golden file has AMSGrad replays");
      for (const c of amsgradReplays) {
        const opt = createOptimizer("amsgrad", { ...c.options, fused: "compiled" });
        const x = tf.variable(tf.tensor1d(c.x0));
        c.grads.forEach((g, t) => {
          tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d(g) }));
          expectClose(x.dataSync(), c.expected[t], c.tolerance.rtol, c.tolerance.atol, `${c.id} step ${t + 1}`);
        });
        x.dispose();
        opt.dispose();
      }
    });
  }

  test("in place only when nothing else shares the buffers: a clone taken before the step keeps its values", async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const opt = createOptimizer("amsgrad", { learningRate: 0.1, fused: "compiled" });
    const x = tf.variable(tf.tensor1d([1, 1, 1, 1, 1]));
    const step = () => tf.tidy(() => opt.applyGradients({ [x.name]: tf.fill([5], 0.5) }));
    step(); // first step: in place
    const before = x.clone(); // shares x's buffer (reference count 2)
    step(); // must allocate new outputs, leaving `before` as it was
    // A constant g gives m = bc1·g and v̂ = bc2·g², so every step is lr·g/(|g| + ε) = 0.1 (to 2e-9).
    const [after1, after2] = [new Float32Array(5).fill(0.9), new Float32Array(5).fill(0.8)];
    expectClose(before.dataSync(), after1, 1e-6, 0, "clone after step 1");
    expectClose(x.dataSync(), after2, 1e-6, 0, "x after step 2");
    step(); // x's new buffer is its own again: in place
    expectClose(before.dataSync(), after1, 1e-6, 0, "clone after step 3");
    tf.dispose([before, x]);
    opt.dispose();
  });

  test("on copies: one Padam step, hand-worked (x = 1, g = 0.5, p = 1/8, lr = 0.1)", () => {
    const c = padamCoefficients({ ...PADAM_DEFAULTS, partial: 0.125 }, { t: 1, lr: 0.1, initialLr: 0.1 });
    const n = 6; // one SIMD block and a scalar tail
    const [x, m, v, vMax] = compiledStepOnArrays(
      c,
      new Float32Array(n).fill(1),
      new Float32Array(n).fill(0.5),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
    );
    // m = 0.1·0.5, v = 0.001·0.25, v̂ = v, x = 1 − 0.1·sqrt(0.001)/0.1·0.05/(0.0158114)^(1/4)
    expectClose(m, new Float32Array(n).fill(0.05), 1e-7, 0, "m");
    expectClose(v, new Float32Array(n).fill(0.00025), 1e-6, 0, "v");
    expectClose(vMax, new Float32Array(n).fill(0.00025), 1e-6, 0, "vMax");
    expectClose(x, new Float32Array(n).fill(0.9955411), 1e-6, 0, "x");
  });
});
