/**
 * The student versions: no solution or hidden-test text leaks, solution regions become a stub
 * that throws "not implemented yet", outputs are cleared, and bad sources are refused with a
 * message naming the cell.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { buildStudentVersions, executableVersion, listSources, studentVersion } from "./build";
import { Cell, MARKERS, Notebook, cellSource, gradeCells, nbgraderMeta, readNotebook, regions } from "./notebook";

const ASSIGNMENTS = path.resolve(__dirname, "..", "..", "assignments");

/** Every line strictly inside a solution or hidden-test region of the source notebook. */
function secretLines(nb: Notebook): string[] {
  const out: string[] = [];
  for (const c of nb.cells) {
    const text = cellSource(c);
    const lines = text.split("\n");
    for (const [b, e] of [
      ...regions(text, MARKERS.beginSolution, MARKERS.endSolution, "x"),
      ...regions(text, MARKERS.beginHidden, MARKERS.endHidden, "x"),
    ]) {
      // Lines of only brackets and punctuation ("}", "};") carry no solution text.
      out.push(
        ...lines
          .slice(b + 1, e)
          .map((l) => l.trim())
          .filter((l) => /[A-Za-z0-9]/.test(l)),
      );
    }
  }
  return out;
}

function cell(kind: "solution" | "grade" | "locked", id: string, source: string, points?: number): Cell {
  return {
    cell_type: "code",
    source,
    metadata: {
      nbgrader: {
        solution: kind === "solution",
        grade: kind === "grade",
        locked: kind !== "solution",
        grade_id: id,
        points,
        schema_version: 3,
      },
    },
    outputs: [{ output_type: "stream", name: "stdout", text: "42" }],
    execution_count: 3,
  };
}

const tiny = (): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    cell("solution", "f", "function f(): number {\n  // ### BEGIN SOLUTION\n  return 42;\n  // ### END SOLUTION\n}"),
    cell("grade", "f-check", "check(f);\n// ### BEGIN HIDDEN TESTS\ncheckMore(f);\n// ### END HIDDEN TESTS", 2),
  ],
});

describe("student versions", () => {
  it("leak no line of a solution or hidden region, for every assignment", () => {
    const sources = listSources(ASSIGNMENTS);
    assert.ok(sources.length >= 1, "at least one assignment");
    for (const f of sources) {
      const src = readNotebook(f);
      const secrets = secretLines(src);
      assert.ok(secrets.length > 0, `${f} has solution text`);
      const student = studentVersion(src, f);
      const text = student.cells.map((c) => cellSource(c)).join("\n");
      const studentLines = new Set(text.split("\n").map((l) => l.trim()));
      for (const s of secrets)
        assert.ok(
          !studentLines.has(s) && !text.includes(s),
          `${path.basename(f)}: solution line leaks into the student version: ${s}`,
        );
      for (const m of Object.values(MARKERS))
        assert.ok(!text.includes(m), `${path.basename(f)}: marker ${m} left in the student version`);
      // Every grade cell survives with its points; every solution cell gets the stub.
      assert.deepEqual(gradeCells(student), gradeCells(src));
      for (const c of student.cells) {
        if (nbgraderMeta(c)?.solution) assert.match(cellSource(c), /throw new Error\("not implemented yet: /);
        if (c.cell_type === "code") assert.deepEqual([c.outputs, c.execution_count], [[], null]);
      }
    }
  });

  it("replace a solution by the stub at its indentation and drop hidden checks", () => {
    const s = studentVersion(tiny());
    assert.equal(
      cellSource(s.cells[0]),
      'function f(): number {\n  // YOUR CODE HERE\n  throw new Error("not implemented yet: f (replace this line with your code)");\n}',
    );
    assert.equal(cellSource(s.cells[1]), "check(f);");
    assert.deepEqual(s.cells[1].outputs, []);
    const e = executableVersion(tiny());
    assert.equal(cellSource(e.cells[0]), "function f(): number {\n  return 42;\n}");
    assert.equal(cellSource(e.cells[1]), "check(f);\ncheckMore(f);");
  });

  it("refuse unbalanced markers, duplicate ids and hidden tests outside grade cells, naming the cell", () => {
    const open = tiny();
    open.cells[0].source = "// ### BEGIN SOLUTION\nreturn 1;";
    assert.throws(
      () => studentVersion(open, "A9.ipynb"),
      /A9\.ipynb, cell 0 \(f\): "### BEGIN SOLUTION" on line 1 is never closed/,
    );
    const dup = tiny();
    dup.cells[1].metadata.nbgrader!.grade_id = "f";
    assert.throws(() => studentVersion(dup, "A9.ipynb"), /grade_id "f" is used twice/);
    const hid = tiny();
    hid.cells[0].source = "// ### BEGIN HIDDEN TESTS\nx\n// ### END HIDDEN TESTS";
    assert.throws(() => studentVersion(hid, "A9.ipynb"), /hidden-test markers in a cell that is not a grade cell/);
  });

  it("are written to the output folder with a link to the library, never into the sources", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "assign-build-"));
    try {
      assert.throws(
        () => buildStudentVersions(ASSIGNMENTS, ASSIGNMENTS, path.join(ASSIGNMENTS, "src")),
        /is the source folder/,
      );
      const out = path.join(dir, "student");
      const r = buildStudentVersions(ASSIGNMENTS, out, path.resolve(ASSIGNMENTS, "..", "src"));
      assert.deepEqual(
        r.written.map((f) => path.basename(f)),
        listSources(ASSIGNMENTS).map((f) => path.basename(f)),
      );
      assert.ok(fs.existsSync(path.join(out, "src", "assignments", "index.ts")), "src link resolves to the library");
      const again = buildStudentVersions(ASSIGNMENTS, out, path.resolve(ASSIGNMENTS, "..", "src"));
      assert.deepEqual(again.replaced, r.written, "a rebuild reports what it replaced");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
