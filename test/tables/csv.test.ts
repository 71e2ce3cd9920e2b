import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCsv, readCsvRows, toCsvString, writeCsv } from "../../src/tables/csv";
import { dataFrameToRows, rowsToDataFrame } from "../../src/tables/dataframe";
import type { SweepRow } from "../../src/plot/types";

const dir = mkdtempSync(join(tmpdir(), "lowrank-csv-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const rows: SweepRow[] = [
  { layer: "conv1", rank: 4, relError: 0.1234567890123, accuracyBefore: 0.61, theoreticalSpeedup: 2.25 },
  { layer: "conv2, \"wide\"", rank: 8, relError: 1e-9, accuracyBefore: 0.7, accuracyAfter: 0.8125, theoreticalSpeedup: 1 / 3, measuredSpeedup: 1.5 },
];

test("rows round-trip through a danfo DataFrame", () => {
  const df = rowsToDataFrame(rows);
  assert.deepEqual(df.shape, [2, 7]);
  assert.deepEqual(df.columns, ["layer", "rank", "relError", "accuracyBefore", "theoreticalSpeedup", "accuracyAfter", "measuredSpeedup"]);
  assert.deepEqual(dataFrameToRows<SweepRow>(df), rows);
});

test("CSV written atomically round-trips through danfo (quotes, missing cells, full precision)", async () => {
  const path = join(dir, "sub", "sweep.csv");
  writeCsv(rows, path);
  const text = readFileSync(path, "utf8");
  assert.match(text, /^layer,rank,relError,/);
  assert.match(text, /"conv2, ""wide"""/);
  const df = await readCsv(path);
  assert.deepEqual(df.shape, [2, 7]);
  assert.deepEqual(df.columns, rowsToDataFrame(rows).columns);
  assert.deepEqual(await readCsvRows<SweepRow>(path), rows);
  // A DataFrame written out gives the same text as the rows it came from.
  assert.equal(toCsvString(df), text);
});

test("CSV keeps booleans and treats NaN as a missing cell", async () => {
  const path = join(dir, "flags.csv");
  writeCsv([{ name: "a", ok: true, x: Number.NaN }, { name: "b", ok: false, x: 2 }], path);
  assert.deepEqual(await readCsvRows(path), [{ name: "a", ok: true }, { name: "b", ok: false, x: 2 }]);
});

test("bad tables give clear errors", async () => {
  assert.throws(() => rowsToDataFrame([]), /no rows/);
  assert.throws(() => rowsToDataFrame([{ a: [1, 2] }]), /column 'a' holds a object/);
  await assert.rejects(readCsv(join(dir, "missing.csv")), /no such file/);
});
