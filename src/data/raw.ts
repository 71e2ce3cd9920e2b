import { readFileSync } from "node:fs";
import { IMAGE_BYTES, META_FILE_NAME, RECORD_BYTES, RECORDS_PER_FILE, TEST_FILE_NAME, TRAIN_FILE_NAMES } from "./format";
import { parseClassNames } from "./classes";
import { locateDataFile, readBatchFile, readDataFile } from "./read-batch";
import { resolveCifar10Dir } from "./locate";
import { verifyDataFile, type Checksums } from "./verify";
import { CIFAR10_SHA256 } from "./format";

/** Images exactly as stored: per image the R, G, B planes of 32×32 bytes (channel-major), and their labels. */
export interface Cifar10RawSet {
  pixels: Uint8Array; // [n × 3072]
  labels: Uint8Array; // [n]
}

export interface Cifar10Raw {
  train: Cifar10RawSet;
  test: Cifar10RawSet;
  classNames: readonly string[];
  dir: string;
}

function readSet(dir: string, names: readonly string[], checksums: Checksums): Cifar10RawSet {
  const n = names.length * RECORDS_PER_FILE;
  const pixels = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  names.forEach((name, f) => {
    const bytes = readBatchFile(dir, name);
    verifyDataFile(locateDataFile(dir, name), name, bytes, checksums);
    for (let r = 0; r < RECORDS_PER_FILE; r++) {
      const i = f * RECORDS_PER_FILE + r;
      const at = r * RECORD_BYTES;
      labels[i] = bytes[at];
      pixels.set(bytes.subarray(at + 1, at + RECORD_BYTES), i * IMAGE_BYTES);
    }
  });
  return { pixels, labels };
}

/** Class names from `batches.meta.txt` in `dir`. */
export function readClassNames(dir: string): readonly string[] {
  const path = locateDataFile(dir, META_FILE_NAME);
  return parseClassNames(new TextDecoder().decode(readDataFile(path, 1 << 16)), path);
}

/**
 * Read and check all of CIFAR-10 (no TF.js): 50,000 training and 10,000 test images, in file order.
 * `dir` defaults as in `resolveCifar10Dir`. Every batch must match the official file's SHA-256
 * (`checksums`, default CIFAR10_SHA256; `false` skips it, for synthetic data). Throws a
 * `Cifar10DataError` naming the file at fault.
 */
export function readCifar10Raw(dir?: string, checksums: Checksums = CIFAR10_SHA256): Cifar10Raw {
  const where = resolveCifar10Dir(dir);
  const classNames = readClassNames(where);
  return { train: readSet(where, TRAIN_FILE_NAMES, checksums), test: readSet(where, [TEST_FILE_NAME], checksums), classNames, dir: where };
}
