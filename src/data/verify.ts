import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { writeFileAtomic } from "../util/atomic-write";
import { Cifar10DataError } from "./errors";
import { FIX_HINT } from "./format";

/** Expected SHA-256 per file name, or false to skip the check (synthetic data in tests). */
export type Checksums = Readonly<Record<string, string>> | false;

/** path → "size:mtime:sha256" of files already found good, so a load hashes each file once. */
type VerifiedCache = Record<string, string>;

const cachePath = (): string => join(process.env.LOWRANK_CACHE_DIR ?? join(homedir(), ".cache", "lowrank-notebooks"), "verified-cifar10.json");

function readCache(): VerifiedCache {
  try {
    return JSON.parse(readFileSync(cachePath(), "utf8")) as VerifiedCache;
  } catch {
    return {};
  }
}

function writeCache(cache: VerifiedCache): void {
  try {
    writeFileAtomic(cachePath(), JSON.stringify(cache));
  } catch {
    // A read-only home only costs a re-hash next time.
  }
}

/**
 * Check the contents of data file `path` (already read, decompressed if `.gz`) against the SHA-256 of
 * the official file `name`. A file whose size, modification time and hash were verified before is not
 * hashed again. A mismatch is a Cifar10DataError naming the file and the fix.
 */
export function verifyDataFile(path: string, name: string, bytes: Uint8Array, checksums: Checksums): void {
  const want = checksums ? checksums[name] : undefined;
  if (!want) return;
  const full = resolve(path);
  const stat = statSync(full);
  const stamp = `${stat.size}:${stat.mtimeMs}:${want}`;
  const cache = readCache();
  if (cache[full] === stamp) return;
  const got = createHash("sha256").update(bytes).digest("hex");
  if (got !== want) {
    const other = full.endsWith(".gz") ? full.slice(0, -3) : `${full}.gz`;
    const beside = existsSync(other) ? ` (${basename(other)} beside it is read once it is gone)` : "";
    throw new Cifar10DataError(
      `${full} is not the official CIFAR-10 ${name}: its contents have SHA-256 ${got}, expected ${want}. It is damaged or altered. ` +
        `Delete it${beside}, then ${FIX_HINT}.`,
    );
  }
  cache[full] = stamp;
  writeCache(cache);
}
