/**
 * `npm run data -- <name>...`: download data sets, verify every file against the manifest
 * checksums, and install them under `<repo>/data` (or `--into <dir>`), with progress.
 * A copy that is found but fails verification is repaired: a fresh copy is fetched and verified
 * first, then the damaged one is moved aside (`<folder>.damaged-<time>`, never deleted).
 * `npm run data -- --list`: where each data set is found (or that it is missing).
 * `npm run data -- --verify <name>...`: check the found copies against the manifest.
 * `npm run data -- --workbook`: fetch whatever the notebooks need that no data root holds yet
 * (`scripts/setup.sh` runs it); a data set that cannot be fetched is one line, not an error.
 *
 * Exit status: 0 done, 1 the work failed (offline, bad checksum, ...), 2 usage error.
 * Archives are unpacked with the system `tar` (present on every POSIX machine the project
 * supports; no archive library is needed for two .tar.gz files).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { SingleBar, Presets } from "cli-progress";
import {
  DATASET_NAMES,
  DatasetName,
  DownloadItem,
  MANIFEST,
  ManifestEntry,
  REPO_ROOT,
  candidateFolders,
  findFile,
  locateDataset,
  md5,
  verifyBytes,
} from "../src/datasets/manifest";
import { DATA_NEEDS, dataAvailable, type DataNeedName } from "../src/datasets/availability";

const DOWNLOADABLE = DATASET_NAMES.filter((n) => MANIFEST[n].download);

const USAGE = `usage: npm run data -- [--into <dir>] <name>... | --workbook | --list | --verify <name>...
names: ${DOWNLOADABLE.join(", ")}`;

/** Default download root: `<repo>/data` (data roots in PADAM_DATA may be read-only). */
export function defaultDownloadRoot(): string {
  return path.join(REPO_ROOT, "data");
}

/** Checks a downloaded archive's md5 (pure). Throws naming the file, got and expected. */
export function checkArchive(bytes: Uint8Array, expectedMd5: string | undefined, file: string): void {
  if (expectedMd5 === undefined) return;
  const got = md5(bytes);
  if (got !== expectedMd5)
    throw new Error(
      `${file}: md5 ${got}, expected ${expectedMd5}; the download is corrupt or incomplete, nothing was installed`,
    );
}

/** Verifies every manifest file of `entry` in `folder`; returns one line per file, throws on the first bad one. */
export function verifyFolder(entry: ManifestEntry, folder: string): string[] {
  return entry.files.map((f) => {
    const p = findFile(folder, f.file);
    if (p === undefined) throw new Error(`${path.join(folder, f.file)}: missing. To get it: ${entry.howToGet}.`);
    verifyBytes(new Uint8Array(fs.readFileSync(p)), f, p, entry.howToGet);
    return `ok  ${p}`;
  });
}

/** Verifies the located copy of a manifest data set (see {@link verifyFolder}). */
export function verifyDataset(name: DatasetName, folder: string): string[] {
  return verifyFolder(MANIFEST[name], folder);
}

/** Lines for `--list`. */
export function listLines(): string[] {
  const lines: string[] = [];
  for (const name of DATASET_NAMES) {
    const found = locateDataset(name);
    lines.push(`${name.padEnd(14)} ${found ? `found: ${found}` : "missing"}  (${MANIFEST[name].description})`);
    if (!found)
      lines.push(
        `${"".padEnd(14)} searched: ${candidateFolders(name).join(", ")}; to get it: ${MANIFEST[name].howToGet}`,
      );
  }
  return lines;
}

/** Where progress goes: a bar on a TTY, else a line every 10 % (and one at the end). */
export interface ProgressSink {
  tty: boolean;
  write(line: string): void;
}

const MB = 1024 * 1024;

function progress(
  label: string,
  total: number | undefined,
  sink: ProgressSink,
): { update(done: number): void; stop(done: number): void } {
  if (sink.tty && total) {
    const bar = new SingleBar(
      { format: `${label} |{bar}| {percentage}% {value}/{total} MB`, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(Math.ceil(total / MB), 0);
    return { update: (d) => bar.update(Math.floor(d / MB)), stop: () => bar.stop() };
  }
  let shown = 0;
  const size = (d: number) => `${(d / MB).toFixed(1)} MB`;
  return {
    update(done) {
      if (!total) return;
      const tenth = Math.floor((10 * done) / total);
      if (tenth > shown && tenth < 10) {
        shown = tenth;
        sink.write(`${label}: ${10 * tenth}% (${size(done)} of ${size(total)})`);
      }
    },
    stop: (done) => sink.write(`${label}: ${size(done)} fetched`),
  };
}

/** Network errors that mean "no route to the server" rather than a server-side problem. */
const OFFLINE_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** The one-line message for a download that could not start or finish. */
export function downloadFailure(url: string, err: unknown, root: string): Error {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  const why = (cause?.message ?? (err as Error).message).replace(/\s+/g, " ");
  const offline = (code !== undefined && OFFLINE_CODES.has(code)) || (err as Error).name === "TimeoutError";
  const hint = offline
    ? `this machine seems to be offline; fetch it on a machine with internet and copy the data set folder into ${root} (or add its folder to PADAM_DATA)`
    : "try again later, or fetch it elsewhere and add its folder to PADAM_DATA";
  return new Error(`cannot download ${url}: ${why}; ${hint}`);
}

/** Fetches `url` into `dest`, reporting progress; aborts when no byte arrives for `idleMs`. */
export async function fetchToFile(
  url: string,
  dest: string,
  sink: ProgressSink,
  root: string,
  idleMs = 30_000,
): Promise<void> {
  const abort = new AbortController();
  let timer = setTimeout(
    () => abort.abort(new DOMException("no data for " + idleMs / 1000 + " s", "TimeoutError")),
    idleMs,
  );
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => abort.abort(new DOMException("no data for " + idleMs / 1000 + " s", "TimeoutError")),
      idleMs,
    );
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: abort.signal });
    } catch (e) {
      throw downloadFailure(url, e, root);
    }
    if (!res.ok || !res.body) throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
    const length = Number(res.headers.get("content-length")) || undefined;
    const bar = progress(path.basename(dest), length, sink);
    const out = fs.openSync(dest, "w");
    let done = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        poke();
        fs.writeSync(out, chunk);
        done += chunk.length;
        bar.update(done);
      }
    } catch (e) {
      throw downloadFailure(url, e, root);
    } finally {
      fs.closeSync(out);
      bar.stop(done);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Finds a file called `name` anywhere under `dir` (first in sorted walk order). */
function findByName(dir: string, name: string): string | undefined {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const hit = findByName(p, name);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** Downloads, checks, unpacks and verifies `entry` into `<tmp>/<folder>`; returns that folder. */
async function stage(entry: ManifestEntry, tmp: string, sink: ProgressSink, root: string): Promise<string> {
  const fetched = path.join(tmp, "fetched");
  fs.mkdirSync(fetched);
  for (const d of entry.download as DownloadItem[]) {
    sink.write(`downloading ${d.url}`);
    const file = path.join(fetched, d.file);
    await fetchToFile(d.url, file, sink, root);
    checkArchive(new Uint8Array(fs.readFileSync(file)), d.md5, d.file);
    if (d.unpack) {
      const members = d.unpack.members ?? [];
      execFileSync("tar", ["-xzf", file, "-C", fetched, ...(members.length > 0 ? ["--wildcards", ...members] : [])]);
      fs.rmSync(file);
    }
  }
  const staged = path.join(tmp, entry.folder);
  fs.mkdirSync(staged);
  for (const f of entry.files) {
    const from = findByName(fetched, path.basename(f.file));
    if (from === undefined)
      throw new Error(
        `${entry.name}: ${f.file} is not in the download (${entry.download?.map((d) => d.url).join(", ")})`,
      );
    fs.mkdirSync(path.dirname(path.join(staged, f.file)), { recursive: true });
    fs.renameSync(from, path.join(staged, f.file));
  }
  verifyFolder(entry, staged).forEach((l) => sink.write(l));
  return staged;
}

/** The first problem of a copy (as a message), or undefined when every file verifies. */
function damage(entry: ManifestEntry, folder: string): string | undefined {
  try {
    verifyFolder(entry, folder);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

export interface InstallOptions {
  /** Download root for a data set not found anywhere. Default `<repo>/data`. */
  root?: string;
  /** Where the copy currently in use is (default: the manifest lookup); undefined = none. */
  existing?: string;
  sink?: ProgressSink;
}

/**
 * Installs `entry`: nothing to do when the copy in use verifies; otherwise downloads into a
 * staging folder beside the target, verifies, then moves any damaged or incomplete copy aside
 * and renames the staged folder into place. Returns the installed (or verified) folder.
 */
export async function installDataset(entry: ManifestEntry, opts: InstallOptions = {}): Promise<string> {
  const sink = opts.sink ?? { tty: Boolean(process.stderr.isTTY), write: (l) => console.log(l) };
  const root = path.resolve(opts.root ?? defaultDownloadRoot());
  if (!entry.download) throw new Error(`data set ${entry.name} has no download; ${entry.howToGet}`);
  const existing = "existing" in opts ? opts.existing : locateDataset(entry.name);
  const problem = existing === undefined ? undefined : damage(entry, existing);
  if (existing !== undefined && problem === undefined) {
    sink.write(`${entry.name}: already present and verified at ${existing}; nothing downloaded`);
    return existing;
  }
  const target = existing ?? path.join(root, entry.folder);
  if (existing !== undefined) {
    try {
      fs.accessSync(path.dirname(existing), fs.constants.W_OK);
    } catch {
      throw new Error(
        `${entry.name}: the copy at ${existing} is damaged (${problem}) and its folder is read-only; remove it or take its root out of PADAM_DATA, then run \`npm run data -- ${entry.name}\` again`,
      );
    }
    sink.write(`${entry.name}: the copy at ${existing} is damaged (${problem}); fetching a fresh one`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(target), `.download-${entry.name}-`));
  try {
    const staged = await stage(entry, tmp, sink, root);
    if (fs.existsSync(target)) {
      const aside = `${target}.${existing !== undefined ? "damaged" : "incomplete"}-${stamp()}`;
      fs.renameSync(target, aside);
      sink.write(`${entry.name}: previous copy kept at ${aside}`);
    }
    fs.renameSync(staged, target);
    sink.write(`${entry.name}: installed at ${target}`);
    return target;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** What the notebooks need (CIFAR-10 for 04/05, PTB for 06, Fashion-MNIST for the rest). */
export const WORKBOOK_NEEDS: DataNeedName[] = ["fashion-mnist", "cifar10", "ptb"];

/**
 * Fetches each workbook need that no data root satisfies. Returns one line per need; a fetch
 * that fails (offline, bad checksum) is reported in its line and the others still run.
 */
export async function fetchWorkbookData(
  opts: InstallOptions = {},
): Promise<{ lines: string[]; missing: DataNeedName[] }> {
  const lines: string[] = [];
  const missing: DataNeedName[] = [];
  for (const need of WORKBOOK_NEEDS) {
    const { label, fetch } = DATA_NEEDS[need];
    if (dataAvailable(need)) {
      lines.push(`${label}: present`);
      continue;
    }
    try {
      lines.push(`${label}: installed at ${await installDataset(MANIFEST[fetch], opts)}`);
    } catch (e) {
      missing.push(need);
      lines.push(`${label}: not fetched: ${(e as Error).message}`);
    }
  }
  return { lines, missing };
}

interface Parsed {
  action: "list" | "verify" | "fetch" | "help" | "workbook";
  names: DatasetName[];
  into?: string;
}

/** Parses the arguments; a string is a usage error (exit 2). */
export function parseArgs(argv: string[]): Parsed | string {
  if (argv.includes("--help") || argv.includes("-h")) return { action: "help", names: [] };
  if (argv.length === 0) return "no data set named";
  if (argv[0] === "--list")
    return argv.length === 1
      ? { action: "list", names: [] }
      : `--list takes no further arguments, got ${argv.slice(1).join(" ")}`;
  if (argv[0] === "--workbook")
    return argv.length === 1
      ? { action: "workbook", names: [] }
      : `--workbook takes no further arguments, got ${argv.slice(1).join(" ")}`;
  const verify = argv[0] === "--verify";
  let into: string | undefined;
  const names: DatasetName[] = [];
  for (let i = verify ? 1 : 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--into" && !verify) {
      into = argv[++i];
      if (into === undefined || into.startsWith("--")) return "--into needs a folder";
    } else if (a.startsWith("-")) {
      return `unknown option ${a}`;
    } else if (!(verify ? DATASET_NAMES : DOWNLOADABLE).includes(a as DatasetName)) {
      return `unknown data set "${a}"`;
    } else names.push(a as DatasetName);
  }
  if (names.length === 0) return verify ? "--verify needs at least one data set name" : "no data set named";
  return { action: verify ? "verify" : "fetch", names, into };
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (typeof parsed === "string") {
    console.error(`${parsed}\n${USAGE}`);
    return 2;
  }
  if (parsed.action === "help") {
    console.log(USAGE);
    return 0;
  }
  if (parsed.action === "list") {
    listLines().forEach((l) => console.log(l));
    return 0;
  }
  if (parsed.action === "workbook") {
    const { lines, missing } = await fetchWorkbookData();
    lines.forEach((l) => console.log(l));
    if (missing.length > 0)
      console.log(`the notebooks that need ${missing.join(", ")} will say so and render the rest`);
    return missing.length > 0 ? 1 : 0;
  }
  try {
    for (const n of parsed.names) {
      if (parsed.action === "verify") {
        const folder = locateDataset(n);
        if (!folder)
          throw new Error(`${n}: not found (searched ${candidateFolders(n).join(", ")}); ${MANIFEST[n].howToGet}`);
        verifyDataset(n, folder).forEach((l) => console.log(l));
      } else {
        await installDataset(MANIFEST[n], { root: parsed.into });
      }
    }
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
