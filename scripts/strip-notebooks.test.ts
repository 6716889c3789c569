import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { listNotebookFiles, readNotebook, stripFiles, stripNotebook, unstrippedParts } from "./strip-notebooks";

const executed = {
  cells: [
    { cell_type: "markdown", id: "m1", metadata: {}, source: ["# t"] },
    {
      cell_type: "code",
      id: "c1",
      execution_count: 3,
      source: ["1+1"],
      metadata: { tags: ["keep"], execution: { "iopub.status.busy": "2024" }, scrolled: true },
      outputs: [{ output_type: "stream", name: "stdout", text: ["2\n"] }],
    },
  ],
  metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
  nbformat: 4,
  nbformat_minor: 5,
};

test("stripping clears outputs, counts and run metadata, and keeps everything else", () => {
  assert.deepEqual(unstrippedParts(executed), [
    "cell 1: 1 output(s)",
    "cell 1: execution_count 3",
    "cell 1: metadata.execution",
    "cell 1: metadata.scrolled",
  ]);
  const stripped = stripNotebook(executed);
  assert.deepEqual(unstrippedParts(stripped), []);
  assert.deepEqual(stripped.cells[1], {
    cell_type: "code",
    id: "c1",
    execution_count: null,
    source: ["1+1"],
    metadata: { tags: ["keep"] },
    outputs: [],
  });
  assert.deepEqual(stripped.cells[0], executed.cells[0]);
  assert.deepEqual(stripped.metadata, executed.metadata);
  assert.equal(executed.cells[1].outputs?.length, 1, "the input is not modified");
});

test("files are rewritten only when they change, in nbformat's layout", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "padam-strip-"));
  try {
    const file = path.join(dir, "a.ipynb");
    fs.writeFileSync(file, JSON.stringify(executed));
    assert.deepEqual(stripFiles([file]), [file]);
    const text = fs.readFileSync(file, "utf8");
    assert.ok(text.startsWith('{\n "cells": [\n  {\n   "cell_type": "markdown",'), "sorted keys, one-space indent");
    assert.ok(text.endsWith("}\n"));
    assert.deepEqual(stripFiles([file]), [], "a stripped file is left alone");
    assert.throws(() => stripNotebook({} as Parameters<typeof stripNotebook>[0]), /not a notebook/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("committed notebooks are stripped, use the tslab kernel and import the library from ./src", () => {
  const files = listNotebookFiles();
  assert.ok(
    files.some((f) => path.basename(f) === "00-quickstart.ipynb"),
    "notebooks/00-quickstart.ipynb exists",
  );
  for (const file of files) {
    const name = path.basename(file);
    const nb = readNotebook(file);
    assert.deepEqual(unstrippedParts(nb), [], `${name} has outputs; run \`npm run nb:strip\``);
    assert.equal(
      (nb.metadata.kernelspec as { name?: string } | undefined)?.name,
      "tslab",
      `${name}: kernelspec.name must be "tslab"`,
    );
    const code = nb.cells
      .filter((c) => c.cell_type === "code")
      .map((c) => ([] as string[]).concat(c.source as string | string[]).join(""))
      .join("\n");
    const local = Array.from(code.matchAll(/from\s+"(\.{1,2}\/[^"]*)"/g), (m) => m[1]);
    assert.deepEqual(
      local.filter((s) => s !== "./src"),
      [],
      `${name} must import the library only as "./src"`,
    );
  }
});
