import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export interface FolderLock {
  readonly path: string;
  /** Remove the lock (only if it is still this one). */
  release(): void;
}

export interface LockRecord {
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

/** Whether a process with this id runs on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readRecord(path: string): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockRecord;
  } catch {
    return undefined;
  }
}

/** Who holds `dir`'s lock now, if a live process does (a stale lock, or none: undefined). */
export function lockHolder(dir: string, name = ".lock"): LockRecord | undefined {
  const held = readRecord(join(dir, name));
  return held && (held.host !== hostname() || processAlive(held.pid)) ? held : undefined;
}

/**
 * Claim `dir` for one writer: creates `dir/<name>` (default `.lock`) exclusively, naming this process. A lock whose
 * process is gone (same host) is stale and taken over; a live one is an error naming its holder.
 */
export function lockFolder(dir: string, purpose: string, name = ".lock"): FolderLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const mine: LockRecord = { pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeSync(fd, JSON.stringify(mine));
      } finally {
        closeSync(fd);
      }
      return {
        path,
        release: () => {
          const held = readRecord(path);
          if (held && held.pid === mine.pid && held.since === mine.since) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const held = readRecord(path);
      // Unreadable: a writer died between creating and filling it (or is filling it right now).
      const ageMs = (() => {
        try {
          return Date.now() - statSync(path).mtimeMs;
        } catch {
          return Infinity;
        }
      })();
      const stale = held ? held.host === mine.host && !processAlive(held.pid) : ageMs > 10_000;
      if (!stale) {
        const who = held ? `process ${held.pid} on ${held.host} (${held.purpose}, since ${held.since})` : "another process (unreadable lock)";
        throw new Error(`${dir} is in use by ${who}: wait for it to finish or use another folder. If no such process runs, delete ${path}.`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not lock ${dir}: another process keeps taking ${path}.`);
}
