import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertRunsDir, RunsDirError } from "./runs_dir";

const HAS_PROC = existsSync("/proc/self");
const IS_ROOT = process.getuid?.() === 0;

describe("assertRunsDir", () => {
  test("an absent directory is created with its missing parents and left empty", () => {
    const root = mkdtempSync(join(tmpdir(), "padam-runsdir-"));
    const dir = join(root, "a", "b");
    assert.equal(assertRunsDir(dir), dir);
    assert.ok(statSync(dir).isDirectory());
    assert.deepEqual(readdirSync(dir), [], "the write test leaves nothing behind");
  });

  test("an existing directory is accepted and its contents are untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "padam-runsdir-"));
    writeFileSync(join(dir, "keep.txt"), "x");
    assertRunsDir(dir);
    assert.deepEqual(readdirSync(dir), ["keep.txt"]);
  });

  test("a regular file, or a path below one, is refused naming the file", () => {
    const root = mkdtempSync(join(tmpdir(), "padam-runsdir-"));
    const file = join(root, "runs");
    writeFileSync(file, "");
    assert.throws(
      () => assertRunsDir(file),
      (e: Error) => e instanceof RunsDirError && e.message === `runs directory ${file} is not a directory`,
    );
    assert.throws(() => assertRunsDir(join(file, "sub")), {
      message: `runs directory ${join(file, "sub")} cannot be created: ${file} is not a directory`,
    });
  });

  test(
    "a device is refused as not a directory",
    { skip: existsSync("/dev/null") ? false : "no /dev/null on this platform" },
    () => {
      assert.throws(() => assertRunsDir("/dev/null"), { message: "runs directory /dev/null is not a directory" });
    },
  );

  test(
    "a directory without write permission is refused",
    { skip: IS_ROOT ? "root ignores permission bits (the /proc case covers an unwritable directory for root)" : false },
    () => {
      const dir = mkdtempSync(join(tmpdir(), "padam-runsdir-"));
      chmodSync(dir, 0o555);
      try {
        assert.throws(() => assertRunsDir(dir), {
          message: new RegExp(`^runs directory ${dir} is not writable: creating an entry in it failed with EACCES`),
        });
        assert.throws(() => assertRunsDir(join(dir, "new")), {
          message: new RegExp(
            `^runs directory ${join(dir, "new")} cannot be created: mkdir ${join(dir, "new")} failed with EACCES`,
          ),
        });
      } finally {
        chmodSync(dir, 0o755);
      }
    },
  );

  // In a child process with a time limit: Node's recursive mkdir never returns for /proc/x.
  test("/proc/x and /proc are refused within seconds", { skip: HAS_PROC ? false : "no /proc on this platform" }, () => {
    const script = `const { assertRunsDir } = require(${JSON.stringify(join(__dirname, "runs_dir.ts"))});
      for (const d of ["/proc/x", "/proc/x/y", "/proc"]) { try { assertRunsDir(d); console.log("accepted " + d); } catch (e) { console.log(e.message); } }`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.error, undefined, `finished in time (${r.error?.message})`);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "runs directory /proc/x cannot be created: mkdir /proc/x failed with ENOENT (no such file or directory)",
      "runs directory /proc/x/y cannot be created: mkdir /proc/x failed with ENOENT (no such file or directory)",
      "runs directory /proc is not writable: creating an entry in it failed with ENOENT (no such file or directory)",
    ]);
  });

  test("a relative path is resolved against the working directory", () => {
    const root = mkdtempSync(join(tmpdir(), "padam-runsdir-"));
    mkdirSync(join(root, "cwd"));
    const cwd = process.cwd();
    process.chdir(join(root, "cwd"));
    try {
      assert.equal(assertRunsDir("runs"), join(root, "cwd", "runs"));
    } finally {
      process.chdir(cwd);
    }
  });
});
