import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import * as tar from "tar";
import {
  ARCHIVE_NAME,
  BATCHES_DIR_NAME,
  CIFAR10_MD5,
  CIFAR10_URL,
  TEST_FILE_NAME,
  TRAIN_FILE_NAMES,
} from "./format";
import { Cifar10DataError } from "./errors";
import { resolveCifar10Dir } from "./locate";
import { readBatchFile } from "./read-batch";
import { readClassNames } from "./raw";
import { md5File } from "./checksum";
import { createProgress } from "./progress";

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
}

/** Why the folder is not usable, or undefined when every file is there with the right size and labels. */
export function cifar10DirProblem(dir: string): string | undefined {
  try {
    readClassNames(dir);
    for (const name of [...TRAIN_FILE_NAMES, TEST_FILE_NAME]) readBatchFile(dir, name);
    return undefined;
  } catch (err) {
    if (err instanceof Cifar10DataError) return err.message;
    throw err;
  }
}

/** Stream `url` to `dest` (via a temporary file), checking its MD5 on the way. */
async function fetchArchive(url: string, dest: string, md5: string, quiet: boolean): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new Error(`Could not reach ${url} (${cause}): check the network connection, or download ${ARCHIVE_NAME} by hand into ${dirname(dest)}.`);
  }
  if (!response.ok || !response.body) {
    throw new Error(`Downloading ${url} failed: HTTP ${response.status} ${response.statusText}. Try again later, or download ${ARCHIVE_NAME} by hand into ${dirname(dest)}.`);
  }
  const total = Number(response.headers.get("content-length")) || undefined;
  const part = `${dest}.part-${process.pid}`;
  const hash = createHash("md5");
  const progress = createProgress({ label: `Downloading ${ARCHIVE_NAME}`, total, quiet });
  let received = 0;
  const file = await open(part, "w");
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      received += value.length;
      await file.write(value);
      progress.tick(value.length);
    }
  } catch (err) {
    await file.close();
    rmSync(part, { force: true });
    throw new Error(`Downloading ${url} broke off after ${received} bytes (${(err as Error).message}): run it again.`);
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
async function extractArchive(archive: string, dir: string): Promise<void> {
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
    const problem = cifar10DirProblem(unpacked);
    if (problem) throw new Cifar10DataError(`The archive ${archive} is incomplete: ${problem}`);
    // Whatever was there (partial or damaged) moves into the work folder and goes with it.
    if (existsSync(dir)) renameSync(dir, join(work, "previous"));
    renameSync(unpacked, dir);
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

  if (!options.force && existsSync(dir)) {
    const problem = cifar10DirProblem(dir);
    if (!problem) {
      say(`CIFAR-10 is already present and valid in ${dir}`);
      return dir;
    }
    say(`CIFAR-10 in ${dir} is incomplete (${problem.split(":")[0]}); fetching it again.`);
  }

  const dataDir = dirname(dir);
  mkdirSync(dataDir, { recursive: true });
  const archive = join(dataDir, ARCHIVE_NAME);
  if (existsSync(archive) && (await md5File(archive)) === md5) {
    say(`Reusing the verified archive ${archive}`);
  } else {
    say(`Downloading ${url} to ${archive}`);
    await fetchArchive(url, archive, md5, quiet);
  }
  await extractArchive(archive, dir);
  say(`CIFAR-10 extracted to ${dir}`);
  return dir;
}
