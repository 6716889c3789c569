/**
 * Grades course assignment submissions (src/assignments/grade.ts).
 *
 *   npm run grade -- <submissions folder or .ipynb> [--out DIR] [--timeout SECONDS] [--jobs N]
 *
 * Each submission runs with the tslab kernel in its own temporary folder, at most SECONDS for the
 * whole notebook (default 300); the locked cells and hidden checks are restored from
 * assignments/<name>.ipynb. Writes DIR/<student>--<assignment>.json and .html and DIR/grades.csv
 * (default DIR: reports/grades). Exits 0 when every submission got a report, even a bad one.
 */
import * as fs from "fs";
import * as path from "path";
import { gradeFile, listSubmissions, loadSources, StudentReport } from "../src/assignments/grade";
import { classCsv, writeStudentReport } from "../src/assignments/report";
import { findPython, installKernel, kernelEnv, LOCAL_PREFIX, pythonHas, REPO_ROOT } from "./kernel";

const USAGE = "usage: npm run grade -- <submissions folder or .ipynb> [--out DIR] [--timeout SECONDS] [--jobs N]";

interface Args {
  target: string;
  out: string;
  timeoutS: number;
  jobs: number;
}

function positive(name: string, v: string | undefined, integer: boolean): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(
      `${name} is ${JSON.stringify(v)}; allowed: a ${integer ? "positive integer" : "positive number of seconds"}\n${USAGE}`,
    );
  }
  return n;
}

export function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = { out: path.join(REPO_ROOT, "reports", "grades"), timeoutS: 300, jobs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") args.out = path.resolve(argv[++i] ?? "");
    else if (a === "--timeout") args.timeoutS = positive("--timeout", argv[++i], false);
    else if (a === "--jobs") args.jobs = positive("--jobs", argv[++i], true);
    else if (a.startsWith("--") || args.target) throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    else args.target = path.resolve(a);
  }
  if (!args.target) throw new Error(`no submissions given\n${USAGE}`);
  return args as Args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const submissions = listSubmissions(args.target);
  const sources = loadSources(path.join(REPO_ROOT, "assignments"));
  const python = findPython();
  if (!pythonHas(python, ["nbclient", "nbformat"]))
    throw new Error(
      `${python} lacks nbclient; on Debian/Ubuntu run \`sudo apt-get install python3-nbclient python3-ipykernel\``,
    );
  installKernel({ prefix: LOCAL_PREFIX });
  const opts = {
    sources,
    python,
    env: kernelEnv(LOCAL_PREFIX),
    libDir: path.join(REPO_ROOT, "src"),
    nodeModules: path.join(REPO_ROOT, "node_modules"),
    timeoutS: args.timeoutS,
  };
  const reports: StudentReport[] = new Array(submissions.length);
  let next = 0;
  const worker = async () => {
    while (next < submissions.length) {
      const k = next++;
      const s = submissions[k];
      const r = await gradeFile(s.file, s.student, opts);
      reports[k] = r;
      writeStudentReport(r, args.out);
      const flags = r.flags.length ? `, flagged: ${r.flags.map((f) => `${f.id} (${f.problem})`).join(", ")}` : "";
      console.log(
        `${r.student}: ${r.assignment ?? "-"} ${r.score}/${r.maxScore} (${r.status}${flags}) ${r.seconds.toFixed(1)} s`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, submissions.length) }, worker));
  fs.writeFileSync(path.join(args.out, "grades.csv"), classCsv(reports));
  console.log(
    `reports in ${path.relative(process.cwd(), args.out) || "."} (grades.csv, <student>--<assignment>.json/.html)`,
  );
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(2);
});
