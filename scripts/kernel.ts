/**
 * Registers the tslab TypeScript kernel with Jupyter (docs/notebook-stack.md, section 1).
 *
 *   npm run kernel                 # for the user's Jupyter (JupyterLab, nbconvert): ~/.local/share/jupyter
 *   npm run kernel -- --prefix     # project-local: <repo>/.jupyter (used by CI and `npm start`)
 *   npm run kernel -- --prefix DIR # another prefix
 *   npm run kernel -- --check      # only report what is registered
 *
 * The kernel spec points at this checkout's tslab binary by absolute path (tslab is a pinned
 * devDependency, so the kernel version is the project's), and is installed with a Python that has
 * jupyter_client: `PADAM_PYTHON`, else /usr/bin/python3 (Debian's Jupyter), else `python3`.
 * A project-local kernel is found by setting `JUPYTER_PATH=<prefix>/share/jupyter`
 * ({@link kernelEnv}).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const LOCAL_PREFIX = path.join(REPO_ROOT, ".jupyter");
export const KERNEL_NAME = "tslab";

/** The tslab launcher of this checkout (absolute, as kernel.json needs it). */
export function tslabBinary(): string {
  return path.join(REPO_ROOT, "node_modules", ".bin", "tslab");
}

/** The kernel.json `argv` that {@link installKernel} writes. */
export function expectedArgv(): string[] {
  return [tslabBinary(), "kernel", "--config-path", "{connection_file}"];
}

/** True if `python` can import the given modules. */
export function pythonHas(python: string, modules: string[]): boolean {
  const r = spawnSync(python, ["-c", modules.map((m) => `import ${m}`).join("; ")], {
    stdio: "ignore",
    timeout: 60_000,
  });
  return r.status === 0;
}

/**
 * The Python that runs Jupyter: `PADAM_PYTHON`, else /usr/bin/python3, else `python3`, the first
 * that can import jupyter_client. Throws with install instructions when none can.
 */
export function findPython(env: Record<string, string | undefined> = process.env): string {
  const candidates = env.PADAM_PYTHON ? [env.PADAM_PYTHON] : ["/usr/bin/python3", "python3"];
  for (const py of candidates) {
    if (pythonHas(py, ["jupyter_client"])) return py;
  }
  throw new Error(
    `no Python with jupyter_client among ${candidates.join(", ")}; on Debian/Ubuntu run ` +
      "`sudo apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel`, or set PADAM_PYTHON to a Python that has Jupyter",
  );
}

/** Environment for Jupyter processes that should see the kernel installed under `prefix`. */
export function kernelEnv(prefix: string = LOCAL_PREFIX, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dir = path.join(prefix, "share", "jupyter");
  const rest = base.JUPYTER_PATH ? path.delimiter + base.JUPYTER_PATH : "";
  return { ...base, JUPYTER_PATH: dir + rest };
}

/** Where `tslab install` puts the spec for a prefix. */
export function prefixKernelDir(prefix: string): string {
  return path.join(prefix, "share", "jupyter", "kernels", KERNEL_NAME);
}

interface SpecInfo {
  resource_dir: string;
  spec: { argv: string[]; display_name: string; language: string };
}

/** The tslab kernel spec Jupyter finds with `env`, or null. */
export function findKernelSpec(python: string, env: NodeJS.ProcessEnv): SpecInfo | null {
  const code =
    "import json\nfrom jupyter_client.kernelspec import KernelSpecManager as K\n" +
    "specs = K().get_all_specs()\n" +
    `print(json.dumps(specs.get(${JSON.stringify(KERNEL_NAME)})))\n`;
  const r = spawnSync(python, ["-c", code], { env, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`could not list Jupyter kernel specs with ${python}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim()) as SpecInfo | null;
}

function sameArgv(a: string[] | undefined, b: string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface InstallOptions {
  /** Install into `<prefix>/share/jupyter/kernels`; omit for the user's Jupyter. */
  prefix?: string;
  python?: string;
  /** Print what happens (default true). */
  verbose?: boolean;
}

export interface InstallResult {
  python: string;
  kernelDir: string;
  argv: string[];
  /** False when an identical spec was already there. */
  changed: boolean;
}

/**
 * Registers tslab (idempotent: an identical spec is left alone; a different one is replaced, and
 * the old argv is printed).
 */
export function installKernel(opts: InstallOptions = {}): InstallResult {
  const log = opts.verbose === false ? () => undefined : (s: string) => console.log(s);
  const bin = tslabBinary();
  if (!fs.existsSync(bin)) {
    throw new Error(`tslab is not installed at ${bin}; run \`npm ci\` first (tslab is a devDependency)`);
  }
  const python = opts.python ?? findPython();
  const argv = expectedArgv();
  const env = opts.prefix ? kernelEnv(opts.prefix) : process.env;
  let existing: SpecInfo | null = null;
  if (opts.prefix) {
    const file = path.join(prefixKernelDir(opts.prefix), "kernel.json");
    if (fs.existsSync(file)) {
      existing = { resource_dir: path.dirname(file), spec: JSON.parse(fs.readFileSync(file, "utf8")) };
    }
  } else {
    existing = findKernelSpec(python, env);
  }
  if (existing && sameArgv(existing.spec.argv, argv)) {
    log(`tslab kernel already registered at ${existing.resource_dir}`);
    return { python, kernelDir: existing.resource_dir, argv, changed: false };
  }
  if (existing)
    log(`replacing the tslab kernel at ${existing.resource_dir} (was: ${JSON.stringify(existing.spec.argv)})`);
  const args = ["install", `--python=${python}`, `--binary=${bin}`];
  if (opts.prefix) args.push(`--prefix=${opts.prefix}`);
  else args.push("--user");
  const r = spawnSync(bin, args, { encoding: "utf8", env: { ...process.env }, timeout: 120_000 });
  if (r.status !== 0) {
    throw new Error(`\`tslab ${args.join(" ")}\` failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  }
  const found = findKernelSpec(python, env);
  if (!found || !sameArgv(found.spec.argv, argv)) {
    throw new Error(
      `tslab was installed but Jupyter does not find it with argv ${JSON.stringify(argv)} (found: ${JSON.stringify(found)})` +
        (opts.prefix ? `; is JUPYTER_PATH overridden?` : ""),
    );
  }
  log(`registered the tslab kernel at ${found.resource_dir} (python ${python}, binary ${bin})`);
  return { python, kernelDir: found.resource_dir, argv, changed: true };
}

function main(argv: string[]): void {
  let prefix: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--prefix") {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        prefix = path.resolve(next);
        i++;
      } else {
        prefix = LOCAL_PREFIX;
      }
    } else if (a.startsWith("--prefix=")) {
      prefix = path.resolve(a.slice("--prefix=".length));
    } else if (a === "--check") {
      check = true;
    } else if (a === "--help" || a === "-h") {
      console.log(
        "usage: tsx scripts/kernel.ts [--prefix [DIR]] [--check]\n  no flag: register for the user's Jupyter\n  --prefix: register in <repo>/.jupyter (or DIR); use JUPYTER_PATH=<prefix>/share/jupyter",
      );
      return;
    } else {
      throw new Error(`unknown argument ${JSON.stringify(a)}; allowed: --prefix [DIR], --check, --help`);
    }
  }
  if (check) {
    const python = findPython();
    const spec = findKernelSpec(python, prefix ? kernelEnv(prefix) : process.env);
    console.log(
      spec ? `tslab kernel: ${spec.resource_dir} ${JSON.stringify(spec.spec.argv)}` : "tslab kernel: not registered",
    );
    if (!spec) process.exitCode = 1;
    return;
  }
  installKernel({ prefix });
  if (prefix) console.log(`use it with: JUPYTER_PATH=${path.join(prefix, "share", "jupyter")} jupyter …`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`kernel: ${(err as Error).message}`);
    process.exit(1);
  }
}
