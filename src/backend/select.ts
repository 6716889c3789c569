/**
 * Backend selection as a pure function over injected loaders.
 *
 * Order of preference (fastest first): `tensorflow` through `@tensorflow/tfjs-node-gpu`
 * (libtensorflow with CUDA), `tensorflow` through `@tensorflow/tfjs-node` (libtensorflow on
 * the CPU), `wasm` (`@tensorflow/tfjs-backend-wasm`, XNNPACK kernels) and `cpu` (pure JS,
 * always available). A request (function argument, else the `PADAM_BACKEND` environment
 * variable) moves the requested backend to the front; the rest of the order stays as the
 * fallback chain. A loader that is not installed is skipped silently; a loader that is
 * installed but throws (e.g. CUDA libraries missing) produces exactly one warning line and the
 * next candidate is tried; for the GPU package that line names the library that could not be
 * opened and the CUDA/cuDNN versions it needs (`cuda.ts`). Only if even `cpu` fails does
 * selection throw.
 *
 * Nothing here imports tfjs: the caller passes loaders, which keeps the logic testable.
 */
import { explainGpuLoadError } from "./cuda";

/** Backend names a user may request (`PADAM_BACKEND` values). */
export type BackendRequest = "tensorflow" | "wasm" | "cpu";

/** The concrete candidates, in default order of preference. */
export type CandidateName = "tfjs-node-gpu" | "tfjs-node" | "wasm" | "cpu";

/** Default order of preference (issue: tfjs-node-gpu, tfjs-node, wasm, cpu). */
export const DEFAULT_ORDER: readonly CandidateName[] = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"];

/** Values accepted for a request; anything else is refused before work starts. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ["tensorflow", "wasm", "cpu"];

/** What a loader reports: not installed (skip silently) or loaded (tfjs backend name + version). */
export type LoadResult =
  { status: "absent"; detail?: string } | { status: "loaded"; backendName: string; version?: string };

/** A loader tries to make its candidate usable; it may throw, which counts as a load failure. */
export type Loader = () => Promise<LoadResult> | LoadResult;

export type Loaders = Record<CandidateName, Loader>;

export interface SelectionInput {
  /** Explicit request from code; wins over `env`. */
  requested?: BackendRequest;
  /** Value of `PADAM_BACKEND` (undefined or "" = automatic). */
  env?: string;
  loaders: Loaders;
  /** Receives each warning line (one per failed candidate). */
  warn?: (line: string) => void;
}

export interface SelectionResult {
  candidate: CandidateName;
  /** tfjs backend name to pass to `tf.setBackend` ("tensorflow", "wasm", "cpu"). */
  backendName: string;
  version?: string;
  /** Where the request came from. */
  source: "argument" | "env" | "auto";
  /** Set when a requested or preferred candidate failed to load and a later one was used. */
  fallbackReason?: string;
  /** Candidates tried before the chosen one, with the outcome of each. */
  tried: { candidate: CandidateName; outcome: "absent" | "failed"; detail: string }[];
}

/** Candidates that serve a request, in the order to try them. */
const SERVES: Record<BackendRequest, CandidateName[]> = {
  tensorflow: ["tfjs-node-gpu", "tfjs-node"],
  wasm: ["wasm"],
  cpu: ["cpu"],
};

/** Validates a request string; throws an Error naming the input, its value and what is allowed. */
export function parseBackendRequest(value: string, inputName: string): BackendRequest {
  if ((BACKEND_REQUESTS as readonly string[]).includes(value)) return value as BackendRequest;
  throw new Error(
    `${inputName} = ${JSON.stringify(value)} is not a backend; allowed: ${BACKEND_REQUESTS.join(", ")} ` +
      `(or leave it unset for automatic selection)`,
  );
}

/**
 * The order in which candidates are tried for a request: the candidates serving the request
 * first, then the remaining defaults after the last of them (a failed `tensorflow` request
 * falls back to `wasm`, then `cpu`; a failed `wasm` request to `cpu`). A request never falls
 * back to a faster backend than the one asked for, since the user may be avoiding it.
 */
export function candidateOrder(request?: BackendRequest): CandidateName[] {
  if (request === undefined) return [...DEFAULT_ORDER];
  const first = SERVES[request];
  const lastIndex = Math.max(...first.map((c) => DEFAULT_ORDER.indexOf(c)));
  return [...first, ...DEFAULT_ORDER.slice(lastIndex + 1)];
}

function describeError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // Native load errors can span many lines (dlopen traces); keep the warning to one line.
  const firstLine = msg.split("\n").find((l) => l.trim() !== "") ?? msg;
  return firstLine.length > 200 ? firstLine.slice(0, 197) + "..." : firstLine;
}

/** Tries candidates in order and returns the first that loads. See the module comment. */
export async function selectBackend(input: SelectionInput): Promise<SelectionResult> {
  let request: BackendRequest | undefined;
  let source: SelectionResult["source"] = "auto";
  if (input.requested !== undefined) {
    request = parseBackendRequest(input.requested, "initBackend({ backend })");
    source = "argument";
  } else if (input.env !== undefined && input.env.trim() !== "") {
    request = parseBackendRequest(input.env.trim(), "PADAM_BACKEND");
    source = "env";
  }
  const warn = input.warn ?? ((line: string) => console.warn(line));
  const order = candidateOrder(request);
  const tried: SelectionResult["tried"] = [];
  for (const candidate of order) {
    let result: LoadResult;
    try {
      result = await input.loaders[candidate]();
    } catch (e) {
      const detail = candidate === "tfjs-node-gpu" ? explainGpuLoadError(describeError(e)) : describeError(e);
      tried.push({ candidate, outcome: "failed", detail });
      const next = order[order.indexOf(candidate) + 1];
      warn(
        `[padam] backend ${candidate} is installed but failed to load (${detail}); ` +
          (next ? `falling back to ${next}` : "no backend left"),
      );
      continue;
    }
    if (result.status === "absent") {
      tried.push({ candidate, outcome: "absent", detail: result.detail ?? "not installed" });
      continue;
    }
    const failedOrMissingRequest =
      request !== undefined && !SERVES[request].includes(candidate)
        ? `requested ${request} (${source === "env" ? "PADAM_BACKEND" : "argument"}) unavailable: ` +
          tried
            .map((t) => `${t.candidate} ${t.outcome === "absent" ? "not installed" : "failed: " + t.detail}`)
            .join("; ")
        : undefined;
    const failedPreferred = tried.filter((t) => t.outcome === "failed");
    let fallbackReason = failedOrMissingRequest;
    if (fallbackReason === undefined && failedPreferred.length > 0) {
      fallbackReason = failedPreferred.map((t) => `${t.candidate} failed: ${t.detail}`).join("; ");
    }
    if (failedOrMissingRequest !== undefined && !tried.some((t) => t.outcome === "failed")) {
      // The requested backend was simply not installed: no load warning was printed yet, but the
      // user asked for it, so say once that the choice was not honoured.
      warn(`[padam] ${failedOrMissingRequest}; using ${candidate}`);
    }
    return { candidate, backendName: result.backendName, version: result.version, source, fallbackReason, tried };
  }
  throw new Error(
    `no TensorFlow.js backend could be loaded (tried ${tried.map((t) => `${t.candidate}: ${t.detail}`).join("; ")})`,
  );
}
