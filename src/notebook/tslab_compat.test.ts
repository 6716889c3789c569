/**
 * Guards for what notebooks need from src (docs/notebook-stack.md, sections 2 and 3):
 *
 * 1. tslab loads imported .ts files from its own compiled outputs by file name and does not look
 *    for `<folder>/index.js`, so a relative import of a folder (`from "./optim"`) compiles but
 *    fails at run time in a notebook ("Cannot find module"). Imports must name the file
 *    (`from "./optim/index"`).
 * 2. A type error anywhere in src blocks every notebook cell, and tslab compiles with its own fixed
 *    options (non-strict, ESNext modules, Node10 resolution, `declaration: true`) and its own
 *    TypeScript (5.0). The whole library, as a notebook imports it (`./src` through the
 *    notebooks/src link), must compile under exactly those options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const SRC = path.join(ROOT, "src");
const NOTEBOOKS = path.join(ROOT, "notebooks");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts"))
      out.push(full);
  }
  return out;
}

/** Relative module specifiers of import/export-from statements and require() calls. */
export function relativeSpecifiers(code: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']*)["']/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null) specs.push(m[1]);
  return specs;
}

test("relativeSpecifiers finds import, export-from, side-effect import and require", () => {
  const code = [
    'import { a } from "./a";',
    'export * from "../b/index";',
    "import './side';",
    'const c = require("./c");',
    'import * as tf from "@tensorflow/tfjs";',
    "// a comment mentioning from the docs",
  ].join("\n");
  assert.deepEqual(relativeSpecifiers(code), ["./a", "../b/index", "./side", "./c"]);
});

test("src has no relative import of a folder (tslab cannot load <folder>/index)", () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(SRC)) {
    // Strip comments so examples in doc comments do not count.
    const code = fs
      .readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/(^|[^:])\/\/.*$/gm, "$1");
    for (const spec of relativeSpecifiers(code)) {
      const target = path.resolve(path.dirname(file), spec);
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
        offenders.push(`${path.relative(ROOT, file)}: "${spec}" is a folder; write "${spec}/index"`);
      }
    }
  }
  assert.deepEqual(offenders, [], offenders.join("\n"));
});

test("notebooks/src links to ../src and notebooks/src.ts re-exports it", () => {
  const link = path.join(NOTEBOOKS, "src");
  assert.ok(fs.lstatSync(link).isSymbolicLink(), "notebooks/src must be a symlink");
  assert.equal(fs.readlinkSync(link), "../src");
  assert.match(fs.readFileSync(path.join(NOTEBOOKS, "src.ts"), "utf8"), /export \* from "\.\/src\/index";/);
});

test("the library compiles under tslab's compiler and options, imported as a notebook does", () => {
  // tslab's own TypeScript build (5.0.x), as its converter uses it (node_modules/tslab/dist/converter.js).

  const ts = require("@tslab/typescript-for-tslab");
  const cell = path.join(NOTEBOOKS, "__tslab_compat_cell.ts");
  const code = 'import * as lib from "./src";\nexport const names = Object.keys(lib);\n';
  const options = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    declaration: true,
    experimentalDecorators: true,
    resolveJsonModule: true,
    allowJs: true,
    checkJs: true,
    skipLibCheck: true,
    rootDir: NOTEBOOKS,
    outDir: path.join(ROOT, ".cache", "tslab-compat-out"),
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  // The cell exists only in memory; nothing is written.
  host.getSourceFile = (f: string, lang: unknown, ...rest: unknown[]) =>
    f === cell ? ts.createSourceFile(f, code, lang) : getSourceFile(f, lang, ...rest);
  host.fileExists = (f: string) => f === cell || fileExists(f);
  host.readFile = (f: string) => (f === cell ? code : readFile(f));
  const program = ts.createProgram([cell], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program) as {
    file?: { fileName: string; getLineAndCharacterOfPosition(p: number): { line: number } };
    start?: number;
    messageText: unknown;
  }[];
  const messages = diagnostics.map((d) => {
    const where = d.file
      ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : "(global)";
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  assert.deepEqual(messages, [], `tslab would refuse to run notebook cells:\n${messages.join("\n")}`);
  const loaded = (program.getSourceFiles() as { fileName: string }[]).filter((f) =>
    f.fileName.includes(`${path.sep}src${path.sep}`),
  );
  assert.ok(loaded.length > 0, "the cell did not load any file of src");
});
