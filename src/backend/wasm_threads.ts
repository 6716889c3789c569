/**
 * The multi-threaded SIMD build of the `wasm` backend, in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` ships `tfjs-backend-wasm-threaded-simd.wasm` (XNNPACK with a
 * pthreadpool) but never uses it in Node: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired
 * to false there (tensorflow/tfjs#3830), and its loader hands Emscripten a `blob:` URL for the
 * pthread worker script, which Node's `worker_threads` cannot start. The Emscripten output
 * itself supports Node pthreads (it uses `worker_threads` when it detects Node). So this module
 * instantiates that build directly: the worker script is written to a file in the OS temp
 * directory, the main script is given by its path, and the resulting module is wrapped in the
 * package's own `BackendWasm` class, registered under the name `wasm` so all wasm kernels apply.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";

const BUILD = "tfjs-backend-wasm-threaded-simd";

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: unknown;
}

function wasmOutDir(): string {
  return path.dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${BUILD}.js`));
}

/** Writes the pthread worker script once per package version; returns its path. */
function workerScript(dir: string): string {
  const { wasmWorkerContents: raw } = require(path.join(dir, `${BUILD}.worker.js`)) as { wasmWorkerContents: string };
  // The script is stored in a template literal, which turned its "\n" escapes into real line
  // breaks inside string literals; restore them (the package's own loader does the same).
  const wasmWorkerContents = raw.replace(/\n/g, "\\n");
  const file = path.join(os.tmpdir(), `padam-${BUILD}-${tfwasm.version_wasm}-${process.getuid?.() ?? 0}.worker.js`);
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== wasmWorkerContents) {
    // Write to a unique name and rename, so concurrent processes never see a partial file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, wasmWorkerContents);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Instantiates the threaded SIMD module with the cwrapped entry points `BackendWasm` expects. */
async function instantiate(threads: number): Promise<EmscriptenModule> {
  const dir = wasmOutDir();

  const factory = require(path.join(dir, `${BUILD}.js`)) as (config: object) => Promise<EmscriptenModule>;
  const worker = workerScript(dir);
  // The C++ side caps the thread pool at emscripten_num_logical_cores() / 2 (it assumes two
  // hyper-threads per core), read once while the module starts; in Node that is
  // require("os").cpus().length. Report 2·threads logical cores during start-up so the cap is
  // the requested count.

  const osModule = require("os") as { cpus: () => os.CpuInfo[] };
  const cpus = osModule.cpus;
  const one = cpus()[0];
  osModule.cpus = () => Array.from({ length: 2 * threads }, () => one);
  let module: EmscriptenModule;
  try {
    module = await factory({
      locateFile: (file: string, prefix: string) =>
        file.endsWith(".worker.js") ? worker : file.endsWith(".wasm") ? path.join(dir, `${BUILD}.wasm`) : prefix + file,
      // Each pthread worker evaluates the main script from this path (importScripts in the worker).
      mainScriptUrlOrBlob: path.join(dir, `${BUILD}.js`),
    });
  } finally {
    osModule.cpus = cpus;
  }
  // Same entry points as the package's own loader (backend_wasm.ts, init()).
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  return module;
}

interface WorkerLike {
  unref?: () => void;
}
type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
let packageFactory: Factory | undefined;
let activeThreads = 1;

/**
 * Registers the `wasm` backend factory for `threads` threads: the threaded SIMD build for
 * threads > 1, the package's own loader for 1. An already initialised `wasm` backend is
 * removed (its tensors are lost), so call this before creating tensors on `wasm`.
 */
export function useWasmThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`threads = ${threads} must be a positive integer`);
  if (packageFactory === undefined) {
    const f = tf.findBackendFactory("wasm");
    if (f === null) throw new Error("the wasm backend is not registered (import @tensorflow/tfjs-backend-wasm)");
    packageFactory = f as Factory;
  }
  if (threads === activeThreads && tf.findBackendFactory("wasm") !== null) return;
  tf.removeBackend("wasm");
  tfwasm.setThreadsCount(threads);
  const factory: Factory =
    threads === 1
      ? packageFactory
      : async () => {
          const module = await instantiate(threads);
          const backend = new tfwasm.BackendWasm(module as never); // starts the pool's threads
          // The pool's threads wait forever for work, and Emscripten keeps their workers
          // referenced, which would keep Node from exiting; unreferenced, they end with the process.
          const pthread = (module as { PThread?: { runningWorkers: WorkerLike[]; unusedWorkers: WorkerLike[] } })
            .PThread;
          for (const w of [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]) w.unref?.();
          return backend as unknown as tf.KernelBackend;
        };
  tf.registerBackend("wasm", factory, 2);
  activeThreads = threads;
}
