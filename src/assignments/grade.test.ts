/**
 * The grader's logic without a kernel: matching a submission to its assignment, restoring locked
 * cells and flagging edits and deletions, scoring executed cells (a timeout keeps the checks that
 * ran), the feedback text taken from tslab's error output, and the class CSV. The end-to-end run
 * with the tslab kernel is scripts/grade.test.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { studentVersion } from "./build";
import { assemble, failureText, gradeFile, loadSources, matchSource, scoreCells, StudentReport } from "./grade";
import { Notebook, cellSource, nbgraderMeta, sourceLines, writeNotebook } from "./notebook";
import { classCsv } from "./report";

const SOURCES = loadSources(path.resolve(__dirname, "..", "..", "assignments"));
const A1 = SOURCES.find((s) => s.name.startsWith("A1-"))!;
const byId = (nb: Notebook, id: string) => nb.cells.findIndex((c) => nbgraderMeta(c)?.grade_id === id);

describe("grader logic", () => {
  it("matches a submission to the assignment it shares grade ids with", () => {
    for (const s of SOURCES) assert.equal(matchSource(studentVersion(s.nb), SOURCES)?.name, s.name);
    assert.equal(matchSource({ ...A1.nb, cells: [] }, SOURCES), null);
  });

  it("restores hidden checks, keeps the student's answers and added cells, flags edits and deletions", () => {
    const sub = studentVersion(A1.nb);
    const i = byId(sub, "a1-max-check");
    sub.cells[i] = { ...sub.cells[i], source: sourceLines("// no check") };
    sub.cells.splice(byId(sub, "a1-zero-check"), 1);
    sub.cells.splice(byId(sub, "a1-moments") + 1, 0, {
      cell_type: "code",
      source: "const scratch = 1;",
      metadata: {},
      outputs: [],
      execution_count: null,
    });
    const { nb, flags } = assemble(sub, A1.nb);
    assert.deepEqual(
      flags.map((f) => [f.id, f.problem]),
      [
        ["a1-max-check", "edited-locked-cell"],
        ["a1-zero-check", "deleted-cell"],
      ],
    );
    assert.match(cellSource(nb.cells[byId(nb, "a1-max-check")]), /checkRunningMax\(runningMax, \{ hidden: true \}\)/);
    assert.match(cellSource(nb.cells[byId(nb, "a1-zero-check")]), /checkLimitZero/);
    assert.match(cellSource(nb.cells[byId(nb, "a1-moments")]), /not implemented yet/);
    assert.equal(cellSource(nb.cells[byId(nb, "a1-moments") + 1]), "const scratch = 1;");
    assert.ok(
      nb.cells.every((c) => !/### (BEGIN|END)/.test(cellSource(c))),
      "no markers left to run",
    );
    // The instructor's own source notebook is not "edited".
    assert.deepEqual(assemble(A1.nb, A1.nb).flags, []);
  });

  it("keeps the checks that ran when the notebook times out, and quotes the check's message", () => {
    const nb = assemble(studentVersion(A1.nb), A1.nb).nb;
    const [m, f, d] = ["a1-moments-check", "a1-factor-check", "a1-den-check"].map((id) => byId(nb, id));
    const checks = scoreCells(nb, {
      status: "timeout",
      message: "",
      seconds: 1,
      timed_out_cell: d,
      cells: [
        { index: m, status: "ok", stdout: "✓ moments\n", stderr: "", error: "" },
        {
          index: f,
          status: "error",
          stdout: "",
          stderr:
            "/x/a1.js:116\n  throw new checks_1.CheckFailure(`${where}`);\n\nCheckFailure: step 1: 0.4217, expected 0.03162\n    at checkStepFactor (/x/a1.ts:1:1)\n",
          error: "",
        },
        { index: d, status: "not-run", stdout: "", stderr: "", error: "" },
      ],
    });
    const get = (id: string) => checks.find((c) => c.id === id)!;
    assert.deepEqual([get("a1-moments-check").earned, get("a1-moments-check").feedback], [2, "✓ moments"]);
    assert.deepEqual(
      [get("a1-factor-check").status, get("a1-factor-check").feedback],
      ["failed", "step 1: 0.4217, expected 0.03162"],
    );
    assert.deepEqual(
      [get("a1-den-check").status, get("a1-den-check").feedback],
      ["not-run", "the notebook ran out of time before this check"],
    );
    assert.equal(failureText("1:5 - Cannot find name 'foo'.\n", ""), "1:5 - Cannot find name 'foo'.");
    assert.equal(
      failureText("evalmachine:3\nTypeError: x is not a function\n  at y\n", ""),
      "TypeError: x is not a function",
    );
  });

  it("writes one CSV row per submission with a column per check", () => {
    const base: StudentReport = {
      student: "a,b",
      file: "f",
      assignment: "A1",
      status: "graded",
      message: "",
      score: 2,
      maxScore: 3,
      seconds: 1,
      flags: [],
      checks: [
        { id: "c1", points: 2, earned: 2, status: "passed", feedback: "" },
        { id: "c2", points: 1, earned: 0, status: "failed", feedback: "" },
      ],
    };
    const bad: StudentReport = {
      ...base,
      student: "z",
      assignment: null,
      status: "not-a-notebook",
      message: "z.txt is not a notebook\nmore",
      score: 0,
      maxScore: 0,
      checks: [],
    };
    assert.equal(
      classCsv([base, bad]),
      'student,assignment,score,max_score,status,flagged_cells,message,c1,c2\n"a,b",A1,2,3,graded,,,2,0\nz,,0,0,not-a-notebook,,z.txt is not a notebook,,\n',
    );
  });
});

describe("the executor process", () => {
  // The timeout turns a regression (the grader waiting for ever) into a failure.
  it(
    "an executor that dies and leaves a child holding its stderr does not hang the grader; the child is stopped",
    { timeout: 60000 },
    async () => {
      // A stand-in for python: it starts a long sleep that inherits stderr (as a kernel would), writes
      // its pid, says why on stderr and exits without a result.
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-grade-exec-"));
      const pidFile = path.join(tmp, "child.pid");
      const fake = path.join(tmp, "python");
      fs.writeFileSync(fake, `#!/bin/sh\nsleep 600 &\necho $! > ${pidFile}\necho "kernel died" >&2\nexit 3\n`, {
        mode: 0o755,
      });
      const sub = path.join(tmp, "student.ipynb");
      writeNotebook(sub, studentVersion(A1.nb));
      const t0 = Date.now();
      const report = await gradeFile(sub, "student", {
        sources: SOURCES,
        python: fake,
        env: process.env,
        libDir: tmp,
        nodeModules: tmp,
        timeoutS: 600,
      });
      assert.ok(Date.now() - t0 < 30000, `the grader waited ${Date.now() - t0} ms`);
      assert.equal(report.status, "kernel-error");
      assert.match(report.message, /^the executor exited with 3 without a result: kernel died$/);
      const pid = Number(fs.readFileSync(pidFile, "utf8"));
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(alive(), false, "the executor's child was left running");
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  );
});
