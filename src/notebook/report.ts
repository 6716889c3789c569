/**
 * What every HTML report carries in its `<head>` in place of the references nbconvert writes by
 * default (require.js and MathJax from a URL: on Debian `file:///usr/share/javascript/...`, else a
 * CDN): KaTeX, inlined — its script, the auto-render extension and its stylesheet with the fonts
 * as data URIs — so a report renders its formulas with nothing outside the file.
 *
 * Rendering happens when the report is opened: KaTeX's auto-render walks the text of the page
 * (skipping `pre`, `code`, `script`, ...) as MathJax did, with the same delimiters as Jupyter:
 * `$...$` and `\(...\)` inline, `$$...$$`, `\[...\]` and `\begin{align}...` displayed.
 */
import * as fs from "fs";
import * as path from "path";

/** Delimiters of math in markdown, in the order auto-render tries them (`$$` before `$`). */
export const MATH_DELIMITERS: readonly { left: string; right: string; display: boolean }[] = [
  { left: "$$", right: "$$", display: true },
  { left: "\\[", right: "\\]", display: true },
  { left: "\\(", right: "\\)", display: false },
  { left: "$", right: "$", display: false },
  ...["equation", "equation*", "align", "align*", "gather", "gather*", "alignat", "alignat*"].map((env) => ({
    left: `\\begin{${env}}`,
    right: `\\end{${env}}`,
    display: true,
  })),
];

/** The folder of KaTeX's distribution files (katex.min.js, katex.min.css, fonts/, contrib/). */
export function katexDist(): string {
  return path.join(path.dirname(require.resolve("katex/package.json")), "dist");
}

/**
 * KaTeX's stylesheet with each `@font-face` reduced to its woff2 file, inlined as a data URI
 * (woff2 is read by every browser KaTeX supports; the woff/ttf fallbacks would triple the size).
 */
export function inlineKatexCss(dist: string = katexDist()): string {
  const css = fs.readFileSync(path.join(dist, "katex.min.css"), "utf8");
  const out = css.replace(/src:([^;}]*)/g, (whole, sources: string) => {
    const woff2 = /url\((fonts\/[^)]+\.woff2)\)/.exec(sources);
    if (!woff2) throw new Error(`katex.min.css: a @font-face without a woff2 file: ${whole.slice(0, 120)}`);
    const data = fs.readFileSync(path.join(dist, woff2[1])).toString("base64");
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
  if (/url\((?!data:)/.test(out)) throw new Error("katex.min.css still references a file after inlining the fonts");
  return out;
}

/** A script's text made safe inside `<script>...</script>` ("<\/script" is the same string to JS). */
function scriptText(source: string): string {
  return source.replace(/<\/script/gi, "<\\/script");
}

/**
 * The HTML that goes into each report's `<head>`: KaTeX's stylesheet, KaTeX, auto-render and the
 * call that renders the page's math once it is parsed. Errors in a formula show in red in place
 * (`throwOnError: false`) instead of stopping the rest of the page.
 */
export function reportHeadHtml(dist: string = katexDist()): string {
  const katex = fs.readFileSync(path.join(dist, "katex.min.js"), "utf8");
  const autoRender = fs.readFileSync(path.join(dist, "contrib", "auto-render.min.js"), "utf8");
  const options = { delimiters: MATH_DELIMITERS, throwOnError: false };
  const init =
    `document.addEventListener("DOMContentLoaded", function () {\n` +
    `  renderMathInElement(document.body, ${JSON.stringify(options)});\n` +
    `});`;
  return [
    `<style type="text/css">${inlineKatexCss(dist)}</style>`,
    `<script type="text/javascript">${scriptText(katex)}</script>`,
    `<script type="text/javascript">${scriptText(autoRender)}</script>`,
    `<script type="text/javascript">${init}</script>`,
  ].join("\n");
}

/**
 * The formulas of a markdown text as auto-render finds them, without the ones inside code
 * (fenced blocks and backtick spans, which auto-render skips). Used to check that a report shows
 * every formula of its notebook rendered, and that each one parses with KaTeX.
 */
export function markdownMath(markdown: string): { tex: string; display: boolean }[] {
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, " ").replace(/(`+)[\s\S]*?\1/g, " ");
  const found: { tex: string; display: boolean }[] = [];
  let i = 0;
  outer: while (i < text.length) {
    for (const d of MATH_DELIMITERS) {
      if (!text.startsWith(d.left, i)) continue;
      const end = findEnd(text, d.right, i + d.left.length);
      if (end < 0) continue;
      const isEnv = d.left.startsWith("\\begin");
      found.push({
        tex: isEnv ? text.slice(i, end + d.right.length) : text.slice(i + d.left.length, end),
        display: d.display,
      });
      i = end + d.right.length;
      continue outer;
    }
    i++;
  }
  return found;
}

/** Index of `right` after `from`, skipping backslash escapes and balanced braces (as auto-render). */
function findEnd(text: string, right: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (depth <= 0 && text.startsWith(right, i)) return i;
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}") depth--;
  }
  return -1;
}
