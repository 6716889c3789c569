/**
 * The repository root, found from this file with symlinks resolved: notebooks reach `src/`
 * through the link `notebooks/src`, where a plain `__dirname/../..` would land in `notebooks/`.
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

function findRepoRoot(): string {
  let dir = realpathSync(__dirname);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${realpathSync(__dirname)}`);
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot();
