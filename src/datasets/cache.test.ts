/**
 * The decoded-data cache is keyed by the content of its source: a file changed in place, even
 * inside a class subfolder whose change leaves the split folder's mtime alone, is decoded again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import { loadImageFolder } from "./index";

function writePng(file: string, value: number): void {
  const png = new PNG({ width: 2, height: 2 });
  png.data = Buffer.from(Array.from({ length: 16 }, (_, i) => (i % 4 === 3 ? 255 : value)));
  fs.writeFileSync(file, PNG.sync.write(png));
}

test("a file changed after caching is re-read, not served from the cache", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "padam-cache-"));
  const cacheDir = path.join(root, "cache");
  const cat = path.join(root, "train", "cat");
  fs.mkdirSync(cat, { recursive: true });
  writePng(path.join(cat, "0.png"), 10);
  const splitMtime = fs.statSync(path.join(root, "train")).mtime;
  const first = await loadImageFolder(root, "train", { cacheDir });
  assert.equal(first.images[0], 10);
  assert.equal((await loadImageFolder(root, "train", { cacheDir })).images[0], 10, "served from the cache");
  writePng(path.join(cat, "0.png"), 99); // same name, same size, new pixels
  fs.utimesSync(path.join(root, "train"), splitMtime, splitMtime); // the split folder looks untouched
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(cat, "0.png"), later, later);
  const second = await loadImageFolder(root, "train", { cacheDir });
  assert.equal(second.images[0], 99);
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".bin")).length, 2, "a new entry for the new content");
});
