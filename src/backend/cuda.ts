/**
 * What `@tensorflow/tfjs-node-gpu` 4.x needs from the machine, and the one-line reason when it
 * is missing. Its libtensorflow is built against CUDA 11.2 and cuDNN 8.1 (the versions the tfjs
 * maintainers give, tensorflow/tfjs#8362), so it opens `libcudart.so.11.0` and `libcudnn.so.8`.
 * A CUDA 12 machine has neither: libtensorflow then only logs "Could not load dynamic library"
 * and runs on the CPU, so the GPU package is not loaded at all when they are absent and the
 * selection falls back with the reason below (tfjs-node, else wasm).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

/** The CUDA toolkit and cuDNN versions tfjs-node-gpu 4.x is built for. */
export const TFJS_GPU_REQUIREMENT = { cuda: "11.2", cudnn: "8.1" } as const;

/** Shared libraries tfjs-node-gpu 4.x opens at start (Linux names). */
export const TFJS_GPU_LIBRARIES = ["libcudart.so.11.0", "libcudnn.so.8"] as const;

/** Folders searched besides the dynamic linker cache: `LD_LIBRARY_PATH`, then the usual CUDA places. */
export function libraryDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? "").split(":").filter((d) => d !== "");
  return [
    ...fromEnv,
    "/usr/local/cuda/lib64",
    "/usr/local/cuda/targets/x86_64-linux/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
  ];
}

/** The dynamic linker cache listing (`ldconfig -p`), or "" where it cannot be read. */
function linkerCache(): string {
  for (const bin of ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]) {
    try {
      return execFileSync(bin, ["-p"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      // try the next location
    }
  }
  return "";
}

/**
 * The libraries of `wanted` that neither the linker cache (`ldconfig -p` text) nor any of `dirs`
 * holds. Linux only: elsewhere the loader's own error is reported unchanged, so [] is returned.
 */
export function missingLibraries(
  wanted: readonly string[] = TFJS_GPU_LIBRARIES,
  dirs: string[] = libraryDirs(),
  cache: string = process.platform === "linux" ? linkerCache() : "",
  platform: string = process.platform,
): string[] {
  if (platform !== "linux") return [];
  const cached = new Set(cache.split("\n").map((l) => l.trim().split(/\s+/)[0]));
  return wanted.filter((lib) => !cached.has(lib) && !dirs.some((d) => fs.existsSync(path.join(d, lib))));
}

/** The requirement, in words, appended to every GPU load failure. */
export function gpuRequirement(): string {
  const { cuda, cudnn } = TFJS_GPU_REQUIREMENT;
  return `@tensorflow/tfjs-node-gpu 4.x needs CUDA ${cuda} and cuDNN ${cudnn} (CUDA 12 lacks libcudart.so.11.0; see README, Backends)`;
}

/** The one-line reason for libraries that are missing, e.g. "libcudart.so.11.0 not found; ...". */
export function missingLibrariesMessage(missing: string[]): string {
  return `${missing.join(", ")} not found (linker cache, LD_LIBRARY_PATH); ${gpuRequirement()}`;
}

/**
 * A GPU load error explained: when it names a shared library that could not be opened, the
 * library and the required versions are added; other errors are returned unchanged.
 */
export function explainGpuLoadError(detail: string): string {
  const lib = /(lib[\w+.-]*\.so[\w.]*): cannot open shared object file/.exec(detail)?.[1];
  return lib === undefined ? detail : `${lib} could not be opened (${detail}); ${gpuRequirement()}`;
}
