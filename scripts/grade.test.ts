/**
 * The grader end to end, with the tslab kernel (about a minute: one kernel per submission, two at
 * a time). Submissions: each solution notebook, each student version as handed out, A1 with the
 * bias factor (1−β2^t)^p instead of the official sqrt(1−β2^t), A1 with an edited locked cell, A1
 * that hangs, a text file and a broken notebook.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { executableVersion, listSources, studentVersion } from "../src/assignments/build";
import type { StudentReport } from "../src/assignments/grade";
import { Notebook, cellSource, gradeCells, nbgraderMeta, readNotebook, sourceLines, writeNotebook } from "../src/assignments/notebook";

const REPO = path.resolve(__dirname, "..");
const SOURCES = listSources(path.join(REPO, "assignments"));
const A1 = SOURCES.find((f) => path.basename(f).startsWith("A1-"))!;

/** The student version with every exercise answered by the instructor's solution. */
function answered(file: string): Notebook {
  const src = readNotebook(file);
  const exec = executableVersion(src);
  const nb = studentVersion(src);
  nb.cells.forEach((c, i) => {
    if (nbgraderMeta(c)?.solution) c.source = exec.cells[i].source;
  });
  return nb;
}

function editCell(nb: Notebook, id: string, edit: (text: string) => string): Notebook {
  const c = nb.cells.find((x) => nbgraderMeta(x)?.grade_id === id);
  assert.ok(c, `cell ${id} exists`);
  const before = cellSource(c);
  c.source = sourceLines(edit(before));
  assert.notEqual(cellSource(c), before, `the edit of ${id} changed it`);
  return nb;
}

const points = (file: string) => new Map(gradeCells(readNotebook(file)).map((g) => [g.id, g.points]));
const total = (file: string) => [...points(file).values()].reduce((a, b) => a + b, 0);

describe("npm run grade", { timeout: 600_000 }, () => {
  let dir = "";
  let reports = new Map<string, StudentReport>();
  let csv = "";
  let stdout = "";

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "grade-test-"));
    const subs = path.join(dir, "subs");
    fs.mkdirSync(subs);
    for (const f of SOURCES) {
      const name = path.basename(f, ".ipynb").split("-")[0];
      fs.copyFileSync(f, path.join(subs, `solution-${name}.ipynb`));
      writeNotebook(path.join(subs, `student-${name}.ipynb`), studentVersion(readNotebook(f)));
    }
    writeNotebook(
      path.join(subs, "wrongbias.ipynb"),
      editCell(answered(A1), "a1-factor", (t) => t.replace("Math.sqrt(1 - Math.pow(hp.beta2, t))", "Math.pow(1 - Math.pow(hp.beta2, t), hp.partial)")),
    );
    writeNotebook(path.join(subs, "edited.ipynb"), editCell(answered(A1), "a1-max-check", () => 'console.log("all good");'));
    writeNotebook(path.join(subs, "hang.ipynb"), editCell(answered(A1), "a1-den", (t) => t.replace("{\n", "{\n  while (true) {}\n")));
    fs.writeFileSync(path.join(subs, "notes.txt"), "my answers are in my head\n");
    fs.writeFileSync(path.join(subs, "broken.ipynb"), '{"cells": [');
    const out = path.join(dir, "out");
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "grade.ts"), subs, "--out", out, "--timeout", "60", "--jobs", "2"], { encoding: "utf8", cwd: REPO });
    stdout = r.stdout + r.stderr;
    assert.equal(r.status, 0, stdout);
    for (const f of fs.readdirSync(out).filter((x) => x.endsWith(".json"))) {
      const rep = JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) as StudentReport;
      reports.set(rep.student, rep);
      assert.ok(fs.existsSync(path.join(out, f.replace(/\.json$/, ".html"))), `${f} has an HTML page`);
    }
    csv = fs.readFileSync(path.join(out, "grades.csv"), "utf8");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("gives each solution notebook full marks", () => {
    for (const f of SOURCES) {
      const r = reports.get(`solution-${path.basename(f, ".ipynb").split("-")[0]}`);
      assert.ok(r, stdout);
      assert.equal(r.status, "graded", r.message);
      assert.equal(r.score, total(f), JSON.stringify(r.checks.filter((c) => c.status !== "passed")));
      assert.equal(r.maxScore, total(f));
      assert.deepEqual(r.flags, []);
    }
  });

  it("runs each student version to the end and scores only checks that need no work", () => {
    for (const f of SOURCES) {
      const r = reports.get(`student-${path.basename(f, ".ipynb").split("-")[0]}`)!;
      assert.equal(r.status, "graded", r.message);
      for (const c of r.checks.filter((x) => x.status !== "passed")) assert.match(c.feedback, /not implemented yet/, `${c.id}: ${c.feedback}`);
      // A check passes on the student version only if its cell calls no exercise.
      assert.equal(r.score, r.checks.filter((c) => c.status === "passed").reduce((a, c) => a + c.points, 0));
      if (path.basename(f).startsWith("A1-")) assert.equal(r.score, 0, "every A1 check needs work");
    }
  });

  it("takes exactly the bias-factor points from (1-b2^t)^p and says why", () => {
    const r = reports.get("wrongbias")!;
    const failed = r.checks.filter((c) => c.status !== "passed");
    assert.deepEqual(failed.map((c) => c.id), ["a1-factor-check"]);
    assert.equal(r.score, total(A1) - points(A1).get("a1-factor-check")!);
    assert.match(failed[0].feedback, /step 1 .*: 0\.4217, expected 0\.03162 — .*official/);
  });

  it("flags an edited locked cell and grades the restored original", () => {
    const r = reports.get("edited")!;
    assert.deepEqual(r.flags.map((f) => [f.id, f.problem]), [["a1-max-check", "edited-locked-cell"]]);
    assert.equal(r.score, total(A1));
    assert.match(csv, /edited,A1-implement-padam,12,12,graded,a1-max-check \(edited-locked-cell\)/);
  });

  it("stops a hanging submission at the time budget and reports it", () => {
    const r = reports.get("hang")!;
    assert.equal(r.status, "timeout");
    assert.match(r.message, /ran longer than 60 s/);
    assert.ok(r.seconds < 60 + 30, `stopped in time (${r.seconds} s)`);
    const early = r.checks.filter((c) => ["a1-moments-check", "a1-max-check", "a1-factor-check"].includes(c.id));
    assert.ok(early.every((c) => c.status === "passed"), "checks before the hang still count");
    assert.ok(r.checks.filter((c) => c.id === "a1-den-check" || c.id === "a1-zero-check").every((c) => c.status === "not-run"));
  });

  it("reports files that are not notebooks instead of stopping", () => {
    assert.equal(reports.get("notes")?.status, "not-a-notebook");
    assert.match(reports.get("notes")!.message, /notes\.txt is not a notebook/);
    assert.equal(reports.get("broken")?.status, "not-a-notebook");
    assert.match(reports.get("broken")!.message, /not JSON/);
    assert.equal(csv.trim().split("\n").length, 1 + 2 * SOURCES.length + 5, csv);
  });
});
