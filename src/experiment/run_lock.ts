/**
 * One writer per run directory: an exclusive lock file `<runDir>/.lock`, created with O_EXCL
 * (atomic on local filesystems and on NFS v3+), holding the owner's host, pid and start time.
 *
 * The owner refreshes the lock's modification time every {@link HEARTBEAT_MS} while it runs.
 * A lock is stale, and is taken over, when its owner is gone: on the same host, when no process
 * has its pid; on another host (a cluster node that died), when its heartbeat is older than
 * {@link STALE_AFTER_MS}. Taking over renames the stale file first, so of two processes that
 * find the same stale lock only one wins the rename and the other sees the new owner's lock.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";

/** How often an owner refreshes its lock. */
export const HEARTBEAT_MS = 30_000;
/** A lock from another host whose heartbeat is older than this is considered abandoned (10 heartbeats). */
export const STALE_AFTER_MS = 10 * HEARTBEAT_MS;

export interface LockOwner {
  host: string;
  pid: number;
  started: string;
}

/** Thrown when another live process holds the run's lock; sweeps skip such a run. */
export class RunLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner | undefined,
  ) {
    const who = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.started})` : "another process";
    super(
      `${lockPath}: this run is being written by ${who}; wait for it to finish. ` +
        `If that process is gone for good, delete ${lockPath} (a lock from a dead process on this host is recovered automatically).`,
    );
  }
}

export interface RunLock {
  readonly path: string;
  /** Removes the lock (idempotent). */
  release(): void;
}

/** The owner recorded in a lock file, or undefined when it is unreadable. */
export function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return undefined; // being written right now, or damaged: judged by its age below
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

/** Whether the lock at `path` held by `owner` is abandoned (see the module comment). */
export function isStale(path: string, owner: LockOwner | undefined, now: number): boolean {
  let age: number;
  try {
    age = now - statSync(path).mtimeMs;
  } catch {
    return false; // vanished: the next create attempt decides
  }
  if (owner && owner.host === hostname()) return !processAlive(owner.pid);
  return age > STALE_AFTER_MS;
}

/**
 * Takes the lock of `runDir` (creating the directory), or throws {@link RunLockedError} when a
 * live process holds it. A stale lock is recovered, and `onNote` is told so.
 */
export function acquireRunLock(runDir: string, onNote: (message: string) => void = () => {}): RunLock {
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, ".lock");
  const me: LockOwner = { host: hostname(), pid: process.pid, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = readOwner(path);
      if (owner && owner.host === me.host && owner.pid === me.pid) {
        throw new Error(
          `${path}: this process already holds the lock of this run (runExperiment called twice for one run at the same time)`,
          { cause: e },
        );
      }
      if (!isStale(path, owner, Date.now())) throw new RunLockedError(path, owner);
      const aside = `${path}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
        onNote(
          `recovered the stale lock of ${owner ? `process ${owner.pid} on ${owner.host}` : "an unknown process"} (${path})`,
        );
      } catch {
        // another process recovered it first; try again against its lock
      }
      continue;
    }
    writeSync(fd, JSON.stringify(me) + "\n");
    closeSync(fd);
    return ownLock(path);
  }
  throw new RunLockedError(path, readOwner(path));
}

function ownLock(path: string): RunLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // the lock was removed by hand; nothing to refresh
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.off("exit", release);
    rmSync(path, { force: true });
    try {
      rmdirSync(dirname(path)); // a run directory the process created but wrote nothing into
    } catch {
      // not empty: the run's records stay
    }
  };
  // A process that exits without reaching its `finally` (process.exit in a signal handler) still frees the run.
  process.on("exit", release);
  return { path, release };
}
