/**
 * Course assignments: writes the student versions of the source notebooks in assignments/.
 *
 *   npm run assignments -- build [--out DIR]     # default DIR: reports/assignments
 *
 * Solution regions become a stub that throws "not implemented yet", hidden checks are removed and
 * outputs cleared (src/assignments/build.ts). DIR gets a `src` link to the library so the student
 * versions run in place; files of an earlier build are replaced (each is listed).
 */
import * as path from "path";
import { buildStudentVersions } from "../src/assignments/build";

const REPO = path.resolve(__dirname, "..");
const USAGE = "usage: npm run assignments -- build [--out DIR]";

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command !== "build") throw new Error(`command is ${JSON.stringify(command ?? "")}; allowed: build\n${USAGE}`);
  let out = path.join(REPO, "reports", "assignments");
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--out" && rest[i + 1]) out = path.resolve(rest[++i]);
    else throw new Error(`unknown argument ${JSON.stringify(rest[i])}\n${USAGE}`);
  }
  const r = buildStudentVersions(path.join(REPO, "assignments"), out, path.join(REPO, "src"));
  for (const f of r.replaced) console.log(`replaced ${path.relative(process.cwd(), f)}`);
  console.log(`wrote ${r.written.length} student notebook(s) to ${path.relative(process.cwd(), out) || "."}`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
