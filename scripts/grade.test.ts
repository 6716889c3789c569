/**
 * The grader end to end, with the tslab kernel (about a minute: one kernel per submission, two at
 * a time). Submissions: each solution notebook, each student version as handed out, A1 with the
 * bias factor (1−β2^t)^p instead of the official sqrt(1−β2^t), A1 with an edited locked cell, A1
 * that hangs, a text file and a broken notebook.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { findChromium } from "../src/notebook/export";
import { withOfflinePage } from "../src/notebook/offline_page";
import { executableVersion, listSources, studentVersion } from "../src/assignments/build";
import type { StudentReport } from "../src/assignments/grade";
import {
  Notebook,
  cellSource,
  gradeCells,
  nbgraderMeta,
  readNotebook,
  sourceLines,
  writeNotebook,
} from "../src/assignments/notebook";

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
const HANG_BUDGET_S = 90;
const total = (file: string) => [...points(file).values()].reduce((a, b) => a + b, 0);

describe("npm run grade", { timeout: 600_000 }, () => {
  let dir = "";
  const reports = new Map<string, StudentReport>();
  let csv = "";
  let stdout = "";
  let out = "";

  before(async () => {
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
      editCell(answered(A1), "a1-factor", (t) =>
        t.replace("Math.sqrt(1 - Math.pow(hp.beta2, t))", "Math.pow(1 - Math.pow(hp.beta2, t), hp.partial)"),
      ),
    );
    // Edits a locked check, and fits the step factor to the visible check's β1 only (the hidden check uses β1 = 0.8).
    const overfit = editCell(answered(A1), "a1-factor", (t) =>
      t.replace(
        "  return (hp.learningRate",
        "  if (hp.beta1 !== 0.9) return hp.learningRate;\n  return (hp.learningRate",
      ),
    );
    writeNotebook(
      path.join(subs, "edited.ipynb"),
      editCell(overfit, "a1-max-check", () => 'console.log("all good");'),
    );
    // The hanging submission gets its own grader run with a short budget, beside the main one.
    const hangs = path.join(dir, "hangs");
    fs.mkdirSync(hangs);
    writeNotebook(
      path.join(hangs, "hang.ipynb"),
      editCell(answered(A1), "a1-den", (t) => t.replace("{\n", "{\n  while (true) {}\n")),
    );
    fs.writeFileSync(path.join(subs, "notes.txt"), "my answers are in my head\n");
    fs.writeFileSync(path.join(subs, "broken.ipynb"), '{"cells": [');
    out = path.join(dir, "out");
    const grade = (target: string, timeoutS: number, outDir: string) =>
      new Promise<{ code: number | null; text: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            path.join(REPO, "scripts", "grade.ts"),
            target,
            "--out",
            outDir,
            "--timeout",
            String(timeoutS),
            "--jobs",
            "2",
          ],
          { cwd: REPO },
        );
        let text = "";
        child.stdout.on("data", (d: Buffer) => (text += d.toString()));
        child.stderr.on("data", (d: Buffer) => (text += d.toString()));
        child.on("close", (code) => resolve({ code, text }));
      });
    // The main budget is generous for a loaded machine; the hang's is what the test waits for.
    const [main, hang] = await Promise.all([
      grade(subs, 240, out),
      grade(hangs, HANG_BUDGET_S, path.join(dir, "out-hang")),
    ]);
    stdout = main.text + hang.text;
    assert.equal(main.code, 0, stdout);
    assert.equal(hang.code, 0, stdout);
    for (const o of [out, path.join(dir, "out-hang")]) {
      for (const f of fs.readdirSync(o).filter((x) => x.endsWith(".json"))) {
        const rep = JSON.parse(fs.readFileSync(path.join(o, f), "utf8")) as StudentReport;
        reports.set(rep.student, rep);
        assert.ok(fs.existsSync(path.join(o, f.replace(/\.json$/, ".html"))), `${f} has an HTML page`);
      }
    }
    csv = fs.readFileSync(path.join(out, "grades.csv"), "utf8");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(
    "renders the feedback pages and the student versions in headless Chromium, offline",
    { skip: findChromium() ? false : "no Chromium installed (Debian package chromium)" },
    async () => {
      // The student versions as HTML, through Jupyter's own exporter.
      const html = path.join(dir, "html");
      fs.mkdirSync(html);
      const students = fs
        .readdirSync(path.join(dir, "subs"))
        .filter((f) => f.startsWith("student-"))
        .map((f) => path.join(dir, "subs", f));
      const py = spawnSync("/usr/bin/python3", ["-m", "nbconvert", "--to", "html", "--output-dir", html, ...students], {
        encoding: "utf8",
      });
      assert.equal(py.status, 0, py.stderr);
      const pages = [
        ...fs.readdirSync(html).map((f) => ({ file: path.join(html, f), expect: /not implemented yet/ })),
        {
          file: path.join(out, "wrongbias--A1-implement-padam.html"),
          expect: /Score: 10 \/ 12[\s\S]*a1-factor-check[\s\S]*official/,
        },
        { file: path.join(dir, "out-hang", "hang--A1-implement-padam.html"), expect: /ran out of time/ },
        { file: path.join(out, "notes.html"), expect: /not a notebook/ },
      ];
      assert.equal(pages.length, SOURCES.length + 3);
      const urls = new Set(pages.map((p) => pathToFileURL(p.file).href));
      // nbconvert's template asks for MathJax/require.js from a CDN: refused here; the text must still be there.
      await withOfflinePage(
        (u) => urls.has(u),
        async ({ page }) => {
          for (const p of pages) {
            await page.goto(pathToFileURL(p.file).href, { waitUntil: "load", timeout: 60_000 });
            assert.match((await page.evaluate("document.body.innerText")) as string, p.expect, path.basename(p.file));
          }
        },
      );
    },
  );

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
      for (const c of r.checks.filter((x) => x.status !== "passed"))
        assert.match(c.feedback, /not implemented yet/, `${c.id}: ${c.feedback}`);
      // A check passes on the student version only if its cell calls no exercise.
      assert.equal(
        r.score,
        r.checks.filter((c) => c.status === "passed").reduce((a, c) => a + c.points, 0),
      );
      if (path.basename(f).startsWith("A1-")) assert.equal(r.score, 0, "every A1 check needs work");
    }
  });

  it("takes exactly the bias-factor points from (1-b2^t)^p and says why", () => {
    const r = reports.get("wrongbias")!;
    const failed = r.checks.filter((c) => c.status !== "passed");
    assert.deepEqual(
      failed.map((c) => c.id),
      ["a1-factor-check"],
    );
    assert.equal(r.score, total(A1) - points(A1).get("a1-factor-check")!);
    assert.match(failed[0].feedback, /step 1 .*: 0\.4217, expected 0\.03162 — .*official/);
  });

  it("flags an edited locked cell, grades the restored original and runs the hidden checks", () => {
    const r = reports.get("edited")!;
    assert.deepEqual(
      r.flags.map((f) => [f.id, f.problem]),
      [["a1-max-check", "edited-locked-cell"]],
    );
    const failed = r.checks.filter((c) => c.status !== "passed");
    assert.deepEqual(
      failed.map((c) => c.id),
      ["a1-factor-check"],
      "only the hidden step-factor case fails",
    );
    assert.match(
      failed[0].feedback,
      /step 1 \(lr 0\.01, β1 0\.8, β2 0\.99, p 0\.25\): 0\.01, expected 0\.005 — is the bias factor applied/,
    );
    assert.match(csv, /edited,A1-implement-padam,10,12,graded,a1-max-check \(edited-locked-cell\)/);
  });

  it("stops a hanging submission in its hanging cell at the time budget and keeps the checks before it", () => {
    const r = reports.get("hang")!;
    assert.equal(r.status, "timeout");
    // The loop sits in denominator's body, so the check cell that calls it is the one that hangs.
    const hangCell = readNotebook(A1).cells.findIndex((c) => nbgraderMeta(c)?.grade_id === "a1-den-check");
    assert.match(r.message, new RegExp(`ran longer than ${HANG_BUDGET_S} s \\(stopped in cell ${hangCell}\\)`));
    assert.ok(r.seconds < HANG_BUDGET_S + 30, `stopped in time (${r.seconds} s)`);
    const early = r.checks.filter((c) => ["a1-moments-check", "a1-max-check", "a1-factor-check"].includes(c.id));
    assert.ok(early.length === 3 && early.every((c) => c.status === "passed"), "checks before the hang still count");
    assert.equal(r.score, 5);
    const late = r.checks.filter((c) => !early.includes(c));
    assert.ok(late.every((c) => c.status === "not-run" && /ran out of time/.test(c.feedback)));
  });

  it("reports files that are not notebooks instead of stopping", () => {
    assert.equal(reports.get("notes")?.status, "not-a-notebook");
    assert.match(reports.get("notes")!.message, /notes\.txt is not a notebook/);
    assert.equal(reports.get("broken")?.status, "not-a-notebook");
    assert.match(reports.get("broken")!.message, /not JSON/);
    assert.equal(csv.trim().split("\n").length, 1 + 2 * SOURCES.length + 4, csv);
  });
});
