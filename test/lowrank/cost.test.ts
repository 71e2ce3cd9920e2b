import { test } from "node:test";
import assert from "node:assert/strict";
import { ConvSpec, convCost, lowRankCost, outputSize, paperSpeedup, theoreticalSpeedup } from "../../src/lowrank/cost";
import { maxRank } from "../../src/lowrank/rank-bounds";

const spec = (over: Partial<ConvSpec> = {}): ConvSpec => ({
  inH: 32, inW: 32, inC: 64, outC: 64, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same", ...over,
});

test("outputSize follows TensorFlow: same → ⌈in/s⌉, valid → ⌈(in−k+1)/s⌉", () => {
  assert.equal(outputSize(32, 3, 1, "same"), 32);
  assert.equal(outputSize(32, 3, 2, "same"), 16);
  assert.equal(outputSize(33, 3, 2, "same"), 17);
  assert.equal(outputSize(32, 3, 1, "valid"), 30);
  assert.equal(outputSize(32, 5, 2, "valid"), 14);
  assert.equal(outputSize(5, 5, 3, "valid"), 1);
});

test("dense conv: 32×32×64→64 3×3 same", () => {
  assert.deepEqual(convCost(spec()), { macs: 32 * 32 * 9 * 64 * 64, params: 9 * 64 * 64, outH: 32, outW: 32 });
  assert.equal(convCost(spec({ bias: true })).params, 9 * 64 * 64 + 64);
});

test("low-rank pair at stride 1 'same': K·d·(C+N) per pixel, paper formula", () => {
  const c = lowRankCost(spec({ bias: true }), 16);
  assert.equal(c.vertical.macs, 32 * 32 * 3 * 64 * 16);
  assert.equal(c.horizontal.macs, 32 * 32 * 3 * 16 * 64);
  assert.equal(c.macs, c.vertical.macs + c.horizontal.macs);
  assert.equal(c.vertical.params, 3 * 64 * 16);
  assert.equal(c.horizontal.params, 3 * 16 * 64 + 64, "bias sits on the horizontal conv");
  assert.equal(c.params, c.vertical.params + c.horizontal.params);
  assert.deepEqual([c.outH, c.outW, c.vertical.outW], [32, 32, 32]);
  assert.equal(theoreticalSpeedup(spec(), 16), paperSpeedup(64, 64, 3, 16));
  assert.equal(paperSpeedup(64, 64, 3, 16), (64 * 64 * 9) / (16 * 3 * 128));
});

test("stride 2: the vertical conv keeps the full input width, so the speedup is below the paper's", () => {
  const s = spec({ inH: 16, inW: 16, inC: 32, strideH: 2, strideW: 2 });
  const c = lowRankCost(s, 8);
  assert.deepEqual([c.vertical.outH, c.vertical.outW, c.outH, c.outW], [8, 16, 8, 8]);
  assert.equal(c.vertical.macs, 8 * 16 * 3 * 32 * 8);
  assert.equal(c.horizontal.macs, 8 * 8 * 3 * 8 * 64);
  assert.ok(theoreticalSpeedup(s, 8) < paperSpeedup(32, 64, 3, 8));
  assert.equal(theoreticalSpeedup(s, 8), convCost(s).macs / c.macs);
});

test("valid padding and non-square kernels", () => {
  const s = spec({ inH: 10, inW: 12, inC: 4, outC: 6, kh: 5, kw: 3, strideW: 2, padding: "valid" });
  const dense = convCost(s);
  assert.deepEqual([dense.outH, dense.outW], [6, 5]);
  const c = lowRankCost(s, 4);
  assert.equal(c.vertical.macs, 6 * 12 * 5 * 4 * 4, "vertical: rows cut by 'valid', all 12 columns");
  assert.equal(c.horizontal.macs, 6 * 5 * 3 * 4 * 6);
  assert.equal(maxRank(s), Math.min(4 * 5, 6 * 3));
});

test("bad input gives a clear error", () => {
  assert.throws(() => lowRankCost(spec(), 0), /Rank must be an integer in 1\.\.192 for a 3×3 conv 64→64/);
  assert.throws(() => lowRankCost(spec(), 193), /1\.\.192/);
  assert.throws(() => lowRankCost(spec(), 2.5), /got 2\.5/);
  assert.throws(() => outputSize(4, 5, 1, "valid"), /Kernel size 5 is larger than the input size 4/);
  assert.throws(() => outputSize(8, 3, 0, "same"), /Stride must be a positive integer/);
  assert.throws(() => convCost(spec({ padding: "full" as "same" })), /Unknown padding 'full'/);
  assert.throws(() => convCost(spec({ inC: 0 })), /Input channels \(inC\) must be a positive integer/);
  assert.throws(() => paperSpeedup(64, 64, 3, 0), /K must be a positive integer/);
});
