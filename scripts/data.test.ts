import { test } from "node:test";
import assert from "node:assert/strict";
import { checkArchive, listLines, main, verifyDataset } from "./data";
import { md5, locateDataset } from "../src/datasets/manifest";

test("checkArchive accepts the expected md5 and refuses anything else, naming the file", () => {
  const bytes = new TextEncoder().encode("archive");
  checkArchive(bytes, md5(bytes), "a.tgz");
  checkArchive(bytes, undefined, "a.tgz"); // no published checksum: accepted, verified after extraction
  assert.throws(() => checkArchive(bytes.subarray(1), md5(bytes), "a.tgz"), /a\.tgz: md5 [0-9a-f]{32}, expected [0-9a-f]{32}; the download is corrupt or incomplete, nothing was installed/);
});

test("--verify logic passes on the real PTB copy and --list reports it", () => {
  const folder = locateDataset("ptb");
  assert.ok(folder, "PTB found in a data root");
  assert.equal(verifyDataset("ptb", folder).length, 3);
  assert.ok(listLines().some((l) => l.startsWith("ptb") && l.includes(`found: ${folder}`)));
});

test("unknown names and no arguments exit with code 2", async () => {
  assert.equal(await main(["imagenet-full"]), 2);
  assert.equal(await main([]), 2);
  assert.equal(await main(["--list"]), 0);
});
