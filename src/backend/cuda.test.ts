// The GPU package's requirements (CUDA 11.2, cuDNN 8.1; tensorflow/tfjs#8362) and the fallback
// message a CUDA 12 machine gets, checked on fake library folders and linker caches.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { explainGpuLoadError, libraryDirs, missingLibraries, missingLibrariesMessage } from "./cuda";
import { selectBackend, type Loaders } from "./select";

// What `ldconfig -p` prints on a CUDA 12.4 machine: CUDA 12 and cuDNN 9 only.
const CUDA12_CACHE = `1234 libs found in cache \`/etc/ld.so.cache'
\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12
\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.9
\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6`;

test("a CUDA 12 machine lacks libcudart.so.11.0 and libcudnn.so.8; CUDA 11.2 + cuDNN 8.1 have them", () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "padam-cuda-"));
  const cuda11 = fs.mkdtempSync(path.join(os.tmpdir(), "padam-cuda11-"));
  try {
    assert.deepEqual(missingLibraries(undefined, [empty], CUDA12_CACHE, "linux"), [
      "libcudart.so.11.0",
      "libcudnn.so.8",
    ]);
    fs.writeFileSync(path.join(cuda11, "libcudart.so.11.0"), "");
    assert.deepEqual(
      missingLibraries(undefined, [empty, cuda11], CUDA12_CACHE, "linux"),
      ["libcudnn.so.8"],
      "found in a folder",
    );
    const cache = `${CUDA12_CACHE}\n\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8`;
    assert.deepEqual(missingLibraries(undefined, [cuda11], cache, "linux"), [], "found in the linker cache");
    assert.deepEqual(missingLibraries(undefined, [empty], "", "darwin"), [], "no probe outside Linux");
    assert.deepEqual(libraryDirs({ LD_LIBRARY_PATH: "/opt/a::/opt/b" }).slice(0, 3), [
      "/opt/a",
      "/opt/b",
      "/usr/local/cuda/lib64",
    ]);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(cuda11, { recursive: true, force: true });
  }
});

test("the fallback message names the missing library and the versions required, on one line", () => {
  const m = missingLibrariesMessage(["libcudart.so.11.0"]);
  assert.ok(!m.includes("\n"));
  assert.match(m, /^libcudart\.so\.11\.0 not found .*@tensorflow\/tfjs-node-gpu 4\.x needs CUDA 11\.2 and cuDNN 8\.1/);
  // A loader error that names a library (as older builds threw) gets the same explanation.
  const e = explainGpuLoadError("libcublas.so.11: cannot open shared object file: No such file or directory");
  assert.match(e, /^libcublas\.so\.11 could not be opened \(.*\); .*CUDA 11\.2 and cuDNN 8\.1/);
  assert.equal(explainGpuLoadError("something else"), "something else");
});

test("selection: a GPU package that cannot load warns once with the library and versions, then falls back", async () => {
  const warnings: string[] = [];
  const loaders: Loaders = {
    "tfjs-node-gpu": async () => {
      throw new Error(missingLibrariesMessage(["libcudart.so.11.0", "libcudnn.so.8"]));
    },
    "tfjs-node": async () => ({ status: "absent" }),
    wasm: async () => ({ status: "loaded", backendName: "wasm", version: "test" }),
    cpu: async () => ({ status: "loaded", backendName: "cpu", version: "test" }),
  };
  const r = await selectBackend({ loaders, warn: (l) => warnings.push(l) });
  assert.equal(r.candidate, "wasm");
  assert.equal(warnings.length, 1);
  assert.ok(!warnings[0].includes("\n"));
  assert.match(
    warnings[0],
    /backend tfjs-node-gpu is installed but failed to load \(libcudart\.so\.11\.0, libcudnn\.so\.8 not found .*CUDA 11\.2 and cuDNN 8\.1 \(CUDA 12 lacks libcudart\.so\.11\.0; see README, Backends\)\); falling back to tfjs-node$/,
  );
});
