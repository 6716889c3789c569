/**
 * Executes every notebook in smoke mode through real Jupyter (nbclient) with the tslab kernel,
 * fails on any cell error, then opens a copy of each exported HTML report in headless Chromium
 * with every request outside the file refused, and checks that the formulas and the Plotly
 * figures rendered, that the report loads nothing from elsewhere, that it prints no absolute path
 * of this machine, and that no output shows raw HTML or an echoed value as text.
 * `PADAM_TEST_NOTEBOOKS=03,00` limits the run to those name prefixes (to try a change quickly).
 *
 * Also: usage errors exit 2, a cell timeout is reported as that cell, a kernel that fails its
 * first start is started again, and one that never starts gives a message that says what to do.
 *
 * Self-contained: registers the project-local kernel itself and writes only to a temp folder.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { pathToFileURL } from "url";
import {
  failedWhere,
  headline,
  listNotebooks,
  notebookPython,
  NotebookResult,
  parseArgs,
  runNotebooks,
  UsageError,
} from "./run-notebooks";
import { findChromium } from "../src/notebook/export";
import { withOfflinePage } from "../src/notebook/offline_page";
import { markdownMath } from "../src/notebook/report";
import { REPO_ROOT } from "./kernel";

function missingJupyter(): string | false {
  try {
    notebookPython();
    return false;
  } catch (err) {
    return `Jupyter is not installed: ${(err as Error).message}`;
  }
}

const skipJupyter = missingJupyter();
const chromium = findChromium();
const NOTEBOOKS = path.resolve(__dirname, "..", "notebooks");

const ONLY = (process.env.PADAM_TEST_NOTEBOOKS ?? "")
  .split(",")
  .map((x) => x.trim())
  .filter(Boolean);

interface RenderedReport {
  refused: string[];
  plots: number;
  drawnPlots: number;
  katex: number;
  katexErrors: number;
  /** Visible text of the markdown cells, without the rendered formulas' hidden TeX source. */
  markdownText: string;
}

/**
 * Opens a copy of `html` from a fresh temp folder, with every request other than the copy itself
 * refused, and waits until each figure is drawn (or 30 s pass).
 */
async function renderOffline(html: string): Promise<RenderedReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "padam-report-copy-"));
  try {
    const copy = path.join(dir, "report.html");
    fs.copyFileSync(html, copy);
    const url = pathToFileURL(copy).href;
    return await withOfflinePage(
      (u) => u === url,
      async ({ page, refused }) => {
        await page.goto(url, { waitUntil: "load", timeout: 60_000 });
        // Strings, not functions: tsx would wrap named functions in a helper the page lacks.
        await page
          .waitForFunction(
            `Array.from(document.querySelectorAll(".padam-plot")).every((d) => d.querySelector(".main-svg"))`,
            { timeout: 30_000 },
          )
          .catch(() => undefined);
        const r = (await page.evaluate(`(() => {
        const plots = Array.from(document.querySelectorAll(".padam-plot"));
        const md = Array.from(document.querySelectorAll(".jp-MarkdownCell")).map((cell) => {
          const c = cell.cloneNode(true);
          c.querySelectorAll(".katex-mathml, code, pre, script, style").forEach((e) => e.remove());
          document.body.appendChild(c); const t = c.innerText; c.remove(); return t;
        });
        return {
          plots: plots.length,
          drawnPlots: plots.filter((d) => d.querySelector(".main-svg")).length,
          katex: document.querySelectorAll(".jp-MarkdownCell .katex").length,
          katexErrors: document.querySelectorAll(".katex-error").length,
          markdownText: md.join(" "),
        };
      })()`)) as Omit<RenderedReport, "refused">;
        return { ...r, refused: [...refused] };
      },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The formulas in a notebook's markdown cells (what the report must show rendered). */
function notebookFormulas(file: string): number {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells
    .filter((c) => c.cell_type === "markdown")
    .reduce((n, c) => n + markdownMath([c.source].flat().join("")).length, 0);
}

/** Text outputs (stream and text/plain) of an executed notebook, with their cell index. */
function textOutputs(file: string): { cell: number; text: string }[] {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as {
    cells: {
      outputs?: { output_type: string; text?: string | string[]; data?: Record<string, string | string[]> }[];
    }[];
  };
  return nb.cells.flatMap((c, cell) =>
    (c.outputs ?? []).map((o) => ({
      cell,
      text: [o.output_type === "stream" ? (o.text ?? "") : (o.data?.["text/plain"] ?? "")].flat().join(""),
    })),
  );
}

test("headline picks the error line", () => {
  assert.equal(
    headline("node:internal/x:1\n  throw err;\n\nError: Cannot find module './a'\n at y"),
    "Error: Cannot find module './a'",
  );
  assert.equal(headline("\n\nsomething odd\n"), "something odd");
});

describe("the workbook in smoke mode", { skip: skipJupyter }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-test-"));
  const outDir = path.join(tmp, "reports");
  const figuresDir = path.join(tmp, "figures");
  const noChromium = chromium ? false : "no Chromium on this machine (apt-get install chromium)";
  let results: NotebookResult[] = [];

  before(async () => {
    results = await runNotebooks({
      mode: "smoke",
      outDir,
      figuresDir,
      only: ONLY,
      jobs: 2,
      verbose: false,
      timeoutS: 300,
      keepExecuted: true,
    });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("every notebook runs without an error output", () => {
    const expected = listNotebooks(NOTEBOOKS, ONLY).map((f) => path.basename(f, ".ipynb"));
    if (ONLY.length === 0) assert.ok(expected.includes("00-quickstart") && expected.includes("03-convergence-theory"));
    assert.deepEqual(
      results.map((r) => r.name),
      expected,
    );
    const failures = results.filter((r) => !r.ok).map((r) => `${r.name}, ${failedWhere(r)}: ${r.message}`);
    assert.deepEqual(failures, [], failures.join("\n\n"));
  });

  test(
    "each report renders its formulas and figures from a copy, with every outside request refused",
    { skip: noChromium },
    async () => {
      const reports = results.filter((r) => fs.existsSync(r.html));
      if (ONLY.length === 0)
        assert.ok(
          reports.some((r) => r.name === "03-convergence-theory"),
          "03 (formulas) was exported",
        );
      for (const r of reports) {
        const formulas = notebookFormulas(path.join(NOTEBOOKS, `${r.name}.ipynb`));
        const dom = await renderOffline(r.html);
        assert.deepEqual(dom.refused, [], `${r.name} asked for resources outside the file`);
        assert.equal(dom.drawnPlots, dom.plots, `${r.name}: ${dom.plots} figure(s), ${dom.drawnPlots} drawn`);
        assert.equal(dom.katexErrors, 0, `${r.name}: formulas KaTeX could not parse`);
        assert.equal(dom.katex, formulas, `${r.name}: ${formulas} formula(s) in the notebook, ${dom.katex} rendered`);
        const raw = /\$\$|\\(frac|sum|mathbb|left|right|sqrt|begin|end|hat|beta|alpha|text)\b/.exec(dom.markdownText);
        assert.equal(
          raw,
          null,
          `${r.name}: raw TeX visible in the text: ${raw ? dom.markdownText.slice(Math.max(0, raw.index - 60), raw.index + 60) : ""}`,
        );
      }
      if (ONLY.length === 0 || ONLY.some((o) => "03-convergence-theory".startsWith(o))) {
        assert.ok(
          notebookFormulas(path.join(NOTEBOOKS, "03-convergence-theory.ipynb")) > 20,
          "03 is the notebook with formulas",
        );
      }
    },
  );

  test("no report loads a file:// or network resource or prints an absolute path of this machine", () => {
    const printed: string[] = [];
    for (const r of results.filter((x) => fs.existsSync(x.html))) {
      const html = fs.readFileSync(r.html, "utf8");
      assert.equal(/file:\/\//.test(html), false, `${r.name}: a file:// reference`);
      const external =
        html.match(/<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:|\/\/)[^>]*>/gi) ?? [];
      assert.deepEqual(external, [], `${r.name}: elements that load from the network`);
      for (const dir of [REPO_ROOT, tmp, os.homedir()]) {
        let at = html.indexOf(dir + path.sep);
        while (at >= 0) {
          printed.push(`${r.name} prints ${dir}: …${html.slice(Math.max(0, at - 80), at + 120)}…`);
          at = html.indexOf(dir + path.sep, at + 1);
        }
      }
    }
    assert.deepEqual(printed, [], printed.join("\n"));
  });

  test("no output shows raw HTML or an echoed value as text", () => {
    for (const r of results) {
      const executed = path.join(outDir, `${r.name}.ipynb`);
      if (!fs.existsSync(executed)) continue;
      for (const o of textOutputs(executed)) {
        assert.equal(
          /<(table|div|p|span|figure)\b/i.test(o.text),
          false,
          `${r.name}, cell ${o.cell}: HTML shown as text: ${o.text.slice(0, 120)}`,
        );
        assert.equal(
          /^\s*(true|false|undefined|null|\{\s*files:)/.test(o.text),
          false,
          `${r.name}, cell ${o.cell}: an echoed return value: ${o.text.slice(0, 120)}`,
        );
      }
    }
  });

  test(
    "00-quickstart exports its figures as SVG and PNG",
    {
      skip:
        noChromium || (ONLY.length > 0 && !ONLY.some((o) => "00-quickstart".startsWith(o)) ? "00 not selected" : false),
    },
    () => {
      const dir = path.join(figuresDir, "00-quickstart");
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
      assert.ok(
        files.includes("padam-curves.svg") && files.includes("padam-curves.png"),
        `figures written: ${files.join(", ")}`,
      );
      assert.match(fs.readFileSync(path.join(dir, "padam-curves.svg"), "utf8"), /^<svg/);
    },
  );
});

describe("a failing notebook", { skip: skipJupyter }, () => {
  test("is reported with its cell and the error, and still exported", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-fail-"));
    try {
      const nbDir = path.join(tmp, "notebooks");
      fs.mkdirSync(nbDir);
      const cell = (source: string) => ({
        cell_type: "code",
        execution_count: null,
        id: Math.random().toString(16).slice(2, 10),
        metadata: {},
        outputs: [],
        source,
      });
      const nb = {
        cells: [
          cell("const a = 1;"),
          { cell_type: "markdown", id: "md000001", metadata: {}, source: "text" },
          cell('throw new Error("deliberate failure " + a);'),
          cell("const never = 2;"),
        ],
        metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
        nbformat: 4,
        nbformat_minor: 5,
      };
      fs.writeFileSync(path.join(nbDir, "99-fails.ipynb"), JSON.stringify(nb));
      const [r] = await runNotebooks({
        mode: "smoke",
        notebooksDir: nbDir,
        outDir: path.join(tmp, "out"),
        figuresDir: path.join(tmp, "fig"),
        verbose: false,
      });
      assert.equal(r.ok, false);
      assert.equal(r.failedCodeCell, 2);
      assert.equal(r.failedCell, 2);
      assert.match(r.message, /deliberate failure 1/);
      assert.ok(fs.existsSync(r.html), "the partial report is written for debugging");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** A notebook file from code-cell sources (a string starting with "md:" is a markdown cell). */
function writeNotebook(file: string, cells: string[]): void {
  const nb = {
    cells: cells.map((src, i) =>
      src.startsWith("md:")
        ? { cell_type: "markdown", id: `md${String(i).padStart(6, "0")}`, metadata: {}, source: src.slice(3) }
        : {
            cell_type: "code",
            execution_count: null,
            id: `cc${String(i).padStart(6, "0")}`,
            metadata: {},
            outputs: [],
            source: src,
          },
    ),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb));
}

/**
 * A kernel spec "padam-flaky" under `<dir>/share/jupyter`: its launcher exits with status 3 on the
 * first `failures` starts, then runs this checkout's tslab.
 */
function flakyKernel(dir: string, failures: number): string {
  const kernelDir = path.join(dir, "share", "jupyter", "kernels", "padam-flaky");
  fs.mkdirSync(kernelDir, { recursive: true });
  const launcher = path.join(dir, "launch.sh");
  const count = path.join(dir, "starts");
  fs.writeFileSync(
    launcher,
    `#!/bin/sh\necho x >> "${count}"\nif [ "$(wc -l < "${count}")" -le ${failures} ]; then exit 3; fi\nexec "${path.join(REPO_ROOT, "node_modules", ".bin", "tslab")}" kernel --config-path "$1"\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(kernelDir, "kernel.json"),
    JSON.stringify({ argv: ["/bin/sh", launcher, "{connection_file}"], display_name: "flaky", language: "typescript" }),
  );
  return path.join(dir, "share", "jupyter");
}

describe("usage errors", () => {
  test("are reported naming the flag and value, before any work", () => {
    const bad: [string[], RegExp][] = [
      [["--bogus"], /unknown option --bogus/],
      [["--mode", "fast"], /mode .* is "fast"; allowed: smoke, quick, full/],
      [["--jobs", "0"], /--jobs is "0"; allowed: an integer >= 1/],
      [["--timeout", "soon"], /--timeout is "soon"; allowed: a number of seconds/],
      [["--kernel-timeout"], /--kernel-timeout needs a value/],
      [["--jobs", "2", "--jobs", "3"], /--jobs is given twice/],
    ];
    for (const [argv, message] of bad)
      assert.throws(
        () => parseArgs(argv, {}),
        (err: Error) => err instanceof UsageError && message.test(err.message),
        argv.join(" "),
      );
    assert.throws(() => parseArgs([], { PADAM_MODE: "ful" }), /is "ful"/);
    assert.deepEqual(parseArgs(["--mode", "smoke", "--kernel-timeout", "90", "03"], {}), {
      mode: "smoke",
      only: ["03"],
      kernelTimeoutS: 90,
    });
    assert.equal(parseArgs(["--bogus", "--help"], {}), "help");
  });

  test("exit with status 2 and a message on stderr (also an unknown notebook name)", () => {
    for (const argv of [["--bogus"], ["--mode", "smoke", "no-such-notebook"]]) {
      const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "run-notebooks.ts"), ...argv], {
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(r.status, 2, `${argv.join(" ")}: exit ${r.status}, stderr ${r.stderr}`);
      assert.match(
        r.stderr,
        /^run-notebooks: (unknown option --bogus; see --help|no notebook matches "no-such-notebook"; available: 00-)/,
      );
    }
  });
});

describe("kernel start and cell timeout", { skip: skipJupyter }, () => {
  test("a kernel whose first start fails is started again; a cell past --timeout is reported as that cell", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-flaky-"));
    try {
      const jupyterPath = flakyKernel(tmp, 1);
      const nbDir = path.join(tmp, "notebooks");
      fs.mkdirSync(nbDir);
      writeNotebook(path.join(nbDir, "98-slow.ipynb"), [
        "const a = 1;",
        "md:text",
        "await new Promise((r) => setTimeout(r, 120_000));",
        "const never = 2;",
      ]);
      const [r] = await runNotebooks({
        mode: "smoke",
        notebooksDir: nbDir,
        outDir: path.join(tmp, "out"),
        figuresDir: path.join(tmp, "fig"),
        verbose: false,
        kernel: "padam-flaky",
        env: { JUPYTER_PATH: jupyterPath },
        kernelTimeoutS: 120,
        timeoutS: 5,
      });
      assert.equal(r.kernelStarts, 2, r.message);
      assert.equal(fs.readFileSync(path.join(tmp, "starts"), "utf8").split("\n").filter(Boolean).length, 2);
      assert.equal(r.ok, false);
      assert.equal(r.failedCell, 2, r.message);
      assert.equal(r.failedCodeCell, 2);
      assert.match(r.message, /did not finish within --timeout 5 s/);
      assert.equal(failedWhere(r), "code cell 2 (cell index 2)");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("a kernel that never starts: two tries, then a message that says what to do", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-dead-"));
    try {
      const jupyterPath = flakyKernel(tmp, 99);
      const nbDir = path.join(tmp, "notebooks");
      fs.mkdirSync(nbDir);
      writeNotebook(path.join(nbDir, "97-never.ipynb"), ["const a = 1;"]);
      const [r] = await runNotebooks({
        mode: "smoke",
        notebooksDir: nbDir,
        outDir: path.join(tmp, "out"),
        figuresDir: path.join(tmp, "fig"),
        verbose: false,
        kernel: "padam-flaky",
        env: { JUPYTER_PATH: jupyterPath },
        kernelTimeoutS: 30,
      });
      assert.equal(r.ok, false);
      assert.equal(r.kernelStarts, 2);
      assert.equal(r.failedCell, null);
      assert.equal(failedWhere(r), "the kernel start (before the first cell)");
      assert.match(r.message, /did not start \(2 tries, 30 s each\)/);
      assert.match(r.message, /What to do: .*--kernel-timeout SECONDS.*npm run kernel -- --prefix/s);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** Pids of the processes whose environment has `KEY=value` (from /proc; unreadable ones are skipped). */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // exited, or not ours to read
    }
  }
  return pids;
}

describe("stopping a run", { skip: skipJupyter || (fs.existsSync("/proc") ? false : "needs /proc") }, () => {
  // SIGTERM, once a cell runs: run-notebooks stops its nbexec.py processes, which shut their
  // kernels down. SIGKILL, while the kernel is still starting: nothing runs in run-notebooks; each
  // nbexec.py notices its parent is gone, asks for a shutdown and, as a kernel that is starting
  // does not answer it, kills the kernel after a grace time.
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    test(`${signal} to run-notebooks leaves none of its nbexec and kernel processes`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-stop-"));
      const name = `96-stop-${signal}-${process.pid}`;
      let child: ReturnType<typeof spawn> | undefined;
      try {
        const nbDir = path.join(tmp, "notebooks");
        fs.mkdirSync(nbDir);
        writeNotebook(path.join(nbDir, `${name}.ipynb`), ["await new Promise((r) => setTimeout(r, 300_000));"]);
        const args = [
          "--import",
          "tsx",
          path.join(__dirname, "run-notebooks.ts"),
          "--mode",
          "smoke",
          "--notebooks",
          nbDir,
          "--out",
          path.join(tmp, "out"),
          "--figures",
          path.join(tmp, "fig"),
        ];
        const proc = spawn(process.execPath, args, { stdio: "ignore" });
        child = proc;
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          proc.on("close", (code, sig) => resolve({ code, signal: sig })),
        );
        // Every process of this run (nbexec.py and the kernel) carries PADAM_NOTEBOOK=<name>.
        const tag = `PADAM_NOTEBOOK=${name}`;
        const kernelUp = () =>
          processesWithEnv(tag).some((pid) => {
            try {
              const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
              return argv.includes("kernel") && argv.includes("--config-path"); // tslab kernel --config-path FILE
            } catch {
              return false;
            }
          });
        const end = Date.now() + 180_000;
        while (Date.now() < end && !kernelUp()) await new Promise((r) => setTimeout(r, 250));
        assert.ok(processesWithEnv(tag).length >= 2, "nbexec.py and the kernel are running");
        if (signal === "SIGTERM") await new Promise((r) => setTimeout(r, 3000)); // let the cell start
        proc.kill(signal);
        const how = await exited;
        if (signal === "SIGTERM") assert.equal(how.code, 143);
        else assert.equal(how.signal, "SIGKILL");
        const gone = Date.now() + 60_000;
        while (Date.now() < gone && processesWithEnv(tag).length > 0) await new Promise((r) => setTimeout(r, 250));
        assert.deepEqual(processesWithEnv(tag), [], "no process of the stopped run is left");
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); // a failed assertion must not leave it running
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
