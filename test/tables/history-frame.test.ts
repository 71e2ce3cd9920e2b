import { test } from "node:test";
import assert from "node:assert/strict";
import { historyFrame } from "../../src/tables/history-frame";
import { historyRow } from "../train/fixtures";

const row = historyRow;

test("historyFrame: one row per epoch, test columns only when evaluated", () => {
  const df = historyFrame([row(1, 2.0, 0.3), row(2, 1.5, 0.4)]);
  assert.deepEqual(df.shape, [2, 8]);
  assert.deepEqual(df.column("testAccuracy").values, [0.3, 0.4]);
  const noTest = historyFrame([row(1, 2.0), row(2, 1.5)]);
  assert.deepEqual(noTest.columns, ["epoch", "trainLoss", "trainAccuracy", "seconds", "imagesPerSecond", "lr"]);
  const mixed = historyFrame([row(1, 2.0), row(2, 1.5, 0.4)]);
  assert.ok(Number.isNaN(mixed.column("testAccuracy").values[0] as number));
  assert.throws(() => historyFrame([]), /history is empty/);
});
