/**
 * The evidence notebooks (01, 04, 06, 07, 08) say only what code measured: no typed-in speeds or
 * BPTT lengths in their prose (both come from runs and presets), and each shows the committed
 * reference results through `showReferenceResults` or `loadReferenceResults`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../util/paths";

const EVIDENCE = ["01-motivation", "04-cifar10", "06-ptb-lstm", "07-p-sweep", "08-summary"];

function cells(name: string): { cell_type: string; source: string }[] {
  const nb = JSON.parse(readFileSync(join(REPO_ROOT, "notebooks", `${name}.ipynb`), "utf8")) as {
    cells: { cell_type: string; source: string[] | string }[];
  };
  return nb.cells.map((c) => ({
    cell_type: c.cell_type,
    source: Array.isArray(c.source) ? c.source.join("") : c.source,
  }));
}

// "~25 images/s", "1.5–2 s per step", "about 30 s per run", "45 s each", "BPTT 70"
const TYPED_FACTS =
  /(\d[\d.,–-]*\s*(images|tokens|samples)\s*\/\s*s)|(\d[\d.,–-]*\s*s (per|each)\b)|(\d+\s*s per run)|(BPTT \d+)/i;

for (const name of EVIDENCE) {
  test(`${name}: no typed-in speed or BPTT length in the prose; committed results shown`, () => {
    const all = cells(name);
    for (const c of all.filter((c) => c.cell_type === "markdown")) assert.doesNotMatch(c.source, TYPED_FACTS);
    const code = all
      .filter((c) => c.cell_type === "code")
      .map((c) => c.source)
      .join("\n");
    assert.match(code, /showReferenceResults\(|loadReferenceResults\(/);
  });
}

test("the pattern catches the speeds the notebooks used to quote", () => {
  for (const s of [
    "roughly 25 images/s on the wasm backend",
    "~1.5–2 s per step",
    "about 30 s per run",
    "about 45 s each",
    "BPTT 70",
  ])
    assert.match(s, TYPED_FACTS, s);
});
