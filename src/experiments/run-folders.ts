import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

const issuedRunIds = new Set<string>();

/**
 * A run id that two runs started in the same second (or millisecond) do not share: never twice in one
 * process (24 random bits collide by chance: ≈ 3 % over 1,000 ids), and across processes by 24 random bits.
 */
export function uniqueRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, "-").replace("T", "_").slice(0, 23);
  for (;;) {
    const id = `${stamp}-${randomBytes(3).toString("hex")}`;
    if (!issuedRunIds.has(id)) {
      issuedRunIds.add(id);
      return id;
    }
  }
}

/** Create `dir` if needed and prove it writable; `what` names the option in messages (e.g. "--out"). */
function ensureWritableFolder(dir: string, what: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${what} ${dir} is a file, not a folder: choose a folder.`);
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (err) {
    throw new Error(`Cannot write into ${what} ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose a folder you can write to.`);
  }
}

/** True when `dir` is `base` or contains it. */
function containsOrIs(dir: string, base: string): boolean {
  const rel = relative(dir, base);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/**
 * The results folder of a run, checked before any work: not empty-named, not a file, writable, and
 * either new/empty or cleared because `overwrite` says so (never the working folder, one of its
 * parents, or a git checkout). Returns the absolute path.
 */
export function prepareOutDir(outDir: string, overwrite: boolean): string {
  if (!outDir || !outDir.trim()) throw new Error("The results folder (--out) is empty: give a folder, e.g. --out results/my-run.");
  const dir = resolve(outDir);
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    const entries = readdirSync(dir);
    if (entries.length > 0) {
      if (!overwrite) {
        throw new Error(`The results folder ${dir} already holds ${entries.length} file(s): choose a new folder with --out, or pass --overwrite to clear it first.`);
      }
      if (containsOrIs(dir, process.cwd()) || entries.includes(".git")) {
        throw new Error(`Refusing to clear ${dir}: it holds the working folder or a git checkout. Choose a dedicated results folder with --out.`);
      }
      for (const e of entries) rmSync(join(dir, e), { recursive: true, force: true });
    }
  }
  ensureWritableFolder(dir, "--out");
  return dir;
}

/** The checkpoints folder: created if missing, must be a writable folder. Returns the absolute path. */
export function prepareCheckpointsDir(checkpointsDir: string): string {
  if (!checkpointsDir || !checkpointsDir.trim()) throw new Error("The checkpoints folder (--checkpoints) is empty: give a folder, e.g. --checkpoints checkpoints.");
  const dir = resolve(checkpointsDir);
  ensureWritableFolder(dir, "--checkpoints");
  return dir;
}
