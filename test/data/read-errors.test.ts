import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { readCifar10Raw } from "../../src/data/raw";
import { readBatchFile } from "../../src/data/read-batch";
import { loadCifar10 } from "../../src/data/cifar10";
import { Cifar10DataError } from "../../src/data/errors";

const SHARED = process.env.CIFAR10_DIR ?? resolve(__dirname, "../../../shared/data/cifar-10-batches-bin");
const BATCH_BYTES = 30_730_000;
const HINT = /npm run data.*CIFAR10_DIR/;
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), "cifar10-errors-"));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder under the test's temp root. */
function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

/** A well-formed batch: labels cycle 0..9, pixels zero. */
function goodBatch(): Uint8Array {
  const bytes = new Uint8Array(BATCH_BYTES);
  for (let r = 0; r < 10_000; r++) bytes[r * 3073] = r % 10;
  return bytes;
}

test("a missing folder is named, with what to do", () => {
  const missing = join(root, "nowhere");
  assert.throws(
    () => readCifar10Raw(missing),
    (err: Error) => err instanceof Cifar10DataError && err.message.includes(`the folder ${missing} does not exist`) && HINT.test(err.message),
  );
});

test("a missing batch file is named, with what to do", () => {
  const dir = folder("missing-file");
  writeFileSync(join(dir, "batches.meta.txt"), readFileSync(join(SHARED, "batches.meta.txt")));
  assert.throws(() => readCifar10Raw(dir), (err: Error) => /data_batch_1\.bin \(or data_batch_1\.bin\.gz\) not found in /.test(err.message) && HINT.test(err.message));
});

test("a missing or wrong batches.meta.txt is refused", () => {
  const dir = folder("meta");
  symlinkSync(join(SHARED, "data_batch_1.bin.gz"), join(dir, "data_batch_1.bin.gz"));
  assert.throws(() => readCifar10Raw(dir), /batches\.meta\.txt \(or batches\.meta\.txt\.gz\) not found/);
  writeFileSync(join(dir, "batches.meta.txt"), "cat\ndog\n");
  assert.throws(() => readCifar10Raw(dir), /batches\.meta\.txt lists 2 class names, expected 10/);
});

test("a plain file of the wrong size is named with its size and the expected one", () => {
  const dir = folder("short-plain");
  writeFileSync(join(dir, "data_batch_1.bin"), new Uint8Array(1000));
  assert.throws(
    () => readBatchFile(dir, "data_batch_1.bin"),
    (err: Error) => err.message.includes("data_batch_1.bin holds 1,000 bytes, expected 30,730,000") && HINT.test(err.message),
  );
});

test("a gzip file that decompresses to the wrong size says so", () => {
  const dir = folder("short-gz");
  writeFileSync(join(dir, "test_batch.bin.gz"), gzipSync(new Uint8Array(3073 * 5)));
  assert.throws(() => readBatchFile(dir, "test_batch.bin"), /test_batch\.bin\.gz holds 15,365 bytes once decompressed, expected 30,730,000/);
  const big = new Uint8Array(BATCH_BYTES + 3073);
  writeFileSync(join(dir, "data_batch_2.bin.gz"), gzipSync(big, { level: 1 }));
  assert.throws(() => readBatchFile(dir, "data_batch_2.bin"), /data_batch_2\.bin\.gz holds more than 30,730,000 bytes once decompressed/);
});

test("a truncated gzip file is named as cut short", () => {
  const dir = folder("truncated");
  writeFileSync(join(dir, "data_batch_3.bin.gz"), readFileSync(join(SHARED, "data_batch_3.bin.gz")).subarray(0, 200_000));
  assert.throws(
    () => readBatchFile(dir, "data_batch_3.bin"),
    (err: Error) => /data_batch_3\.bin\.gz is not a complete gzip file .*cut short/.test(err.message) && HINT.test(err.message),
  );
});

test("a label outside 0..9 is named with its record", () => {
  const dir = folder("labels");
  const bytes = goodBatch();
  writeFileSync(join(dir, "data_batch_4.bin"), bytes);
  assert.equal(readBatchFile(dir, "data_batch_4.bin").length, BATCH_BYTES, "the well-formed file reads");
  bytes[7 * 3073] = 10;
  writeFileSync(join(dir, "data_batch_4.bin"), bytes);
  assert.throws(() => readBatchFile(dir, "data_batch_4.bin"), /data_batch_4\.bin: record 7 has label 10, outside 0\.\.9/);
});

test("loadCifar10 without download passes the data error on", async () => {
  await assert.rejects(loadCifar10({ dir: join(root, "absent") }), (err: Error) => err instanceof Cifar10DataError && HINT.test(err.message));
});

test("a batch that differs from the official file by one pixel byte is named with its SHA-256 and the fix; the good one is then read", () => {
  const dir = folder("flipped");
  for (const f of ["batches.meta.txt", "data_batch_1.bin.gz", "data_batch_2.bin.gz", "data_batch_3.bin.gz", "data_batch_4.bin.gz", "data_batch_5.bin.gz", "test_batch.bin.gz"]) {
    symlinkSync(join(SHARED, f), join(dir, f));
  }
  const plain = gunzipSync(readFileSync(join(SHARED, "data_batch_2.bin.gz")));
  plain[12_345] ^= 1; // one pixel byte: sizes and labels still look right
  writeFileSync(join(dir, "data_batch_2.bin"), plain);
  assert.throws(
    () => readCifar10Raw(dir),
    (err: Error) =>
      err instanceof Cifar10DataError &&
      /data_batch_2\.bin is not the official CIFAR-10 data_batch_2\.bin: its contents have SHA-256 [0-9a-f]{64}, expected a591ca11/.test(err.message) &&
      /data_batch_2\.bin\.gz beside it is read once it is gone/.test(err.message) &&
      HINT.test(err.message),
  );
  assert.equal(readCifar10Raw(dir, false).train.labels.length, 50_000, "checksums: false reads it (synthetic data)");
  rmSync(join(dir, "data_batch_2.bin"));
  assert.equal(readCifar10Raw(dir).train.labels.length, 50_000, "the official .gz beside it reads");
});

test("a data 'folder' that is a file is named as such, not as a missing file", () => {
  const file = join(root, "not-a-folder");
  writeFileSync(file, "x");
  assert.throws(() => readCifar10Raw(file), (err: Error) => err.message.includes(`${file} is a file, not a folder`) && HINT.test(err.message));
});
