/**
 * `initBackend`: choose, load and report the TensorFlow.js backend once per process.
 *
 * Order: tfjs-node-gpu → tfjs-node → wasm → cpu (see `select.ts`); `initBackend({ backend })`
 * or the `PADAM_BACKEND` environment variable (`tensorflow`, `wasm`, `cpu`) request one. The
 * native packages are optional: they are not dependencies of this project (their install
 * downloads libtensorflow), so they are found at run time with `require.resolve`. GPU users
 * enable the fastest path with `npm install --no-save @tensorflow/tfjs-node-gpu@4.22.0`.
 */
import * as os from "node:os";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";
import { BackendRequest, CandidateName, LoadResult, Loaders, parseBackendRequest, selectBackend } from "./select";
import { registerTrainingKernels, TRAINING_KERNELS } from "./kernels/register";
import { useWasmThreads } from "./wasm_threads";
import { missingLibraries, missingLibrariesMessage } from "./cuda";

export interface InitBackendOptions {
  /** Requested backend; wins over `PADAM_BACKEND`. Default: automatic. */
  backend?: BackendRequest;
  /**
   * Threads for `wasm` (> 1 selects its threaded SIMD build, see wasm_threads.ts; at most 8).
   * Default: `PADAM_THREADS`, else 1. tfjs-node uses TensorFlow's own pool; `cpu` has one thread.
   */
  threads?: number;
  /** Do not print the one-line report (warnings about failed backends are still printed). */
  quiet?: boolean;
}

export interface BackendInfo {
  /** tfjs backend name now active: "tensorflow", "wasm" or "cpu". */
  name: string;
  /** Package that provides it. */
  candidate: CandidateName;
  /** Threads the backend computes with. */
  threads: number;
  /** wasm only: whether the SIMD build is used. */
  simd?: boolean;
  versions: { tfjs: string; node: string; backend?: string };
  /** How the backend was chosen. */
  source: "argument" | "env" | "auto";
  /** Why a requested or preferred backend was not used, if one was not. */
  fallbackReason?: string;
  /** Kernels this project added or replaced on the active backend. */
  addedKernels: string[];
}

let current: { key: string; promise: Promise<BackendInfo> } | undefined;
let info: BackendInfo | undefined;

/** The active backend's info, or undefined before `initBackend` has finished. */
export function backendInfo(): BackendInfo | undefined {
  return info;
}

function packageVersion(pkg: string): string | undefined {
  try {
    const file = require.resolve(`${pkg}/package.json`);
    return JSON.parse(fs.readFileSync(file, "utf8")).version as string;
  } catch {
    return undefined;
  }
}

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: string): Promise<void> {
  // setBackend resolves false (rather than throwing) when the backend's factory fails.
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend("${name}") failed to initialize the backend`);
  await tf.ready();
}

function nativeLoader(pkg: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node"): () => Promise<LoadResult> {
  return async () => {
    if (!installed(pkg)) return { status: "absent", detail: `${pkg} not installed` };
    const version = packageVersion(pkg);
    // This project maps @tensorflow/tfjs-node to a pure-JS shim (for danfojs); it is not native.
    if (version !== undefined && version.endsWith("-shim")) {
      return { status: "absent", detail: `${pkg} is the pure-JS shim ${version}` };
    }
    // Without CUDA 11.2/cuDNN 8.1 libtensorflow would only log and run on the CPU (cuda.ts).
    const missing = pkg === "@tensorflow/tfjs-node-gpu" ? missingLibraries() : [];
    if (missing.length > 0) throw new Error(missingLibrariesMessage(missing));

    require(pkg); // registers the "tensorflow" backend; throws if libtensorflow/CUDA cannot load
    if (tf.findBackendFactory("tensorflow") === null) {
      throw new Error(`${pkg}@${version} loaded but registered no "tensorflow" backend (a second tfjs-core copy?)`);
    }
    await activate("tensorflow");
    return { status: "loaded", backendName: "tensorflow", version };
  };
}

/**
 * Default thread count for `wasm`: `PADAM_THREADS`, else one per core (at most 8, the workers
 * the threaded build pre-creates), as PyTorch does. On an idle 2-core machine 2 threads train
 * fmnist-cnn at 567 vs 415 samples/s and ResNet-18 at 5.8 vs 3.2 (docs/performance.md); on a
 * machine whose cores are busy with other jobs they gain nothing, and `PADAM_THREADS=1` (or
 * `initBackend({ threads: 1 })`) selects the single-threaded build. The thread count is part of
 * the reported backend: runs are reproducible for the same backend and thread count.
 */
export function defaultThreads(): number {
  const env = process.env.PADAM_THREADS;
  if (env !== undefined && env.trim() !== "") {
    const n = Number(env);
    if (!(Number.isInteger(n) && n >= 1))
      throw new Error(`PADAM_THREADS = ${JSON.stringify(env)} must be a positive integer`);
    return n;
  }
  return Math.min(8, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
}

/** The real loaders; tests inject their own into `selectBackend`. */
export function defaultLoaders(threads = 1, warn: (line: string) => void = (l) => console.warn(l)): Loaders {
  return {
    "tfjs-node-gpu": nativeLoader("@tensorflow/tfjs-node-gpu"),
    "tfjs-node": nativeLoader("@tensorflow/tfjs-node"),
    wasm: async () => {
      if (threads > 1) {
        try {
          useWasmThreads(threads);
          await activate("wasm");
          return { status: "loaded", backendName: "wasm", version: tfwasm.version_wasm };
        } catch (e) {
          const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
          warn(`[padam] threaded wasm (${threads} threads) failed to start (${msg}); using 1 thread`);
        }
      }
      useWasmThreads(1);
      await activate("wasm");
      return { status: "loaded", backendName: "wasm", version: tfwasm.version_wasm };
    },
    cpu: async () => {
      await activate("cpu");
      // tfjs-backend-cpu prints a multi-line "install tfjs-node" banner on first write; our one
      // report line already says which backend runs and docs/performance.md says how to change it.
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      return { status: "loaded", backendName: "cpu", version: tf.version_core };
    },
  };
}

function threadsOf(name: string): number {
  if (name === "wasm") return tfwasm.getThreadsCount();
  if (name === "tensorflow") return os.availableParallelism();
  return 1; // the cpu backend runs kernels on the JS main thread
}

/** One line describing `i`, as printed by `initBackend`. */
export function formatBackendInfo(i: BackendInfo): string {
  const detail = [
    i.candidate === "tfjs-node-gpu" ? "GPU" : undefined,
    i.simd === undefined ? undefined : i.simd ? "SIMD" : "no SIMD",
    `${i.threads} thread${i.threads === 1 ? "" : "s"}`,
  ].filter((s) => s !== undefined);
  const pkg = i.versions.backend ? `, ${i.candidate} ${i.versions.backend}` : "";
  const why = i.source === "auto" ? "" : ` [${i.source === "env" ? "PADAM_BACKEND" : "requested"}]`;
  return `[padam] TensorFlow.js backend: ${i.name} (${detail.join(", ")})${why}; tfjs ${i.versions.tfjs}${pkg}; node ${i.versions.node}`;
}

/**
 * Selects and activates the backend, registers this project's extra kernels and gradients,
 * prints one report line (unless `quiet`) and returns the info. Idempotent: calls with the same
 * effective request return the same promise; a different request switches backend.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  if (opts.backend !== undefined) parseBackendRequest(opts.backend, "initBackend({ backend })");
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1 && opts.threads <= 8)) {
    throw new Error(`initBackend({ threads }) = ${opts.threads} must be an integer from 1 to 8`);
  }
  const env = process.env.PADAM_BACKEND;
  if (opts.backend === undefined && env !== undefined && env.trim() !== "")
    parseBackendRequest(env.trim(), "PADAM_BACKEND");
  const threads = opts.threads ?? defaultThreads();
  const key = JSON.stringify([opts.backend ?? env?.trim() ?? "", threads]);
  if (current !== undefined && current.key === key) return current.promise;
  const promise = (async () => {
    registerTrainingKernels();
    const sel = await selectBackend({ requested: opts.backend, env, loaders: defaultLoaders(threads) });
    const name = tf.getBackend();
    const result: BackendInfo = {
      name,
      candidate: sel.candidate,
      threads: threadsOf(name),
      versions: { tfjs: tf.version_core, node: process.version, backend: sel.version },
      source: sel.source,
      addedKernels: [...(TRAINING_KERNELS[name] ?? [])],
    };
    if (name === "wasm") result.simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
    if (sel.fallbackReason !== undefined) result.fallbackReason = sel.fallbackReason;
    info = result;
    if (!opts.quiet) console.log(formatBackendInfo(result));
    return result;
  })();
  current = { key, promise };
  // A failed attempt must not be cached: the next call tries again.
  promise.catch(() => {
    if (current?.promise === promise) current = undefined;
  });
  return promise;
}
