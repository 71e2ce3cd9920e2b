import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BATCHES_DIR_NAME } from "./format";

const PACKAGE_NAME = "lowrank-notebooks";

function findPackageRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The repository root: found from this file's folder (tslab keeps real paths), else from the working directory. */
export function repoRoot(): string {
  return findPackageRoot(__dirname) ?? findPackageRoot(process.cwd()) ?? process.cwd();
}

/** Where the CIFAR-10 batches live: `dir`, else env `CIFAR10_DIR`, else `<repo>/data/cifar-10-batches-bin`. */
export function resolveCifar10Dir(dir?: string): string {
  if (dir !== undefined && dir.trim() === "") throw new Error("Option `dir` is empty: give the folder holding the CIFAR-10 batches, or leave it out.");
  const fromEnv = process.env.CIFAR10_DIR?.trim();
  if (dir) return resolve(dir);
  if (fromEnv) return resolve(fromEnv);
  return join(repoRoot(), "data", BATCHES_DIR_NAME);
}
