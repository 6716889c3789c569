/**
 * Provenance of a run (`provenance.json`): which code made its numbers, on what, and how long it
 * took. The code is identified twice: by the git revision (with a flag for uncommitted changes)
 * and by {@link sourceHash}, a hash of exactly the sources that determine a run's numbers, so a
 * stored run can be told apart from what today's code would compute ({@link isStale}).
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cpus, hostname, platform, release, totalmem } from "node:os";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../util/paths";
import { backendInfo, type BackendInfo } from "../backend/init";

/**
 * The files whose contents determine a run's metrics, given its config, backend and threads:
 * optimizers, models, data loading and augmentation, backend kernels, random numbers and the
 * training loop. Run bookkeeping (locks, plans, the store, the CLI) is deliberately outside, so
 * changing it does not make stored evidence stale. Tests are excluded.
 */
export const DETERMINING_SOURCES = [
  "src/optim",
  "src/models",
  "src/datasets",
  "src/backend",
  "src/util/random.ts",
  "src/experiment/runner.ts",
  "src/experiment/data.ts",
  "src/experiment/task.ts",
] as const;

/**
 * Files inside those folders that cannot change a run's numbers: where data sets are found and
 * what is said when they are not, building image folders for notebook 05, compute-cost counts.
 */
export const NOT_DETERMINING = [
  "src/datasets/availability.ts",
  "src/datasets/manifest.ts",
  "src/datasets/image_folder_build.ts",
  "src/models/cost.ts",
] as const;

/** Packages whose code computes the numbers: their resolved versions (from package-lock.json) enter the hash. */
export const DETERMINING_PACKAGES = [
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-layers",
  "@tensorflow/tfjs-backend-cpu",
  "@tensorflow/tfjs-backend-wasm",
] as const;

const SOURCE_FILE = /\.(ts|c|h|wasm|json)$/;

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)))
    .filter((f) => SOURCE_FILE.test(f) && !f.endsWith(".test.ts"));
}

/** The resolved versions of {@link DETERMINING_PACKAGES} in `root`'s package-lock.json (absent when there is none). */
function lockedVersions(root: string): Record<string, string | undefined> {
  const lock = join(root, "package-lock.json");
  if (!existsSync(lock)) return {};
  const packages =
    (JSON.parse(readFileSync(lock, "utf8")) as { packages?: Record<string, { version?: string }> }).packages ?? {};
  return Object.fromEntries(DETERMINING_PACKAGES.map((name) => [name, packages[`node_modules/${name}`]?.version]));
}

let cachedHash: string | undefined;

/** SHA-256 (first 16 hex digits) over the path and bytes of every determining source, in a fixed order. */
export function sourceHash(root: string = REPO_ROOT): string {
  if (root === REPO_ROOT && cachedHash) return cachedHash;
  const hash = createHash("sha256");
  const skip = new Set(NOT_DETERMINING.map((f) => join(root, f)));
  for (const entry of DETERMINING_SOURCES) {
    for (const file of filesUnder(join(root, entry)).filter((f) => !skip.has(f))) {
      hash.update(relative(root, file).split("\\").join("/") + "\0");
      hash.update(readFileSync(file));
      hash.update("\0");
    }
  }
  hash.update(JSON.stringify(lockedVersions(root)));
  const digest = hash.digest("hex").slice(0, 16);
  if (root === REPO_ROOT) cachedHash = digest;
  return digest;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

export interface Provenance {
  runId: string;
  /** git HEAD when the run started, and whether the determining sources had uncommitted changes. */
  revision?: string;
  dirty?: boolean;
  sourceHash: string;
  backend?: Pick<BackendInfo, "name" | "candidate" | "threads" | "simd" | "versions">;
  packages: Record<string, string | undefined>;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; host: string };
  /** Cluster context, when the run was made by a SLURM job. */
  slurm?: { jobId?: string; arrayJobId?: string; arrayTaskId?: string; node?: string };
  created: string;
  /**
   * Each process that trained part of the run: when, how many epochs, where (`host`, `slurm`: a
   * requeued run may continue on another node), and under which determining sources
   * (`sourceHash`; absent in older records, where the run's own applies).
   */
  sessions: {
    sourceHash?: string;
    started: string;
    ended?: string;
    epochs: number;
    wallMs?: number;
    host?: string;
    slurm?: Provenance["slurm"];
  }[];
  /** Total training wall time over all sessions, in milliseconds. */
  wallMs: number;
  /** Re-executions under other sources that reproduced the run (`npm run reproduce -- --verify`). */
  verified?: { sourceHash: string; date: string; epochs: number; backend: string; identical: boolean }[];
}

function packageVersion(name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version as string;
  } catch {
    return undefined;
  }
}

/** The SLURM job this process runs in, if any. */
function slurmContext(): Provenance["slurm"] {
  const env = process.env;
  return env.SLURM_JOB_ID
    ? {
        jobId: env.SLURM_JOB_ID,
        arrayJobId: env.SLURM_ARRAY_JOB_ID,
        arrayTaskId: env.SLURM_ARRAY_TASK_ID,
        node: env.SLURMD_NODENAME,
      }
    : undefined;
}

/** A new session of this process: no epochs yet, with its host and SLURM job. */
function session(started: string): Provenance["sessions"][number] {
  const slurm = slurmContext();
  return { sourceHash: sourceHash(), started, epochs: 0, host: hostname(), ...(slurm ? { slurm } : {}) };
}

/** The provenance of a run starting now in this process (one open session, no wall time yet). */
export function newProvenance(runId: string): Provenance {
  const info = backendInfo();
  const dirty = git(["status", "--porcelain", "--", ...DETERMINING_SOURCES]);
  const slurm = slurmContext();
  const started = new Date().toISOString();
  return {
    runId,
    revision: git(["rev-parse", "HEAD"]),
    dirty: dirty === undefined ? undefined : dirty !== "",
    sourceHash: sourceHash(),
    backend: info && {
      name: info.name,
      candidate: info.candidate,
      threads: info.threads,
      simd: info.simd,
      versions: info.versions,
    },
    packages: {
      node: process.version,
      "@tensorflow/tfjs": packageVersion("@tensorflow/tfjs"),
      "@tensorflow/tfjs-backend-wasm": packageVersion("@tensorflow/tfjs-backend-wasm"),
    },
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()}`,
      host: hostname(),
    },
    ...(slurm ? { slurm } : {}),
    created: started,
    sessions: [session(started)],
    wallMs: 0,
  };
}

/** `previous` with a new open session for this process (a resumed run). */
export function resumeProvenance(previous: Provenance | undefined, runId: string): Provenance {
  if (!previous) return { ...newProvenance(runId), created: "unknown (provenance.json was absent on resume)" };
  return { ...previous, sessions: [...previous.sessions, session(new Date().toISOString())] };
}

/** `p` after one more finished epoch, the open session having trained for `sessionWallMs` so far. */
export function recordEpoch(p: Provenance, sessionWallMs: number): Provenance {
  const sessions = p.sessions.slice();
  const last = sessions[sessions.length - 1];
  sessions[sessions.length - 1] = {
    ...last,
    ended: new Date().toISOString(),
    epochs: last.epochs + 1,
    wallMs: sessionWallMs,
  };
  return { ...p, sessions, wallMs: sessions.reduce((sum, s) => sum + (s.wallMs ?? 0), 0) };
}

/**
 * Whether a stored run's numbers are what today's sources compute: "current" when the
 * determining sources are the run's own; "verified" when they differ but a re-execution under
 * today's sources reproduced all of its epochs; "stale" otherwise (or without provenance).
 */
export function freshness(
  p: Pick<Provenance, "sourceHash" | "verified" | "sessions"> | undefined,
): "current" | "verified" | "stale" {
  if (!p) return "stale";
  const now = sourceHash();
  // A run resumed under other sources than it started with is as stale as one made entirely by them.
  const made = new Set([p.sourceHash, ...p.sessions.map((s) => s.sourceHash ?? p.sourceHash)]);
  if (made.size === 1 && made.has(now)) return "current";
  const epochs = p.sessions.reduce((n, s) => n + s.epochs, 0);
  return (p.verified ?? []).some((v) => v.sourceHash === now && v.epochs >= epochs) ? "verified" : "stale";
}
