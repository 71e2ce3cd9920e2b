import { test } from "node:test";
import assert from "node:assert/strict";
import { pickBalanced, range } from "../../src/data/subset";
import { createRng } from "../../src/data/prng";

// 10 classes × 60 examples in a scrambled order.
const labels = Int32Array.from({ length: 600 }, (_, i) => (i * 7) % 10);
const perClass = (idx: Int32Array, of: ArrayLike<number> = labels) => {
  const counts = new Array(10).fill(0);
  for (const i of idx) counts[of[i]]++;
  return counts;
};

test("picks are class-balanced, sorted, and split the input exactly in two", () => {
  const { picked, rest } = pickBalanced(labels, range(600), 50, createRng(0));
  assert.equal(picked.length, 50);
  assert.deepEqual(perClass(picked), new Array(10).fill(5));
  assert.deepEqual(perClass(rest), new Array(10).fill(55));
  assert.deepEqual([...picked], [...picked].sort((a, b) => a - b));
  assert.deepEqual([...rest], [...rest].sort((a, b) => a - b));
  assert.deepEqual([...picked, ...rest].sort((a, b) => a - b), [...range(600)]);
});

test("picks are deterministic for a seed and differ across seeds", () => {
  const a = pickBalanced(labels, range(600), 30, createRng(1)).picked;
  assert.deepEqual(a, pickBalanced(labels, range(600), 30, createRng(1)).picked);
  assert.notDeepEqual(a, pickBalanced(labels, range(600), 30, createRng(2)).picked);
});

test("an uneven count differs by at most one per class, and rare classes are filled from the others", () => {
  const counts = perClass(pickBalanced(labels, range(600), 57, createRng(3)).picked);
  assert.equal(Math.max(...counts) - Math.min(...counts), 1);
  // Class 9 has only 2 examples: the others make up the difference.
  const skewed = Int32Array.from({ length: 100 }, (_, i) => (i < 2 ? 9 : i % 9));
  const got = perClass(pickBalanced(skewed, range(100), 40, createRng(0)).picked, skewed);
  assert.equal(got[9], 2);
  assert.equal(got.reduce((s, c) => s + c, 0), 40);
});

test("picking from a subset only returns members of that subset", () => {
  const subset = Int32Array.from({ length: 200 }, (_, k) => 3 * k);
  const { picked, rest } = pickBalanced(labels, subset, 20, createRng(0));
  const members = new Set(subset);
  for (const i of [...picked, ...rest]) assert.ok(members.has(i));
  assert.equal(picked.length + rest.length, 200);
});

test("an impossible count is refused", () => {
  assert.throws(() => pickBalanced(labels, range(10), 11, createRng(0)), /Cannot pick 11 of 10 examples/);
  assert.throws(() => pickBalanced(labels, range(10), 2.5, createRng(0)), /whole number/);
});
