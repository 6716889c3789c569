/**
 * `npm run data -- <name>`: download a data set into the first data root (`PADAM_DATA`, else
 * `<repo>/data`) and verify it against the manifest checksums.
 * `npm run data -- --list`: show where each data set is found (or that it is missing).
 * `npm run data -- --verify <name>`: check the found copy against the manifest.
 *
 * Downloads need internet access; without it the command fails with a message naming the URL.
 * Nothing already present is overwritten: an existing, verified data set is reported and left.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { DATASET_NAMES, DatasetName, MANIFEST, REPO_ROOT, candidateFolders, locateDataset, md5, readVerified } from "../src/datasets/manifest";

const USAGE = `usage: npm run data -- <name> | --list | --verify <name>
names: ${DATASET_NAMES.filter((n) => MANIFEST[n].download).join(", ")}`;

/** Where downloads go: PADAM_DATA when set, else <repo>/data. */
export function downloadRoot(): string {
  return process.env.PADAM_DATA ? path.resolve(process.env.PADAM_DATA) : path.join(REPO_ROOT, "data");
}

/** Checks a downloaded archive's md5 (pure). Throws naming the file, got and expected. */
export function checkArchive(bytes: Uint8Array, expectedMd5: string | undefined, file: string): void {
  if (expectedMd5 === undefined) return;
  const got = md5(bytes);
  if (got !== expectedMd5) throw new Error(`${file}: md5 ${got}, expected ${expectedMd5}; the download is corrupt or incomplete, nothing was installed`);
}

/** Verifies every manifest file of a located data set; returns one line per file. */
export function verifyDataset(name: DatasetName, folder: string): string[] {
  return MANIFEST[name].files.map((f) => {
    readVerified(name, folder, f.file);
    return `ok  ${path.join(folder, f.file)}`;
  });
}

/** Lines for `--list`. */
export function listLines(): string[] {
  const lines: string[] = [];
  for (const name of DATASET_NAMES) {
    const found = locateDataset(name);
    lines.push(`${name.padEnd(14)} ${found ? `found: ${found}` : "missing"}  (${MANIFEST[name].description})`);
    if (!found) lines.push(`${"".padEnd(14)} searched: ${candidateFolders(name).join(", ")}; to get it: ${MANIFEST[name].howToGet}`);
  }
  return lines;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new Error(`cannot download ${url}: ${cause}. This machine may have no internet access; download it elsewhere and place it under ${downloadRoot()}, or set PADAM_DATA.`);
  }
  if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function download(name: DatasetName): Promise<void> {
  const entry = MANIFEST[name];
  if (!entry.download) throw new Error(`data set ${name} has no download; ${entry.howToGet}`);
  const existing = locateDataset(name);
  if (existing) {
    verifyDataset(name, existing).forEach((l) => console.log(l));
    console.log(`${name}: already present and verified at ${existing}; nothing downloaded`);
    return;
  }
  const target = path.join(downloadRoot(), entry.folder);
  const tmp = fs.mkdtempSync(path.join(downloadRoot(), `.download-${name}-`));
  try {
    for (const d of entry.download) {
      console.log(`downloading ${d.url}`);
      const bytes = await fetchBytes(d.url);
      checkArchive(bytes, d.md5, d.file);
      fs.writeFileSync(path.join(tmp, d.file), bytes);
    }
    const staged = path.join(tmp, entry.folder);
    if (name === "fashion-mnist") {
      fs.mkdirSync(staged);
      for (const d of entry.download) fs.renameSync(path.join(tmp, d.file), path.join(staged, d.file));
    } else if (name === "cifar10") {
      execFileSync("tar", ["-xzf", path.join(tmp, "cifar-10-binary.tar.gz"), "-C", tmp]);
    } else if (name === "ptb") {
      execFileSync("tar", ["-xzf", path.join(tmp, "simple-examples.tgz"), "-C", tmp, "./simple-examples/data/ptb.train.txt", "./simple-examples/data/ptb.valid.txt", "./simple-examples/data/ptb.test.txt"]);
      fs.mkdirSync(staged);
      for (const f of ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"]) fs.renameSync(path.join(tmp, "simple-examples", "data", f), path.join(staged, f));
    }
    verifyDataset(name, staged).forEach((l) => console.log(l));
    fs.renameSync(staged, target);
    console.log(`${name}: installed at ${target}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === "--list" && argv.length === 1) {
    listLines().forEach((l) => console.log(l));
    return 0;
  }
  const verify = argv[0] === "--verify";
  const names = verify ? argv.slice(1) : argv;
  for (const n of names) {
    if (!(DATASET_NAMES as string[]).includes(n) || (!verify && !MANIFEST[n as DatasetName].download)) {
      console.error(`unknown data set "${n}"\n${USAGE}`);
      return 2;
    }
  }
  try {
    for (const n of names as DatasetName[]) {
      if (verify) {
        const folder = locateDataset(n);
        if (!folder) throw new Error(`${n}: not found (searched ${candidateFolders(n).join(", ")}); ${MANIFEST[n].howToGet}`);
        verifyDataset(n, folder).forEach((l) => console.log(l));
      } else {
        await download(n);
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
