/**
 * The figure-export browser never outlives the process that started it: a child process exports
 * a figure and then ends in each way a notebook kernel can (its work done, process.exit, SIGTERM,
 * SIGKILL); afterwards no process whose command line names that run's Chromium profile may be
 * alive, and the profile folder is gone.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findChromium, PROFILE_PREFIX, removeStaleProfiles, shownPath } from "./export";
import { repoRoot } from "./env";

const CHILD = path.join(__dirname, "export-lifetime.child.ts");
const chromium = findChromium();

/** Pids of the processes whose command line contains `--user-data-dir=<profile>` (from /proc). */
function browsersUsing(profile: string): number[] {
  const needle = `--user-data-dir=${profile}`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(needle)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

interface ChildRun {
  profile: string;
  browsersWhileRunning: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the child in mode `how`; when `signal` is given, sends it once the figure is written. */
function runChild(how: "return" | "exit" | "wait", root: string, signal?: NodeJS.Signals): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, how, root], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let profile = "";
    let browsersWhileRunning = 0;
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (!profile && line) {
        profile = JSON.parse(line).profile;
        browsersWhileRunning = browsersUsing(profile).length;
        if (signal) child.kill(signal);
        else if (how === "exit") child.stdin.write("go\n");
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      if (!profile) reject(new Error(`the child printed no profile (exit ${code}, ${sig}): ${err}`));
      else resolve({ profile, browsersWhileRunning, code, signal: sig });
    });
  });
}

describe(
  "the figure-export browser",
  { skip: chromium ? false : "no Chromium on this machine (apt-get install chromium)" },
  () => {
    const cases: { how: "return" | "exit" | "wait"; signal?: NodeJS.Signals; title: string }[] = [
      { how: "return", title: "ends when the script has nothing left to do" },
      { how: "exit", title: "ends when the script calls process.exit with the browser open" },
      { how: "wait", signal: "SIGTERM", title: "ends on SIGTERM, and the process still dies of SIGTERM" },
      { how: "wait", signal: "SIGKILL", title: "ends when its process is killed outright (SIGKILL)" },
    ];
    for (const c of cases) {
      test(c.title, async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "padam-export-test-"));
        try {
          const r = await runChild(c.how, root, c.signal);
          assert.ok(path.basename(r.profile).startsWith(PROFILE_PREFIX), r.profile);
          assert.ok(r.browsersWhileRunning > 0, "the browser was running while the child was");
          if (c.signal) assert.equal(r.signal, c.signal);
          else assert.equal(r.code, 0);
          const gone = await waitUntil(() => browsersUsing(r.profile).length === 0, 10_000);
          assert.ok(gone, `Chromium still alive with ${r.profile}: pids ${browsersUsing(r.profile).join(", ")}`);
          // A killed process cannot remove its profile; the next export does (its pid is dead).
          if (c.signal === "SIGKILL") removeStaleProfiles(path.dirname(r.profile));
          assert.equal(fs.existsSync(r.profile), false, `${r.profile} is removed`);
        } finally {
          fs.rmSync(root, { recursive: true, force: true });
        }
      });
    }
  },
);

test("the printed figure path is never absolute", () => {
  assert.equal(shownPath(path.join(repoRoot(), "figures"), "00-quickstart", "curves"), "figures/00-quickstart/curves");
  assert.equal(
    shownPath(path.join(repoRoot(), ".cache", "nb-smoke", "figures"), "03", "f"),
    ".cache/nb-smoke/figures/03/f",
  );
  assert.equal(shownPath("/tmp/padam-nb-test-x/figures", "03", "f"), "figures/03/f");
  assert.equal(shownPath("/tmp/elsewhere/out/", "03", "f"), "out/03/f");
});
