/**
 * The check a runs directory passes before any work starts: it is created when absent and must
 * then be a directory this process can create files in. Every failure names the path and the
 * reason, and answers at once (no data is loaded, nothing retries).
 */
import { mkdirSync, mkdtempSync, rmdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Why a path cannot be used as a runs directory. */
export class RunsDirError extends Error {}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code
    ? `${err.code} (${err.message.replace(/^\w+: /, "").replace(/, \w+ '.*'$/, "")})`
    : String(err.message ?? e);
}

/**
 * Creates the missing folders of `dir` one level at a time, outermost first. Node's
 * `mkdirSync(dir, { recursive: true })` is not used: on Node 20 it never returns for a path
 * inside /proc (for example /proc/x), where mkdir fails with ENOENT although the parent exists.
 */
function createMissing(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (statOrUndefined(at) === undefined) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  const existing = statOrUndefined(at);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new RunsDirError(`runs directory ${dir} cannot be created: ${at} is not a directory`);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new RunsDirError(`runs directory ${dir} cannot be created: mkdir ${d} failed with ${reason(e)}`);
    }
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined; // absent, or below a file (reported by the caller)
    throw new RunsDirError(`runs directory ${path} cannot be inspected: ${reason(e)}`);
  }
}

/**
 * Makes sure `dir` (resolved against the working directory) is a writable directory, creating it
 * and its missing parents if needed; returns the absolute path. Writability is tested by creating
 * and removing an empty folder in it, since permission bits do not tell (root, read-only mounts,
 * /proc and /sys accept the permission test but refuse new entries).
 * @throws RunsDirError naming the path and the reason
 */
export function assertRunsDir(dir: string): string {
  const abs = resolve(dir);
  const st = statOrUndefined(abs);
  if (st === undefined) createMissing(abs);
  else if (!st.isDirectory()) throw new RunsDirError(`runs directory ${abs} is not a directory`);
  let probe: string;
  try {
    probe = mkdtempSync(join(abs, ".write-test-"));
  } catch (e) {
    throw new RunsDirError(`runs directory ${abs} is not writable: creating an entry in it failed with ${reason(e)}`);
  }
  rmdirSync(probe);
  return abs;
}
