import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import * as tar from "tar";
import {
  ARCHIVE_NAME,
  BATCHES_DIR_NAME,
  CIFAR10_MD5,
  CIFAR10_SHA256,
  CIFAR10_URL,
  TEST_FILE_NAME,
  TRAIN_FILE_NAMES,
} from "./format";
import { Cifar10DataError } from "./errors";
import { resolveCifar10Dir } from "./locate";
import { locateDataFile, readBatchFile } from "./read-batch";
import { verifyDataFile, type Checksums } from "./verify";
import { readClassNames } from "./raw";
import { md5File } from "./checksum";
import { createTransferProgress as createProgress } from "../util/progress";
import { lockFolder, processAlive } from "../util/folder-lock";

export interface DownloadOptions {
  /** Parent folder: the batches land in `<dataDir>/cifar-10-batches-bin`, the archive in `<dataDir>`. */
  dataDir?: string;
  /** The batches folder itself (overrides dataDir); default as in `resolveCifar10Dir`. */
  dir?: string;
  /** Archive to fetch; default the official one. */
  url?: string;
  /** Its expected MD5 (hex); default the official archive's. */
  md5?: string;
  /** No messages or progress. */
  quiet?: boolean;
  /** Extract again even when the folder already checks out (a verified cached archive is still reused). */
  force?: boolean;
  /** Expected SHA-256 of each batch's contents (default the official ones; false for synthetic test archives). */
  checksums?: Checksums;
  /** Give up when the server has not answered within this many ms (default 30,000). */
  connectTimeoutMs?: number;
  /** Give up when no data has arrived for this many ms mid-transfer (default 60,000). */
  stallTimeoutMs?: number;
}

const CONNECT_TIMEOUT_MS = 30_000;
const STALL_TIMEOUT_MS = 60_000;

/** Why the folder is not usable, or undefined when every file is there with the right size, labels and contents. */
export function cifar10DirProblem(dir: string, checksums: Checksums = CIFAR10_SHA256): string | undefined {
  try {
    readClassNames(dir);
    for (const name of [...TRAIN_FILE_NAMES, TEST_FILE_NAME]) verifyDataFile(locateDataFile(dir, name), name, readBatchFile(dir, name), checksums);
    return undefined;
  } catch (err) {
    if (err instanceof Cifar10DataError) return err.message;
    throw err;
  }
}

const PART_FILE = new RegExp(`^${ARCHIVE_NAME.replace(/\./g, "\\.")}\\.part-(\\d+)$`);

/** Partial downloads (`<archive>.part-<pid>`) left by processes that no longer run. */
function removeStaleParts(dataDir: string): void {
  for (const f of readdirSync(dataDir)) {
    const m = PART_FILE.exec(f);
    if (!m) continue;
    if (!processAlive(Number(m[1]))) rmSync(join(dataDir, f), { force: true });
  }
}

/** Stream `url` to `dest` (via a temporary file), checking its MD5 on the way; time-outs for a silent or stalled server. */
async function fetchArchive(url: string, dest: string, md5: string, quiet: boolean, timeouts: { connectMs: number; stallMs: number }): Promise<void> {
  const abort = new AbortController();
  let why = "";
  let timer = setTimeout(() => {
    why = `no answer within ${timeouts.connectMs / 1000} s`;
    abort.abort();
  }, timeouts.connectMs);
  const part = `${dest}.part-${process.pid}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: abort.signal });
  } catch (err) {
    clearTimeout(timer);
    const cause = why || ((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
    throw new Error(`Could not reach ${url} (${cause}): check the network connection, or download ${ARCHIVE_NAME} by hand into ${dirname(dest)}.`);
  }
  clearTimeout(timer);
  if (!response.ok || !response.body) {
    throw new Error(`Downloading ${url} failed: HTTP ${response.status} ${response.statusText}. Try again later, or download ${ARCHIVE_NAME} by hand into ${dirname(dest)}.`);
  }
  const total = Number(response.headers.get("content-length")) || undefined;
  const hash = createHash("md5");
  const progress = createProgress({ label: `Downloading ${ARCHIVE_NAME}`, total, quiet });
  let received = 0;
  const file = await open(part, "w");
  const stalled = () => {
    why = `no data for ${timeouts.stallMs / 1000} s`;
    abort.abort();
  };
  try {
    const reader = response.body.getReader();
    for (;;) {
      timer = setTimeout(stalled, timeouts.stallMs);
      const { done, value } = await reader.read();
      clearTimeout(timer);
      if (done) break;
      hash.update(value);
      received += value.length;
      await file.write(value);
      progress.tick(value.length);
    }
  } catch (err) {
    clearTimeout(timer);
    await file.close();
    rmSync(part, { force: true });
    throw new Error(`Downloading ${url} broke off after ${received} bytes (${why || (err as Error).message}): run it again.`);
  } finally {
    progress.stop();
  }
  await file.close();
  const got = hash.digest("hex");
  if (got !== md5) {
    rmSync(part, { force: true });
    const size = total !== undefined && received !== total ? ` (got ${received} of ${total} bytes)` : "";
    throw new Cifar10DataError(
      `Checksum mismatch for ${url}: MD5 ${got}, expected ${md5}${size}. The download is damaged or is not the CIFAR-10 binary archive: ` +
        `run \`npm run data\` again, or check the url/md5 options.`,
    );
  }
  renameSync(part, dest);
}

/** Unpack the archive next to `dir`, check every file, then swap it in with one rename. */
async function extractArchive(archive: string, dir: string, checksums: Checksums): Promise<void> {
  const work = mkdtempSync(join(dirname(dir), ".cifar10-extract-"));
  try {
    try {
      await tar.x({ file: archive, cwd: work, strict: true });
    } catch (err) {
      throw new Cifar10DataError(`Could not unpack ${archive} (${(err as Error).message}): delete it and run \`npm run data\` again.`);
    }
    const unpacked = join(work, BATCHES_DIR_NAME);
    if (!existsSync(unpacked)) {
      throw new Cifar10DataError(`${archive} has no ${BATCHES_DIR_NAME}/ folder: it is not the CIFAR-10 binary archive. Delete it and run \`npm run data\` again.`);
    }
    const problem = cifar10DirProblem(unpacked, checksums);
    if (problem) throw new Cifar10DataError(`The archive ${archive} is incomplete: ${problem}`);
    // Only the data files are replaced (each with one rename); anything else in the folder stays.
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(unpacked)) {
      rmSync(join(dir, `${name}.gz`), { force: true }); // so the folder holds one copy of each file, the verified one
      renameSync(join(unpacked, name), join(dir, name));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Make sure CIFAR-10 is in `dir`: when it is missing or damaged, fetch the official archive (or reuse a cached
 * one whose MD5 checks out), verify it, and extract it atomically. Returns the batches folder.
 */
export async function downloadCifar10(options: DownloadOptions = {}): Promise<string> {
  const url = options.url ?? CIFAR10_URL;
  const md5 = (options.md5 ?? CIFAR10_MD5).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new Error(`md5 '${options.md5}' is not 32 hexadecimal digits.`);
  const quiet = options.quiet ?? false;
  const say = (line: string) => {
    if (!quiet) console.log(line);
  };
  const dir = options.dir ? resolve(options.dir) : options.dataDir ? join(resolve(options.dataDir), BATCHES_DIR_NAME) : resolveCifar10Dir();

  const checksums = options.checksums ?? CIFAR10_SHA256;
  if (!options.force && existsSync(dir)) {
    const problem = cifar10DirProblem(dir, checksums);
    if (!problem) {
      say(`CIFAR-10 is already present and valid in ${dir}`);
      return dir;
    }
    say(`CIFAR-10 in ${dir} is not usable, so it is fetched again. ${problem}`);
  }

  const dataDir = dirname(dir);
  mkdirSync(dataDir, { recursive: true });
  // One download per folder at a time; a lock left by a killed download is taken over.
  const lock = lockFolder(dataDir, `downloading CIFAR-10 into ${dir}`, ".cifar10-download.lock");
  try {
    removeStaleParts(dataDir);
    const archive = join(dataDir, ARCHIVE_NAME);
    const cached = existsSync(archive) ? await md5File(archive) : undefined;
    if (cached === md5) {
      say(`Reusing the verified archive ${archive}`);
    } else {
      if (cached !== undefined) say(`${archive} is there but its MD5 is ${cached}, not ${md5}: it is damaged or another file, so a fresh copy replaces it.`);
      say(`Downloading ${url} to ${archive}`);
      await fetchArchive(url, archive, md5, quiet, { connectMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, stallMs: options.stallTimeoutMs ?? STALL_TIMEOUT_MS });
    }
    await extractArchive(archive, dir, checksums);
  } finally {
    lock.release();
  }
  say(`CIFAR-10 extracted to ${dir}`);
  return dir;
}
