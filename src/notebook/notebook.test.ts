import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  barFigure,
  byMode,
  canDisplay,
  closeFigureExporter,
  createLiveCurves,
  curvesFigure,
  decodeDataUrl,
  displayBundle,
  escapeHtml,
  exportFigure,
  figureBundle,
  figureHtml,
  findChromium,
  heatmapFigure,
  histogramFigure,
  inKernel,
  jsonForScript,
  lineFigure,
  MetricRecord,
  MimeBundle,
  DisplayTarget,
  notebookMode,
  setDisplaySink,
  showTable,
  toHtmlTable,
  xValues,
} from "./index";

/** Records display calls for the duration of `fn`. */
async function captured<T>(
  fn: () => T | Promise<T>,
): Promise<{ value: T; calls: { data: MimeBundle; target: DisplayTarget }[] }> {
  const calls: { data: MimeBundle; target: DisplayTarget }[] = [];
  const previous = setDisplaySink((data, target) => calls.push({ data, target: { ...target } }));
  try {
    return { value: await fn(), calls };
  } finally {
    setDisplaySink(previous);
  }
}

describe("display outside a kernel", () => {
  test("is not a kernel, and displayBundle is a silent no-op", () => {
    assert.equal(inKernel(), false);
    assert.equal(canDisplay(), false);
    assert.equal(displayBundle({ "text/plain": "x" }), false);
  });

  test("an update without a display id is refused", () => {
    assert.throws(() => displayBundle({ "text/plain": "x" }, { update: true }), /displayId is missing/);
  });

  test("a sink receives bundles unchanged", async () => {
    const { calls } = await captured(() =>
      displayBundle({ "text/html": "<b>x</b>", "text/plain": "x" }, { displayId: "d1" }),
    );
    assert.deepEqual(calls, [{ data: { "text/html": "<b>x</b>", "text/plain": "x" }, target: { displayId: "d1" } }]);
  });
});

describe("escaping", () => {
  test("escapeHtml escapes the five HTML metacharacters", () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  test("jsonForScript cannot close a script element and round-trips", () => {
    const value = { s: "</script><script>alert(1)</script> <!-- & \u2028" };
    const json = jsonForScript(value);
    assert.ok(!/<\/script/i.test(json) && !json.includes("<!--"));
    assert.deepEqual(JSON.parse(json), value);
  });
});

describe("figures", () => {
  test("figure bundle has the plotly JSON, HTML that draws it, and a text summary", () => {
    const fig = lineFigure([{ name: "padam", x: [1, 2, 3], y: [3, NaN, 1] }], { title: "t" });
    const bundle = figureBundle(fig, "div-1");
    const json = bundle["application/vnd.plotly.v1+json"] as { data: { y: unknown[] }[] };
    assert.deepEqual(json.data[0].y, [3, null, 1], "NaN becomes null (a gap), since JSON has no NaN");
    const html = bundle["text/html"] as string;
    assert.match(html, /<div id="div-1"/);
    assert.match(html, /Plotly\.newPlot/);
    assert.equal(bundle["text/plain"], 'Figure "t": 1 scatter trace(s) [padam]');
  });

  test("the figure script inlines the figure so that the page can parse it back", () => {
    const fig = barFigure([{ name: "a</script>", x: ["<x>"], y: [1] }]);
    const html = figureHtml(fig, "d");
    const inlined = /var fig = (.*);\n/.exec(html);
    assert.ok(inlined);
    assert.equal((JSON.parse(inlined[1]) as { data: { name: string }[] }).data[0].name, "a</script>");
    assert.equal(html.match(/<\/script>/g)?.length, 1, "only the closing tag of the figure's own script");
  });

  test("builders reject mismatched input, naming it", () => {
    assert.throws(
      () => lineFigure([{ name: "s", x: [1, 2], y: [1] }]),
      /series 0 \("s"\) has 2 x values but 1 y values/,
    );
    assert.throws(() => heatmapFigure([1, 2], ["a"], [[1]]), /z must have 1 rows .* of 2 values/);
    assert.throws(() => barFigure([{ name: "g", x: ["a"], y: [1, 2] }]), /group 0 \("g"\) has 1 labels but 2 values/);
    assert.throws(() => histogramFigure([], { bins: 0 }), /bins is 0/);
  });

  test("histogram bins all values over a shared range and reports dropped ones", () => {
    const fig = histogramFigure(
      [
        { name: "a", values: [1, 10, 100, 1000, 0, -1] },
        { name: "b", values: [10, 10] },
      ],
      { bins: 3, log10: true },
    );
    const [a, b] = fig.data as { name: string; x: number[]; y: number[] }[];
    // log10 values 0,1,2,3 over [0,3] in 3 bins of width 1: [0,1) [1,2) [2,3]
    assert.deepEqual(a.y, [1, 1, 2]);
    assert.deepEqual(b.y, [0, 2, 0]);
    assert.deepEqual(a.x, [0.5, 1.5, 2.5]);
    assert.match(a.name, /2 non-positive\/non-finite dropped/);
    const frac = histogramFigure([{ name: "b", values: [1, 2, 3, 4] }], { bins: 2, normalize: "fraction" });
    assert.deepEqual((frac.data[0] as { y: number[] }).y, [0.5, 0.5]);
  });

  test("heatmap keeps the grid and can print values on cells", () => {
    const fig = heatmapFigure(
      [0.1, 0.01],
      ["1/4", "1/8"],
      [
        [0.9, 0.8],
        [0.7, NaN],
      ],
      { textFormat: ".2f" },
    );
    const t = fig.data[0] as { x: string[]; y: string[]; z: (number | null)[][]; texttemplate: string };
    assert.deepEqual(t.x, ["0.1", "0.01"]);
    assert.deepEqual(t.z, [
      [0.9, 0.8],
      [0.7, null],
    ]);
    assert.equal(t.texttemplate, "%{z:.2f}");
  });
});

describe("training curves", () => {
  const records: MetricRecord[] = [
    { epoch: 0.5, step: 1, split: "train", loss: 2, lr: 0.1 },
    { epoch: 1, step: 2, split: "train", loss: 1, lr: 0.1 },
    { epoch: 1, split: "test", loss: 1.5, acc: 0.6, lr: 0.1 },
  ];

  test("records without a step sit at the run's last step", () => {
    assert.deepEqual(xValues(records, "step"), [1, 2, 2]);
    assert.deepEqual(xValues(records, "epoch"), [0.5, 1, 1]);
    assert.deepEqual(xValues([{ epoch: 3, split: "test", loss: 1, lr: 0 }], "auto"), [3]);
  });

  test("one panel per metric, one trace per run and split, legend once", () => {
    const fig = curvesFigure([
      { name: "padam", records },
      { name: "adam", records },
    ]);
    const names = fig.data.map((t) => `${t.name}@${t.yaxis}`);
    assert.deepEqual(names, [
      "padam · train@y",
      "padam · test@y",
      "adam · train@y",
      "adam · test@y",
      "padam · test@y2",
      "adam · test@y2",
    ]);
    assert.deepEqual(
      fig.data.map((t) => t.showlegend),
      [true, true, true, true, false, false],
    );
    assert.equal((fig.layout.yaxis2 as { title: { text: string } }).title.text, "accuracy");
    assert.throws(
      () => curvesFigure([{ name: "x", records }], { metrics: ["bleu" as "loss"] }),
      /metric "bleu" is not allowed/,
    );
  });

  test("live curves outside a kernel only collect records", () => {
    const live = createLiveCurves();
    live.push(records[0], "padam");
    live.hook("adam")(records[1]);
    assert.equal(live.redraws, 0);
    assert.deepEqual(
      live.runs().map((r) => [r.name, r.records.length]),
      [
        ["padam", 1],
        ["adam", 1],
      ],
    );
  });

  test("live curves redraw one display in place, throttling train records", async () => {
    const { value: live, calls } = await captured(async () => {
      const live = createLiveCurves({ minIntervalMs: 60_000 });
      live.startRun("padam");
      live.onRecord(records[0]); // first record: drawn
      live.onRecord(records[1]); // train record within the interval: not drawn
      live.onRecord(records[2]); // test record: always drawn
      await live.finish();
      return live;
    });
    // initPlotly may or may not have embedded plotly.js already in this process; count figure calls only.
    const figures = calls.filter((c) => c.data["application/vnd.plotly.v1+json"] !== undefined);
    assert.equal(figures.length, 3);
    assert.equal(live.redraws, 3);
    const ids = new Set(figures.map((c) => c.target.displayId));
    assert.equal(ids.size, 1);
    assert.deepEqual(
      figures.map((c) => Boolean(c.target.update)),
      [false, true, true],
    );
    assert.match(String(figures[2].data["text/plain"]), /padam: epoch 1, test loss 1\.5, acc 0\.6, lr 0\.1/);
  });

  test("bad records are refused with the field, value and what is allowed", () => {
    const live = createLiveCurves();
    assert.throws(
      () => live.push({ epoch: 1, split: "", loss: 1, lr: 0 }),
      /record\.split is ""; allowed: a non-empty string/,
    );
    assert.throws(
      () => live.push({ epoch: 1, split: "train", loss: "1" as unknown as number, lr: 0 }),
      /record\.loss is "1"; allowed: a number/,
    );
    assert.throws(() => createLiveCurves({ minIntervalMs: -1 }), /minIntervalMs is -1/);
  });
});

describe("tables", () => {
  test("records become an escaped HTML table with formatted numbers", () => {
    const html = toHtmlTable([{ name: "<b>Padam</b>", acc: 0.123456789, n: 3 }], { caption: "a & b" });
    assert.match(html, /<caption[^>]*>a &amp; b<\/caption>/);
    assert.match(html, /<th[^>]*>name<\/th><th[^>]*>acc<\/th><th[^>]*>n<\/th>/);
    assert.match(html, /&lt;b&gt;Padam&lt;\/b&gt;/);
    assert.match(html, />0\.1235</);
    assert.match(html, />3</);
    assert.ok(!html.includes("<b>Padam"));
  });

  test("a danfojs DataFrame renders with its index and columns", () => {
    const dfd = require("danfojs-node");
    const df = new dfd.DataFrame({ opt: ["padam", "adam"], err: [6.5, 7.25] }, { index: ["r1", "r2"] });
    const { value: html, calls } = (() => {
      const calls: MimeBundle[] = [];
      const prev = setDisplaySink((d) => calls.push(d));
      try {
        showTable(df);
        return { value: String(calls[0]?.["text/html"] ?? ""), calls };
      } finally {
        setDisplaySink(prev);
      }
    })();
    const cells = Array.from(html.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g), (m) => m[1]);
    assert.deepEqual(cells, ["", "opt", "err", "r1", "padam", "6.5", "r2", "adam", "7.25"]);
    assert.equal(calls.length, 1);
    assert.match(String(calls[0]["text/plain"]), /opt\s+err\nr1\s+padam\s+6\.5/);
  });

  test("bad input is refused", () => {
    assert.throws(() => toHtmlTable([{ a: 1 }], { precision: 0 }), /precision is 0/);
    assert.throws(() => toHtmlTable([1 as unknown as Record<string, unknown>]), /record 0 is 1/);
  });
});

describe("mode", () => {
  test("PADAM_MODE defaults to quick and rejects unknown values", () => {
    assert.equal(notebookMode({}), "quick");
    assert.equal(notebookMode({ PADAM_MODE: " Smoke " }), "smoke");
    assert.throws(() => notebookMode({ PADAM_MODE: "fast" }), /PADAM_MODE is "fast"; allowed: smoke, quick, full/);
    assert.equal(byMode({ smoke: 1, quick: 2, full: 3 }, "full"), 3);
  });
});

describe("figure export", () => {
  test("data URLs decode (base64 and percent-encoded)", () => {
    assert.equal(decodeDataUrl("data:image/png;base64,aGk=").toString(), "hi");
    assert.equal(decodeDataUrl("data:image/svg+xml,%3Csvg%3E").toString(), "<svg>");
    assert.throws(() => decodeDataUrl("http://x"), /not a data URL/);
  });

  test("without Chromium, export is skipped with a reason", async () => {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = "/nonexistent/chromium";
    try {
      const r = await exportFigure(lineFigure([{ name: "a", x: [0], y: [0] }]), {
        notebook: "t",
        name: "f",
        width: 100,
        height: 100,
        root: os.tmpdir(),
      });
      assert.deepEqual(r.files, []);
      assert.match(r.skipped ?? "", /no Chromium found/);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });

  const chromium = findChromium();
  test(
    "writes SVG and PNG through headless Chromium",
    { skip: chromium ? false : "no Chromium on this machine (apt-get install chromium)" },
    async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "padam-fig-"));
      try {
        const fig = barFigure([{ name: "test error", x: ["VGG-16", "ResNet-18"], y: [6.5, 5.1] }], {
          title: "export check",
        });
        const r = await exportFigure(fig, { notebook: "nb", name: "bars", width: 400, height: 300, root });
        assert.deepEqual(
          r.files.map((f) => path.relative(root, f)),
          [path.join("nb", "bars.svg"), path.join("nb", "bars.png")],
        );
        const svg = fs.readFileSync(r.files[0], "utf8");
        assert.match(svg, /^<svg/);
        assert.match(svg, /ResNet-18/);
        const png = fs.readFileSync(r.files[1]);
        assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
        assert.equal(png.readUInt32BE(16), 800); // width 400 at the default scale 2
      } finally {
        await closeFigureExporter();
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
