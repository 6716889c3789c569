/**
 * Executes every notebook in smoke mode through real Jupyter (nbclient) with the tslab kernel,
 * fails on any cell error, then opens each exported HTML report in headless Chromium with the
 * network shut off and checks that the Plotly figures rendered (`.main-svg` elements).
 *
 * Self-contained: registers the project-local kernel itself and writes only to a temp folder.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { headline, listNotebooks, notebookPython, NotebookResult, runNotebooks } from "./run-notebooks";
import { findChromium } from "../src/notebook/export";

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

/** The DOM of a local HTML file after its scripts ran, loaded by headless Chromium without network. */
function renderedDom(file: string): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "padam-chromium-test-"));
  const args = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--user-data-dir=${profile}`,
    // Any network request goes to a dead proxy and any host name fails to resolve: the page
    // must render from the file alone.
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=5000", "--dump-dom", `file://${file}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(chromium as string, args, { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      fs.rmSync(profile, { recursive: true, force: true });
      if (code === 0) resolve(out);
      else reject(new Error(`chromium exited with ${code} on ${file}`));
    });
  });
}

test("headline picks the error line", () => {
  assert.equal(headline("node:internal/x:1\n  throw err;\n\nError: Cannot find module './a'\n at y"), "Error: Cannot find module './a'");
  assert.equal(headline("\n\nsomething odd\n"), "something odd");
});

describe("the workbook in smoke mode", { skip: skipJupyter }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-test-"));
  const outDir = path.join(tmp, "reports");
  const figuresDir = path.join(tmp, "figures");
  let results: NotebookResult[] = [];

  before(async () => {
    results = await runNotebooks({ mode: "smoke", outDir, figuresDir, jobs: 2, verbose: false, timeoutS: 300 });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("every notebook runs without an error output", () => {
    const expected = listNotebooks(NOTEBOOKS).map((f) => path.basename(f, ".ipynb"));
    assert.ok(expected.includes("00-quickstart"));
    assert.deepEqual(results.map((r) => r.name), expected);
    const failures = results.filter((r) => !r.ok).map((r) => `${r.name}, code cell ${r.failedCodeCell}: ${r.message}`);
    assert.deepEqual(failures, [], failures.join("\n\n"));
  });

  test("the HTML reports render their Plotly figures offline", { skip: chromium ? false : "no Chromium on this machine (apt-get install chromium)" }, async () => {
    const withPlots = results.filter((r) => fs.existsSync(r.html) && fs.readFileSync(r.html, "utf8").includes('class="padam-plot"'));
    assert.ok(withPlots.some((r) => r.name === "00-quickstart"), "00-quickstart has figures");
    const doms = await Promise.all(withPlots.map((r) => renderedDom(r.html)));
    withPlots.forEach((r, i) => {
      const divs = (fs.readFileSync(r.html, "utf8").match(/class="padam-plot"/g) ?? []).length;
      const svgs = (doms[i].match(/class="main-svg"/g) ?? []).length;
      // Plotly draws each figure into (at least) two main-svg layers.
      assert.ok(svgs >= 2 * divs, `${r.name}: ${divs} figure(s) but ${svgs} main-svg element(s) after rendering offline`);
    });
  });

  test("00-quickstart exports its figures as SVG and PNG", { skip: chromium ? false : "no Chromium on this machine (apt-get install chromium)" }, () => {
    const dir = path.join(figuresDir, "00-quickstart");
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
    assert.ok(files.includes("padam-curves.svg") && files.includes("padam-curves.png"), `figures written: ${files.join(", ")}`);
    assert.match(fs.readFileSync(path.join(dir, "padam-curves.svg"), "utf8"), /^<svg/);
  });
});

describe("a failing notebook", { skip: skipJupyter }, () => {
  test("is reported with its cell and the error, and still exported", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "padam-nb-fail-"));
    try {
      const nbDir = path.join(tmp, "notebooks");
      fs.mkdirSync(nbDir);
      const cell = (source: string) => ({ cell_type: "code", execution_count: null, id: Math.random().toString(16).slice(2, 10), metadata: {}, outputs: [], source });
      const nb = {
        cells: [cell("const a = 1;"), { cell_type: "markdown", id: "md000001", metadata: {}, source: "text" }, cell('throw new Error("deliberate failure " + a);'), cell("const never = 2;")],
        metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
        nbformat: 4,
        nbformat_minor: 5,
      };
      fs.writeFileSync(path.join(nbDir, "99-fails.ipynb"), JSON.stringify(nb));
      const [r] = await runNotebooks({ mode: "smoke", notebooksDir: nbDir, outDir: path.join(tmp, "out"), figuresDir: path.join(tmp, "fig"), verbose: false });
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
