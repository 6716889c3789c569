/**
 * Child process for export.test.ts: exports one figure, prints the export browser's profile folder
 * as JSON, then ends as `argv[2]` says: "return" (nothing left to do), "exit" (process.exit, with
 * the browser open, once a line arrives on stdin) or "wait" (stays until signalled).
 */
import { exportFigure, figureExporterProfile } from "./export";

async function main(): Promise<void> {
  const [how, root] = process.argv.slice(2);
  if (!["return", "exit", "wait"].includes(how) || !root) {
    throw new Error(
      `usage: export-lifetime.child.ts return|exit|wait ROOT (got ${JSON.stringify(process.argv.slice(2))})`,
    );
  }
  const fig = { data: [{ type: "scatter", x: [0, 1], y: [0, 1] }], layout: {} };
  const r = await exportFigure(fig, { notebook: "t", name: "f", width: 200, height: 150, formats: ["svg"], root });
  console.log(JSON.stringify({ profile: figureExporterProfile(), files: r.files }));
  if (how === "exit") process.stdin.once("data", () => process.exit(0));
  if (how === "wait") setInterval(() => undefined, 1000);
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
