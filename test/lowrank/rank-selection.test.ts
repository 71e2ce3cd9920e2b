import { test } from "node:test";
import assert from "node:assert/strict";
import { ConvSpec, theoreticalSpeedup } from "../../src/lowrank/cost";
import { maxRank } from "../../src/lowrank/rank-bounds";
import { rankForEnergy, rankForSpeedup } from "../../src/lowrank/rank-selection";

test("rankForEnergy: smallest K keeping the fraction of Σσ²", () => {
  const s = [3, 2, 1]; // energies 9, 4, 1 of 14
  assert.equal(rankForEnergy(s, 9 / 14), 1);
  assert.equal(rankForEnergy(s, 0.65), 2);
  assert.equal(rankForEnergy(s, 13 / 14), 2);
  assert.equal(rankForEnergy(s, 0.99), 3);
  assert.equal(rankForEnergy(s, 1), 3);
  assert.equal(rankForEnergy(new Float64Array([0, 0]), 0.5), 1, "zero kernel");
});

test("rankForEnergy rejects bad input", () => {
  assert.throws(() => rankForEnergy([1], 0), /fraction must be in \(0, 1\]/);
  assert.throws(() => rankForEnergy([1], 1.5), /got 1\.5/);
  assert.throws(() => rankForEnergy([], 0.5), /at least one singular value/);
  assert.throws(() => rankForEnergy([1, 2], 0.5), /descending order/);
  assert.throws(() => rankForEnergy([1, -1], 0.5), /finite and ≥ 0/);
});

const spec: ConvSpec = { inH: 16, inW: 16, inC: 64, outC: 128, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" };

test("rankForSpeedup: the largest K meeting the target", () => {
  for (const target of [1, 2, 3.5, 10]) {
    const k = rankForSpeedup(spec, target);
    assert.ok(theoreticalSpeedup(spec, k) >= target, `K=${k} meets ${target}`);
    if (k < maxRank(spec)) assert.ok(theoreticalSpeedup(spec, k + 1) < target, `K+1 misses ${target}`);
  }
  assert.equal(rankForSpeedup(spec, 0.1), maxRank(spec), "any rank is fast enough");
  const strided = { ...spec, strideH: 2, strideW: 2 };
  assert.ok(rankForSpeedup(strided, 2) < rankForSpeedup(spec, 2), "stride 2 needs a smaller rank for the same speedup");
});

test("rankForSpeedup errors name the layer and the best available", () => {
  const best = theoreticalSpeedup(spec, 1);
  assert.throws(() => rankForSpeedup(spec, best * 1.01), new RegExp(`3×3 conv 64→128 .* best is ${best.toFixed(3)}× at rank 1`));
  assert.throws(() => rankForSpeedup(spec, 0), /positive number/);
  assert.throws(() => rankForSpeedup(spec, NaN), /positive number/);
});
