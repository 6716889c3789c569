import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { AddressInfo } from "node:net";
import { checkArchive, installDataset, listLines, main, parseArgs, verifyDataset, type ProgressSink } from "./data";
import { md5, locateDataset, type ManifestEntry, type DatasetName } from "../src/datasets/manifest";
import { dataSkip } from "../src/datasets/availability";

// A small data set served from a local HTTP server: two text files, one plain and one inside
// a .tar.gz, each with the md5 of its known content.
const A = "alpha line\n".repeat(20_000); // 220,000 bytes, enough for several progress steps
const B = "beta\n";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "padam-data-script-"));
let server: http.Server;
let base = "";
let served: Record<string, Buffer> = {};

function entry(overrides: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    name: "toy" as DatasetName,
    folder: "toy",
    description: "toy data set",
    files: [
      { file: "a.txt", size: A.length, md5: md5(Buffer.from(A)) },
      { file: "b.txt", md5: md5(Buffer.from(B)) },
    ],
    download: [
      { url: `${base}/a.txt`, file: "a.txt", md5: md5(Buffer.from(A)) },
      { url: `${base}/pack.tgz`, file: "pack.tgz", unpack: { members: ["*pack/b.txt"] } },
    ],
    howToGet: "run `npm run data -- toy`",
    ...overrides,
  };
}

function sink(): ProgressSink & { lines: string[] } {
  const lines: string[] = [];
  return { tty: false, lines, write: (l) => lines.push(l) };
}

before(async () => {
  const src = path.join(work, "src", "pack");
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, "b.txt"), B);
  fs.writeFileSync(path.join(src, "unrelated.txt"), "not wanted\n");
  execFileSync("tar", ["-czf", path.join(work, "pack.tgz"), "-C", path.join(work, "src"), "./pack"]);
  served = { "/a.txt": Buffer.from(A), "/pack.tgz": fs.readFileSync(path.join(work, "pack.tgz")) };
  server = http.createServer((req, res) => {
    const body = served[req.url ?? ""];
    if (!body) res.writeHead(404).end();
    else res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test("checkArchive accepts the expected md5 and refuses anything else, naming the file", () => {
  const bytes = new TextEncoder().encode("archive");
  checkArchive(bytes, md5(bytes), "a.tgz");
  checkArchive(bytes, undefined, "a.tgz"); // no published checksum: accepted, verified after extraction
  assert.throws(
    () => checkArchive(bytes.subarray(1), md5(bytes), "a.tgz"),
    /a\.tgz: md5 [0-9a-f]{32}, expected [0-9a-f]{32}; the download is corrupt or incomplete, nothing was installed/,
  );
});

test("install: downloads with progress, checks, unpacks the wanted member of an archive, verifies and installs", async () => {
  const root = path.join(work, "fresh");
  const s = sink();
  const at = await installDataset(entry(), { root, existing: undefined, sink: s });
  assert.equal(at, path.join(root, "toy"));
  assert.equal(fs.readFileSync(path.join(at, "a.txt"), "utf8"), A);
  assert.equal(fs.readFileSync(path.join(at, "b.txt"), "utf8"), B);
  assert.deepEqual(fs.readdirSync(root), ["toy"], "staging folder removed, nothing else left");
  assert.deepEqual(fs.readdirSync(at).sort(), ["a.txt", "b.txt"]);
  // 220,000 bytes reported in tenths as they are crossed (a large chunk may cross several),
  // then the total.
  const steps = s.lines.filter((l) => /^a\.txt: \d+% /.test(l)).map((l) => Number(/(\d+)%/.exec(l)![1]));
  assert.ok(
    steps.length >= 1 && steps.every((p, i) => p % 10 === 0 && p >= 10 && p <= 90 && (i === 0 || p > steps[i - 1])),
    `steps ${steps}`,
  );
  assert.ok(s.lines.some((l) => /^a\.txt: \d+% \(0\.\d MB of 0\.2 MB\)$/.test(l)));
  assert.ok(s.lines.includes("a.txt: 0.2 MB fetched"));
});

test("install: a bad archive checksum installs nothing", async () => {
  const root = path.join(work, "badsum");
  const bad = entry();
  bad.download![0] = { ...bad.download![0], md5: "0".repeat(32) };
  await assert.rejects(
    installDataset(bad, { root, existing: undefined, sink: sink() }),
    /a\.txt: md5 [0-9a-f]{32}, expected 0{32}; the download is corrupt/,
  );
  assert.deepEqual(fs.readdirSync(root), [], "no data set folder and no staging folder left");
});

test("install: a damaged copy is repaired, the damaged one kept aside unchanged", async () => {
  const root = path.join(work, "repair");
  const copy = path.join(root, "toy");
  fs.mkdirSync(copy, { recursive: true });
  fs.writeFileSync(path.join(copy, "a.txt"), A.slice(0, 1000)); // truncated
  fs.writeFileSync(path.join(copy, "b.txt"), B);
  const s = sink();
  await installDataset(entry(), { root, existing: copy, sink: s });
  assert.equal(fs.readFileSync(path.join(copy, "a.txt"), "utf8"), A);
  const aside = fs.readdirSync(root).filter((d) => d.startsWith("toy.damaged-"));
  assert.equal(aside.length, 1);
  assert.equal(fs.readFileSync(path.join(root, aside[0], "a.txt"), "utf8"), A.slice(0, 1000));
  assert.ok(s.lines.some((l) => l.includes("is damaged (") && l.includes("size 1000 bytes, expected 220000")));
});

test("install: a verified copy is left alone and nothing is downloaded", async () => {
  const root = path.join(work, "present");
  const copy = path.join(root, "toy");
  fs.mkdirSync(copy, { recursive: true });
  fs.writeFileSync(path.join(copy, "a.txt"), A);
  fs.writeFileSync(path.join(copy, "b.txt"), B);
  const s = sink();
  const offline = entry({ download: [{ url: "http://127.0.0.1:9/never", file: "x" }] });
  assert.equal(await installDataset(offline, { root, existing: copy, sink: s }), copy);
  assert.deepEqual(s.lines, [`toy: already present and verified at ${copy}; nothing downloaded`]);
});

test("install offline: one line naming the URL, the cause and what to do", async () => {
  const root = path.join(work, "offline");
  // A loopback port that was free a moment ago: nothing listens, so the connection is refused.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const url = `http://127.0.0.1:${port}/a.txt`;
  const offline = entry({ download: [{ url, file: "a.txt" }] });
  await assert.rejects(installDataset(offline, { root, existing: undefined, sink: sink() }), (e: Error) => {
    assert.ok(!e.message.includes("\n"), e.message);
    assert.ok(e.message.startsWith(`cannot download ${url}: `), e.message);
    assert.match(e.message, /ECONNREFUSED.*; this machine seems to be offline; fetch it on a machine with internet/);
    return true;
  });
  assert.deepEqual(fs.readdirSync(root), []);
});

test("usage errors exit with code 2 and name the problem", async () => {
  assert.equal(parseArgs(["imagenet-full"]), 'unknown data set "imagenet-full"');
  assert.equal(parseArgs([]), "no data set named");
  assert.equal(parseArgs(["--verify"]), "--verify needs at least one data set name");
  assert.equal(parseArgs(["--into"]), "--into needs a folder");
  assert.equal(parseArgs(["--fast", "ptb"]), "unknown option --fast");
  assert.equal(parseArgs(["cifar10-jpeg"]), 'unknown data set "cifar10-jpeg"', "no download exists for the JPEG copy");
  assert.deepEqual(parseArgs(["--into", "/x", "ptb", "cifar10"]), {
    action: "fetch",
    names: ["ptb", "cifar10"],
    into: "/x",
  });
  assert.deepEqual(parseArgs(["--workbook"]), { action: "workbook", names: [] });
  assert.equal(parseArgs(["--workbook", "ptb"]), "--workbook takes no further arguments, got ptb");
  const quiet = console.error;
  console.error = () => undefined;
  try {
    assert.equal(await main(["imagenet-full"]), 2);
    assert.equal(await main([]), 2);
  } finally {
    console.error = quiet;
  }
});

test("--verify logic passes on the real PTB copy and --list reports it", { skip: dataSkip("ptb") }, () => {
  const folder = locateDataset("ptb");
  assert.ok(folder, "PTB found in a data root");
  assert.equal(verifyDataset("ptb", folder).length, 3);
  assert.ok(listLines().some((l) => l.startsWith("ptb") && l.includes(`found: ${folder}`)));
});
