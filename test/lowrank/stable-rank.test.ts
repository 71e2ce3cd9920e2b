import { test } from "node:test";
import assert from "node:assert/strict";
import { largestStableRankChange, scaledStableRank, stableRank } from "../../src/lowrank/stable-rank";

test("stableRank: Σσ²/σ₁², 1 for rank one, the rank for a flat spectrum; bad spectra refused", () => {
  assert.equal(stableRank([3, 0, 0]), 1);
  assert.equal(stableRank([2, 2, 2, 2]), 4);
  assert.ok(Math.abs(stableRank([2, 1]) - 1.25) < 1e-15);
  assert.equal(stableRank([0, 0]), 0);
  assert.throws(() => stableRank([1, 2]), /descending order/);
  assert.throws(() => stableRank([]), /at least one/);
});

test("scaledStableRank: now × full / at init, rounded, kept within [1, full]", () => {
  assert.equal(scaledStableRank(5, 20, 48), 12);
  assert.equal(scaledStableRank(0.1, 30, 48), 1);
  assert.equal(scaledStableRank(40, 20, 48), 48);
  assert.throws(() => scaledStableRank(1, 0, 4), /> 0 at initialisation/);
});

test("largestStableRankChange: the largest relative move of any layer", () => {
  assert.ok(Math.abs(largestStableRankChange({ a: 10, b: 4 }, { a: 11, b: 4.2 }) - 0.1) < 1e-12);
  assert.throws(() => largestStableRankChange({ a: 1 }, { b: 1 }), /'b' has no earlier/);
});
