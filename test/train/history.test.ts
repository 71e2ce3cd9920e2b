import { test } from "node:test";
import assert from "node:assert/strict";
import { bestEpoch } from "../../src/train/history";
import { historyRow } from "./fixtures";

const row = historyRow;

test("bestEpoch prefers test accuracy, else the lowest train loss", () => {
  assert.equal(bestEpoch([row(1, 2.0, 0.3), row(2, 1.0, 0.5), row(3, 0.5, 0.4)])?.epoch, 2);
  assert.equal(bestEpoch([row(1, 2.0), row(2, 1.0), row(3, 1.5)])?.epoch, 2);
  assert.equal(bestEpoch([]), undefined);
});
