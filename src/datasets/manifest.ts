/**
 * Where data sets are looked for, which files they consist of, their checksums, and
 * verification with errors that say what is wrong and how to get the file.
 *
 * Search order for a data set (first hit wins): the `dataDir` option, each folder listed in the
 * `PADAM_DATA` environment variable (several roots separated by `path.delimiter`, ':' on
 * POSIX, searched left to right), `<repo>/data`, and, for Fashion-MNIST only, Debian's
 * `dataset-fashion-mnist` install location `/usr/share/datasets/fashion-mnist/`.
 * Data roots are only read; downloads go to `<repo>/data` (or `npm run data -- --into <dir>`)
 * and the decoded-data cache to `<repo>/data/cache` (see `cache.ts`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";

/** Data sets the project knows how to find and (with internet) download. */
export type DatasetName = "fashion-mnist" | "cifar10" | "cifar10-jpeg" | "ptb";

/** One expected file. */
export interface ManifestFile {
  /** Path relative to the data set's folder. */
  file: string;
  /** Size in bytes of the file as stored (if known). */
  size?: number;
  /** md5 of the file as distributed (if known). */
  md5?: string;
  /** For .gz files: md5 and size of the decompressed content, accepted when a copy was recompressed (Debian's). */
  contentMd5?: string;
  contentSize?: number;
}

/**
 * One file to download. `md5` (when published) is checked before anything is unpacked; a
 * `.tar.gz` with `unpack` is extracted (only `members` when given: GNU tar wildcards, so a
 * leading `./` in the archive does not matter) and the manifest files are
 * then picked from it by name, so every data set is verified file by file before it is installed.
 */
export interface DownloadItem {
  url: string;
  md5?: string;
  file: string;
  unpack?: { members?: string[] };
}

/** A data set's entry: folder name under a data root, files, and where it comes from. */
export interface ManifestEntry {
  name: DatasetName;
  /** Folder under a data root. */
  folder: string;
  description: string;
  files: ManifestFile[];
  /** Archive or files to download (for `npm run data -- <name>`). */
  download?: DownloadItem[];
  /** Extra locations searched after the data roots (absolute folders). */
  extraLocations?: string[];
  /** How to get it, for error messages. */
  howToGet: string;
}

/** The project root (this file is src/datasets/manifest.ts). */
export { REPO_ROOT } from "../util/paths";
import { REPO_ROOT } from "../util/paths";

const CIFAR_BATCH_SIZE = 10000 * 3073; // 10,000 records of 1 label byte + 3,072 pixel bytes

/**
 * Expected files with checksums. Sources: the PTB md5s are the published checksums of Mikolov's
 * `simple-examples` splits and the CIFAR-10 archive md5 is the one on the CIFAR-10 page
 * (University of Toronto); Fashion-MNIST archive md5s from the zalandoresearch/fashion-mnist
 * README (also in torchvision); decompressed-content md5s of Fashion-MNIST computed from
 * Debian's `dataset-fashion-mnist` copy (Debian recompresses the .gz files, so their own md5
 * differs while the content is the official one).
 */
export const MANIFEST: Record<DatasetName, ManifestEntry> = {
  "fashion-mnist": {
    name: "fashion-mnist",
    folder: "fashion-mnist",
    description: "Fashion-MNIST idx files (gzip or raw), 60k train / 10k test, 28x28 grey",
    files: [
      {
        file: "train-images-idx3-ubyte.gz",
        md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        contentMd5: "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        contentSize: 47040016,
      },
      {
        file: "train-labels-idx1-ubyte.gz",
        md5: "25c81989df183df01b3e8a0aad5dffbe",
        contentMd5: "9018921c3c673c538a1fc5bad174d6f9",
        contentSize: 60008,
      },
      {
        file: "t10k-images-idx3-ubyte.gz",
        md5: "bef4ecab320f06d8554ea6380940ec79",
        contentMd5: "8181f5470baa50b63fa0f6fddb340f0a",
        contentSize: 7840016,
      },
      {
        file: "t10k-labels-idx1-ubyte.gz",
        md5: "bb300cfdad3c16e7a12a480ee83cd310",
        contentMd5: "15d484375f8d13e6eb1aabb0c3f46965",
        contentSize: 10008,
      },
    ],
    download: [
      "train-images-idx3-ubyte.gz",
      "train-labels-idx1-ubyte.gz",
      "t10k-images-idx3-ubyte.gz",
      "t10k-labels-idx1-ubyte.gz",
    ].map((file) => ({
      url: `https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/${file}`,
      file,
    })),
    extraLocations: ["/usr/share/datasets/fashion-mnist"],
    howToGet:
      "run `npm run data -- fashion-mnist` (needs internet), or on Debian `apt-get install dataset-fashion-mnist`",
  },
  cifar10: {
    name: "cifar10",
    folder: "cifar-10-batches-bin",
    description: "CIFAR-10 official binary batches (data_batch_1..5.bin, test_batch.bin)",
    files: [1, 2, 3, 4, 5]
      .map((i) => ({ file: `data_batch_${i}.bin`, size: CIFAR_BATCH_SIZE }))
      .concat([{ file: "test_batch.bin", size: CIFAR_BATCH_SIZE }]),
    download: [
      {
        url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
        md5: "c32a1d4ab5d03f1284b67883e8d87530",
        file: "cifar-10-binary.tar.gz",
        unpack: {},
      },
    ],
    howToGet: "run `npm run data -- cifar10` (needs internet)",
  },
  "cifar10-jpeg": {
    name: "cifar10-jpeg",
    folder: "cifar10-jpeg",
    description: "CIFAR-10 as JPEG files, <split>/<class>/*.jpg (lossy copy; label figures 'CIFAR-10 (JPEG copy)')",
    files: [],
    howToGet:
      "copy the folder (train/<class>/*.jpg, test/<class>/*.jpg) under a data root, or use the official binary batches (`npm run data -- cifar10`)",
  },
  ptb: {
    name: "ptb",
    folder: "ptb",
    description: "Penn Treebank, Mikolov's preprocessed splits",
    files: [
      { file: "ptb.train.txt", size: 5101618, md5: "f26c4b92c5fdc7b3f8c7cdcb991d8420" },
      { file: "ptb.valid.txt", size: 399782, md5: "aa0affc06ff7c36e977d7cd49e3839bf" },
      { file: "ptb.test.txt", size: 449945, md5: "8b80168b89c18661a38ef683c0dc3721" },
    ],
    download: [
      {
        url: "http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz",
        file: "simple-examples.tgz",
        unpack: {
          members: ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"].map((f) => `*simple-examples/data/${f}`),
        },
      },
    ],
    howToGet: "run `npm run data -- ptb` (needs internet)",
  },
};

export const DATASET_NAMES = Object.keys(MANIFEST) as DatasetName[];

/** Options shared by the loaders. */
export interface DataDirOptions {
  /** A data root searched first (before `PADAM_DATA`). */
  dataDir?: string;
}

/** The roots listed in `PADAM_DATA` (split on `path.delimiter`, empty entries ignored), resolved, in order. */
export function envDataRoots(env: string | undefined = process.env.PADAM_DATA): string[] {
  return (env ?? "")
    .split(path.delimiter)
    .filter((d) => d.trim() !== "")
    .map((d) => path.resolve(d));
}

/** Data roots in search order (existing folders only), with the reason each is searched. */
export function dataRoots(opts: DataDirOptions = {}): { dir: string; source: string }[] {
  const candidates: { dir: string; source: string }[] = [];
  if (opts.dataDir) candidates.push({ dir: path.resolve(opts.dataDir), source: "option dataDir" });
  for (const dir of envDataRoots()) candidates.push({ dir, source: "PADAM_DATA" });
  candidates.push({ dir: path.join(REPO_ROOT, "data"), source: "<repo>/data" });
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (seen.has(c.dir) || !fs.existsSync(c.dir)) return false;
    seen.add(c.dir);
    return true;
  });
}

/** Folders where a data set would be found, in search order (existing or not). */
export function candidateFolders(name: DatasetName, opts: DataDirOptions = {}): string[] {
  const entry = MANIFEST[name];
  return [...dataRoots(opts).map((r) => path.join(r.dir, entry.folder)), ...(entry.extraLocations ?? [])];
}

/**
 * For a file `x.gz` of the manifest, the accepted names: `x.gz` and the decompressed `x`.
 * Returns the first existing path in `folder`, or undefined.
 */
export function findFile(folder: string, file: string): string | undefined {
  const names = file.endsWith(".gz") ? [file, file.slice(0, -3)] : [file];
  for (const n of names) {
    const p = path.join(folder, n);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** The first folder that holds every file of the data set (any file for folder-only sets), or undefined. */
export function locateDataset(name: DatasetName, opts: DataDirOptions = {}): string | undefined {
  const entry = MANIFEST[name];
  for (const folder of candidateFolders(name, opts)) {
    if (!fs.existsSync(folder)) continue;
    if (entry.files.every((f) => findFile(folder, f.file) !== undefined)) return folder;
  }
  return undefined;
}

/** Error for a data set that was not found: lists where it looked and how to get it. */
export function notFoundError(name: DatasetName, opts: DataDirOptions = {}): Error {
  const entry = MANIFEST[name];
  const looked = candidateFolders(name, opts).join(", ");
  const files = entry.files.length ? entry.files.map((f) => f.file).join(", ") : `${entry.folder}/<split>/<class>/*`;
  return new Error(
    `${entry.description}: not found. Looked for ${files} in: ${looked}. To get it: ${entry.howToGet}; ` +
      `or add a folder containing ${entry.folder}/ to PADAM_DATA (roots separated by '${path.delimiter}') or pass it as the dataDir option.`,
  );
}

/** md5 hex digest of bytes. */
export function md5(bytes: Uint8Array): string {
  return crypto.createHash("md5").update(bytes).digest("hex");
}

/** Whether bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Checks bytes against a manifest entry (pure: no I/O). Returns the decompressed content for
 * gzip input (else the bytes themselves). Accepted: size/md5 of the file as distributed, or,
 * for gzip files, the md5/size of the decompressed content (a recompressed or already
 * decompressed copy). Throws an Error naming `displayPath`, what is wrong and how to get it.
 */
export function verifyBytes(bytes: Uint8Array, spec: ManifestFile, displayPath: string, howToGet: string): Uint8Array {
  const fail = (what: string) =>
    new Error(`${displayPath}: ${what}. The file is corrupt or truncated; to get a good copy: ${howToGet}.`);
  let content = bytes;
  if (isGzip(bytes)) {
    try {
      content = zlib.gunzipSync(bytes);
    } catch (e) {
      throw fail(`gzip data cannot be decompressed (${(e as Error).message})`);
    }
  }
  if (spec.size !== undefined && bytes.length !== spec.size)
    throw fail(`size ${bytes.length} bytes, expected ${spec.size}`);
  const matchesArchive = spec.md5 !== undefined && isGzip(bytes) && md5(bytes) === spec.md5;
  if (matchesArchive) return content;
  if (spec.contentSize !== undefined && content.length !== spec.contentSize) {
    throw fail(
      `${content === bytes ? "size" : "decompressed size"} ${content.length} bytes, expected ${spec.contentSize}`,
    );
  }
  if (spec.contentMd5 !== undefined) {
    const got = md5(content);
    if (got !== spec.contentMd5) throw fail(`md5 of the content is ${got}, expected ${spec.contentMd5}`);
    return content;
  }
  if (spec.md5 !== undefined) {
    const got = md5(bytes);
    if (got !== spec.md5) throw fail(`md5 ${got}, expected ${spec.md5}`);
  }
  return content;
}

/** Reads and verifies one manifest file of a located data set folder; returns its (decompressed) content. */
export function readVerified(name: DatasetName, folder: string, file: string): Uint8Array {
  const entry = MANIFEST[name];
  const spec = entry.files.find((f) => f.file === file);
  if (!spec) throw new Error(`${file} is not a file of data set ${name}`);
  const p = findFile(folder, file);
  if (p === undefined) throw new Error(`${path.join(folder, file)}: missing. To get it: ${entry.howToGet}.`);
  return verifyBytes(new Uint8Array(fs.readFileSync(p)), spec, p, entry.howToGet);
}
