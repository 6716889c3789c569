import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectedArgv, findKernelSpec, installKernel, kernelEnv, pythonHas, tslabBinary } from "./kernel";

// The project runs Jupyter with Debian's /usr/bin/python3 (notebook-stack.md, section 1).
const jupyterPython = ["/usr/bin/python3", "python3"].find((p) => pythonHas(p, ["jupyter_client", "IPython"]));

test("kernel.json points at this checkout's tslab by absolute path", () => {
  const argv = expectedArgv();
  assert.ok(path.isAbsolute(argv[0]));
  assert.equal(argv[0], tslabBinary());
  assert.ok(fs.existsSync(argv[0]), `${argv[0]} exists (npm ci installs tslab)`);
  assert.deepEqual(argv.slice(1), ["kernel", "--config-path", "{connection_file}"]);
});

test("kernelEnv puts the prefix first on JUPYTER_PATH", () => {
  assert.equal(kernelEnv("/p", { JUPYTER_PATH: "/q" }).JUPYTER_PATH, `/p/share/jupyter${path.delimiter}/q`);
  assert.equal(kernelEnv("/p", {}).JUPYTER_PATH, "/p/share/jupyter");
});

test(
  "installs into a prefix where Jupyter finds it; a second install changes nothing",
  { skip: jupyterPython ? false : "no Python with jupyter_client and IPython (apt-get install python3-ipykernel)" },
  () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "padam-kernel-"));
    try {
      const first = installKernel({ prefix, python: jupyterPython, verbose: false });
      assert.equal(first.changed, true);
      assert.equal(first.kernelDir, path.join(prefix, "share", "jupyter", "kernels", "tslab"));
      const json = JSON.parse(fs.readFileSync(path.join(first.kernelDir, "kernel.json"), "utf8"));
      assert.deepEqual(json.argv, expectedArgv());
      assert.equal(json.language, "typescript");
      const found = findKernelSpec(jupyterPython!, kernelEnv(prefix));
      assert.equal(found?.resource_dir, first.kernelDir);
      assert.equal(installKernel({ prefix, python: jupyterPython, verbose: false }).changed, false);
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  },
);
