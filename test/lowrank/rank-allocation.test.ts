import { test } from "node:test";
import assert from "node:assert/strict";
import { allocateRanks, allocateRanksGreedy, tailErrors, type AllocationLayer } from "../../src/lowrank/rank-allocation";

/** Every combination, for checking the allocator on small cases. */
function bruteForce(layers: AllocationLayer[], budget: number): number {
  let best = Infinity;
  const walk = (i: number, macs: number, error: number): void => {
    if (macs > budget) return;
    if (i === layers.length) {
      best = Math.min(best, error);
      return;
    }
    for (const o of layers[i].options) walk(i + 1, macs + o.macs, error + o.error);
  };
  walk(0, 0, 0);
  return best;
}

test("a constructed case where greedy is not optimal: the exact allocator finds the known optimum", () => {
  // From rank 1 everywhere (4 MACs), a's upgrade removes 0.5 error for 10 MACs (0.05 per MAC), b's removes 0.89 for
  // 18 (0.049 per MAC). Greedy takes a's (14 MACs), after which b's no longer fits 24: error 1.5. Taking b's alone
  // fits (22 MACs) with error 1.11, the optimum.
  const layers: AllocationLayer[] = [
    { name: "a", options: [{ rank: 1, macs: 2, error: 1 }, { rank: 2, macs: 12, error: 0.5 }] },
    { name: "b", options: [{ rank: 1, macs: 2, error: 1 }, { rank: 2, macs: 20, error: 0.11 }] },
  ];
  const exact = allocateRanks(layers, 24);
  const greedy = allocateRanksGreedy(layers, 24);
  assert.deepEqual(exact.ranks, { a: 1, b: 2 });
  assert.ok(Math.abs(exact.error - 1.11) < 1e-12);
  assert.deepEqual(greedy.ranks, { a: 2, b: 1 }, "greedy takes the better ratio first and is stuck");
  assert.ok(greedy.error > exact.error);
  assert.ok(exact.macs <= 24 && greedy.macs <= 24);
});

test("the exact allocator equals brute force on random instances and always meets the budget", () => {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let trial = 0; trial < 60; trial++) {
    const layers: AllocationLayer[] = Array.from({ length: 2 + Math.floor(rand() * 3) }, (_, l) => {
      let err = 1;
      let macs = 0;
      return {
        name: `l${l}`,
        options: Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, r) => {
          macs += 1 + Math.floor(rand() * 20);
          err *= rand();
          return { rank: r + 1, macs, error: err };
        }),
      };
    });
    const least = layers.reduce((s, l) => s + l.options[0].macs, 0);
    const most = layers.reduce((s, l) => s + l.options[l.options.length - 1].macs, 0);
    const budget = least + Math.floor(rand() * (most - least + 1));
    const exact = allocateRanks(layers, budget);
    assert.ok(exact.macs <= budget);
    assert.ok(Math.abs(exact.error - bruteForce(layers, budget)) < 1e-12, `trial ${trial}`);
    assert.ok(allocateRanksGreedy(layers, budget).error >= exact.error - 1e-12);
  }
});

test("bad budgets and options are refused with the reason", () => {
  const one: AllocationLayer[] = [{ name: "a", options: [{ rank: 1, macs: 5, error: 1 }] }];
  assert.throws(() => allocateRanks(one, 4), /No choice of ranks fits 4 multiply-adds: the cheapest ranks already need 5/);
  assert.throws(() => allocateRanks(one, 0), /budget must be a positive number/);
  assert.throws(() => allocateRanks([], 4), /at least one layer/);
  assert.throws(() => allocateRanks([{ name: "a", options: [{ rank: 0, macs: 1, error: 0 }] }], 4), /integer rank ≥ 1/);
});

test("tailErrors: the normalised error of every rank", () => {
  assert.deepEqual(Array.from(tailErrors([3, 2, 1])), [5 / 14, 1 / 14, 0]);
  assert.deepEqual(Array.from(tailErrors([0, 0])), [0, 0]);
});
