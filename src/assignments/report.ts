/**
 * The grader's outputs: per-student JSON and a self-contained HTML feedback page, and one CSV
 * row per submission for the class.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { StudentReport } from "./grade";

/** File-name stem of a report: the student, and the assignment when known. */
export function reportStem(r: StudentReport): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");
  return r.assignment ? `${safe(r.student)}--${safe(r.assignment)}` : safe(r.student);
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

const STATUS_TEXT: Record<StudentReport["status"], string> = {
  graded: "graded",
  timeout: "stopped: the notebook ran out of time",
  "kernel-error": "stopped: the notebook could not be run to the end",
  "not-a-notebook": "not graded: the file is not a notebook",
  "unknown-assignment": "not graded: the notebook matches no assignment",
  "grader-error": "not graded: the grader failed on this file",
};

/** The feedback page (no scripts, no external resources). */
export function feedbackHtml(r: StudentReport): string {
  const rows = r.checks
    .map(
      (c) =>
        `<tr class="${c.status}"><td>${esc(c.id)}</td><td>${c.earned} / ${c.points}</td><td>${esc(c.status)}</td><td><pre>${esc(c.feedback)}</pre></td></tr>`,
    )
    .join("\n");
  const flags = r.flags.map((f) => `<li><b>${esc(f.id)}</b>: ${esc(f.detail)}</li>`).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: ${esc(r.student)} — ${esc(r.assignment ?? "no assignment")}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}
tr.passed td:nth-child(3){color:#176d2c}tr.failed td:nth-child(3),tr.not-run td:nth-child(3){color:#a11}
pre{white-space:pre-wrap;margin:0;font-size:.9em}.flags{background:#fff4e5;border:1px solid #f0b35a;padding:.5rem 1rem}
</style></head><body>
<h1>${esc(r.assignment ?? "Submission")}: ${esc(r.student)}</h1>
<p><b>Score: ${r.score} / ${r.maxScore}</b> · ${esc(STATUS_TEXT[r.status])} · ${r.seconds.toFixed(1)} s</p>
${r.message ? `<p><pre>${esc(r.message)}</pre></p>` : ""}
${flags ? `<div class="flags"><p>Flagged:</p><ul>${flags}</ul></div>` : ""}
${rows ? `<table><thead><tr><th>check</th><th>points</th><th>result</th><th>feedback</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : ""}
<p><small>File: ${esc(path.basename(r.file))}</small></p>
</body></html>
`;
}

/** Writes <stem>.json and <stem>.html into outDir; returns their paths. */
export function writeStudentReport(r: StudentReport, outDir: string): { json: string; html: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const stem = path.join(outDir, reportStem(r));
  fs.writeFileSync(`${stem}.json`, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(`${stem}.html`, feedbackHtml(r));
  return { json: `${stem}.json`, html: `${stem}.html` };
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The class CSV: one row per submission with score, status, flagged cells and the points of
 * each check (columns for every grade id that occurs, in order of first occurrence).
 */
export function classCsv(reports: StudentReport[]): string {
  const ids: string[] = [];
  for (const r of reports) for (const c of r.checks) if (!ids.includes(c.id)) ids.push(c.id);
  const head = ["student", "assignment", "score", "max_score", "status", "flagged_cells", "message", ...ids];
  const rows = reports.map((r) => {
    const earned = new Map(r.checks.map((c) => [c.id, c.earned]));
    const flagged = r.flags.map((f) => `${f.id} (${f.problem})`).join("; ");
    return [
      r.student,
      r.assignment ?? "",
      r.score,
      r.maxScore,
      r.status,
      flagged,
      r.message.split("\n")[0],
      ...ids.map((id) => (earned.has(id) ? String(earned.get(id)) : "")),
    ];
  });
  return [head, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}
