import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import katex from "katex";
import { inlineKatexCss, markdownMath, reportHeadHtml } from "./report";

const NOTEBOOKS = path.resolve(__dirname, "..", "..", "notebooks");

test("markdownMath finds the formulas auto-render finds, and none inside code", () => {
  const md = [
    "Inline $a_t^2$ and \\(b\\), displayed $$\\frac{1}{T}$$ and \\[x\\].",
    "A brace keeps the closing dollar inside: $\\text{$}x$ is one formula.",
    "`$not math$` in a code span, and",
    "```ts",
    "const s = `${x}$`;",
    "```",
    "\\begin{align} a &= b \\end{align}",
  ].join("\n");
  assert.deepEqual(markdownMath(md), [
    { tex: "a_t^2", display: false },
    { tex: "b", display: false },
    { tex: "\\frac{1}{T}", display: true },
    { tex: "x", display: true },
    { tex: "\\text{$}x", display: false },
    { tex: "\\begin{align} a &= b \\end{align}", display: true },
  ]);
});

test("every formula in the notebooks parses with KaTeX", () => {
  let total = 0;
  for (const file of fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb"))) {
    const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), "utf8")) as {
      cells: { cell_type: string; source: string | string[] }[];
    };
    for (const cell of nb.cells.filter((c) => c.cell_type === "markdown")) {
      for (const m of markdownMath([cell.source].flat().join(""))) {
        total++;
        assert.doesNotThrow(
          () => katex.renderToString(m.tex, { displayMode: m.display, throwOnError: true }),
          `${file}: ${m.tex}`,
        );
      }
    }
  }
  assert.ok(total > 20, `${total} formulas found (03-convergence-theory alone has more than 20)`);
});

test("the report head loads nothing from outside: fonts inlined, no URL but data:", () => {
  const css = inlineKatexCss();
  const urls = css.match(/url\([^)]*\)/g) ?? [];
  assert.ok(urls.length >= 20, `${urls.length} font URLs (KaTeX has 20 font faces)`);
  assert.ok(
    urls.every((u) => u.startsWith("url(data:font/woff2;base64,")),
    "every font is a woff2 data URI",
  );
  const head = reportHeadHtml();
  // The markup around the inlined scripts and styles (their contents are JS and CSS).
  const markup = head
    .replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/g, "$1</script>")
    .replace(/(<style\b[^>]*>)[\s\S]*?<\/style>/g, "$1</style>");
  assert.equal((markup.match(/<script\b/g) ?? []).length, 3, markup);
  assert.equal(/\b(src|href)\s*=/.test(markup), false, `no element that loads a file: ${markup}`);
  assert.equal(/file:\/\/|https?:\/\//.test(markup), false, markup);
  assert.match(head, /renderMathInElement\(document\.body/);
});
