import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, shuffleInPlace } from "../../src/data/prng";

const draw = (seed: number, n: number, stream = 0) => {
  const rng = createRng(seed, stream);
  return Array.from({ length: n }, () => rng.next());
};

test("the same seed gives the same sequence; other seeds and streams give other ones", () => {
  assert.deepEqual(draw(7, 100), draw(7, 100));
  assert.notDeepEqual(draw(7, 100), draw(8, 100));
  assert.notDeepEqual(draw(7, 100), draw(7, 100, 1));
  assert.notDeepEqual(draw(0, 100), draw(2 ** 32, 100), "seeds beyond 32 bits still matter");
});

test("next() lies in [0, 1) and int(n) covers 0..n-1 about evenly", () => {
  const rng = createRng(3);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    counts[rng.int(10)]++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 2000) < 200, `bucket count ${c} is far from 2000`);
});

test("shuffleInPlace makes a seeded permutation", () => {
  const a = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), createRng(1));
  const b = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), createRng(1));
  const c = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), createRng(2));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test("bad seeds and bounds are refused with a clear message", () => {
  assert.throws(() => createRng(1.5), /Seed 1.5 is not an integer/);
  assert.throws(() => createRng(Number.NaN), /not an integer/);
  assert.throws(() => createRng(0).int(0), /positive integer bound/);
});
