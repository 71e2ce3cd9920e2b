import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { BATCH_FILE_BYTES, FIX_HINT, NUM_CLASSES, RECORD_BYTES, RECORDS_PER_FILE } from "./format";
import { Cifar10DataError } from "./errors";

/** Path of `name` in `dir`, plain or gzipped (plain wins); a clear error when neither exists. */
export function locateDataFile(dir: string, name: string): string {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const where = !existsSync(dir) ? `: the folder ${dir} does not exist` : !statSync(dir).isDirectory() ? `: ${dir} is a file, not a folder` : ` in ${dir}`;
  throw new Cifar10DataError(`CIFAR-10 file ${name} (or ${name}.gz) not found${where}. To fix it, ${FIX_HINT}.`);
}

function sizeError(path: string, size: string): Cifar10DataError {
  return new Cifar10DataError(
    `${path} holds ${size} bytes${path.endsWith(".gz") ? " once decompressed" : ""}, expected ${BATCH_FILE_BYTES.toLocaleString("en-US")} ` +
      `(${RECORDS_PER_FILE.toLocaleString("en-US")} records of ${RECORD_BYTES.toLocaleString("en-US")} bytes): it is truncated or not CIFAR-10's binary version. ` +
      `Delete it, then ${FIX_HINT}.`,
  );
}

/** Bytes of a data file, decompressed when it is `.gz`; `maxBytes` caps what a wrong file may inflate to. */
export function readDataFile(path: string, maxBytes: number): Uint8Array {
  const raw = readFileSync(path);
  if (!path.endsWith(".gz")) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") throw sizeError(path, `more than ${maxBytes.toLocaleString("en-US")}`);
    throw new Cifar10DataError(
      `${path} is not a complete gzip file (${(err as Error).message}): the copy or download was cut short. Delete it, then ${FIX_HINT}.`,
    );
  }
}

/** Read and check one batch file (10,000 records of a label byte and 3,072 pixel bytes). */
export function readBatchFile(dir: string, name: string): Uint8Array {
  const path = locateDataFile(dir, name);
  // Check a plain file's size before reading it: a wrong file may be huge.
  if (!path.endsWith(".gz") && statSync(path).size !== BATCH_FILE_BYTES) throw sizeError(path, statSync(path).size.toLocaleString("en-US"));
  const bytes = readDataFile(path, BATCH_FILE_BYTES);
  if (bytes.length !== BATCH_FILE_BYTES) throw sizeError(path, bytes.length.toLocaleString("en-US"));
  for (let r = 0; r < RECORDS_PER_FILE; r++) {
    const label = bytes[r * RECORD_BYTES];
    if (label >= NUM_CLASSES) {
      throw new Cifar10DataError(
        `${path}: record ${r} has label ${label}, outside 0..${NUM_CLASSES - 1}: the file is damaged or not CIFAR-10 (CIFAR-100 has another layout). Delete it, then ${FIX_HINT}.`,
      );
    }
  }
  return bytes;
}
