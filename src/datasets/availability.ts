/**
 * Whether the data a notebook or test needs is present, and the one line to show when it is
 * not: what is missing, where it was looked for, and the command that fetches it. Notebooks call
 * {@link requireData} and skip only the cells that need the data; tests pass {@link dataSkip}
 * as the `skip` option, so an absent data set is a stated skip rather than a failure.
 */
import * as path from "node:path";
import { DataDirOptions, DatasetName, candidateFolders, locateDataset } from "./manifest";
import { REPO_ROOT } from "../util/paths";

/** A need: any one of `anyOf` will do; `fetch` is the data set `npm run data` downloads for it. */
export interface DataNeed {
  label: string;
  anyOf: readonly DatasetName[];
  fetch: DatasetName;
}

/** What the workbook needs, by the name notebooks and tests use. CIFAR-10 loads from either copy. */
export const DATA_NEEDS = {
  cifar10: { label: "CIFAR-10", anyOf: ["cifar10", "cifar10-jpeg"], fetch: "cifar10" },
  "cifar10-jpeg": { label: "CIFAR-10 (JPEG copy)", anyOf: ["cifar10-jpeg"], fetch: "cifar10" },
  ptb: { label: "Penn Treebank", anyOf: ["ptb"], fetch: "ptb" },
  "fashion-mnist": { label: "Fashion-MNIST", anyOf: ["fashion-mnist"], fetch: "fashion-mnist" },
} as const satisfies Record<string, DataNeed>;

export type DataNeedName = keyof typeof DATA_NEEDS;

function need(name: DataNeedName): DataNeed {
  const n: DataNeed | undefined = (DATA_NEEDS as Record<string, DataNeed>)[name];
  if (!n) throw new Error(`unknown data need ${JSON.stringify(name)}; allowed: ${Object.keys(DATA_NEEDS).join(", ")}`);
  return n;
}

/** True when some data root holds one of the data sets that satisfy `name`. */
export function dataAvailable(name: DataNeedName, opts: DataDirOptions = {}): boolean {
  return need(name).anyOf.some((d) => locateDataset(d, opts) !== undefined);
}

/** One line saying that `name` is absent, where it was looked for, and how to fetch it. */
export function missingDataLine(name: DataNeedName, opts: DataDirOptions = {}): string {
  const n = need(name);
  // Folders inside the checkout are named relative to it: the line ends up in reports read elsewhere.
  const shown = (dir: string) =>
    path.relative(REPO_ROOT, dir).startsWith("..") ? dir : path.relative(REPO_ROOT, dir) || ".";
  const looked = [...new Set(candidateFolders(n.anyOf[0], opts).map((f) => shown(path.dirname(f))))].join(", ");
  return `${n.label} not found (data roots: ${looked}); fetch it with \`npm run data -- ${n.fetch}\` or add its folder to PADAM_DATA.`;
}

/** For `test(name, { skip: dataSkip("ptb") }, ...)`: false when present, else the one-line reason. */
export function dataSkip(name: DataNeedName, opts: DataDirOptions = {}): string | false {
  return dataAvailable(name, opts) ? false : missingDataLine(name, opts);
}

/**
 * For notebooks: true when `name` is present; otherwise prints the one-line reason (with
 * `log`, default console.log) and returns false, so the caller skips the cells that need it
 * and still renders everything else (committed results included).
 */
export function requireData(name: DataNeedName, opts: DataDirOptions & { log?: (line: string) => void } = {}): boolean {
  if (dataAvailable(name, opts)) return true;
  (opts.log ?? console.log)(missingDataLine(name, opts));
  return false;
}
