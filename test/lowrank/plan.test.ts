import { test } from "node:test";
import assert from "node:assert/strict";
import { convCost, type ConvSpec } from "../../src/lowrank/cost";
import { tai } from "../../src/lowrank/methods";
import { checkPlan, describeRankRule, namedLayers, rankRuleKind, resolveRank, type DecompositionPlan } from "../../src/lowrank/plan";
import { rankForSpeedup, RankUnreachableError } from "../../src/lowrank/rank-selection";

const spec: ConvSpec = { inH: 8, inW: 8, inC: 16, outC: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" };
const layer = { name: "conv", size: spec, spec };

test("one rank rule, four kinds, each resolved to a rank within the layer's bounds", () => {
  assert.equal(resolveRank({ ranks: { conv: 5 } }, layer, tai), 5);
  assert.equal(resolveRank({ ranks: { other: 5 } }, layer, tai), undefined, "ranks rules name their layers");
  assert.equal(resolveRank({ rank: 7 }, layer, tai), 7);
  assert.equal(resolveRank({ energy: 0.5 }, { ...layer, spectrum: [3, 2, 1] }, tai), 1, "9 of 14 ≥ half");
  assert.equal(resolveRank({ speedup: 2 }, layer, tai), rankForSpeedup(spec, 2));
  assert.throws(() => resolveRank({ rank: 49 }, layer, tai), /Rank for layer 'conv' \(3×3 conv 16→32, kernel matrix 48×96\) must be an integer in 1\.\.48, got 49/);
  assert.throws(() => resolveRank({ speedup: 2 }, { name: "x", size: spec }, tai), /'x' has no fixed input height\/width/);
  assert.throws(() => resolveRank({ energy: 0.5 }, layer, tai), /needs the kernel's spectrum/);
  assert.throws(() => resolveRank({ budget: 2 }, layer, tai), /allocates ranks for all layers together/);
});

test("checkPlan: exactly one rule, valid values, bn, layers and method named in the message", () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /A rank rule is required/],
    [{}, /exactly one of 'ranks'.*got none/],
    [{ rank: 2, speedup: 2 }, /got rank and speedup/],
    [{ rank: 0 }, /'rank' must be an integer ≥ 1/],
    [{ rank: [2, 0] }, /'rank' must be an integer ≥ 1 \(or a tuple of them\), got \[2,0\]/],
    [{ ranks: [3] }, /'ranks' must map layer names to ranks/],
    [{ ranks: { a: 1.5 } }, /ranks\['a'\] must be an integer ≥ 1/],
    [{ energy: 0 }, /Energy fraction must be in \(0, 1\]/],
    [{ speedup: -1 }, /Target speedup must be a positive number/],
    [{ speedup: Infinity }, /Target speedup must be a positive number/],
    [{ rank: 2, bn: "before" }, /bn must be one of none, between, after/],
    [{ rank: 2, layers: "conv1" }, /'layers' must be an array of layer names/],
    [{ rank: 2, method: "svd2" }, /Unknown decomposition method 'svd2': use one of tai, jaderberg/],
    [{ budget: 0 }, /Target speedup must be a positive number/],
    [{ vbmf: 1 }, /'vbmf' takes true/],
    [{ budget: 2, allocation: "best" }, /allocation must be "exact" or "greedy", got 'best'/],
  ];
  for (const [plan, message] of cases) assert.throws(() => checkPlan(plan as DecompositionPlan), message, JSON.stringify(plan));
  for (const ok of [{ rank: 2 }, { rank: [2, 3] }, { ranks: { a: 2 } }, { energy: 1 }, { speedup: 0.5, layers: ["a"], bn: "after", method: "tai" }]) {
    assert.doesNotThrow(() => checkPlan(ok as DecompositionPlan));
  }
  assert.equal(rankRuleKind({ energy: 0.9, speedup: undefined }), "energy", "undefined keys do not count");
});

test("namedLayers and describeRankRule", () => {
  assert.deepEqual(namedLayers({ ranks: { a: 1, b: 2 }, layers: ["b"] }), ["b"]);
  assert.deepEqual(namedLayers({ speedup: 2, layers: ["c"] }), ["c"]);
  assert.equal(namedLayers({ speedup: 2 }), undefined);
  assert.equal(describeRankRule({ speedup: 2 }), "2× theoretical speed-up per layer");
  assert.equal(describeRankRule({ rank: 8 }), "rank 8 in every eligible layer");
  assert.equal(describeRankRule({ energy: 0.9 }), "90% of each layer's Σσ² kept");
});

test("an unreachable speed-up is a typed error carrying the best speed-up", () => {
  const thin: ConvSpec = { ...spec, inC: 3, outC: 16 };
  try {
    rankForSpeedup(thin, 50);
    assert.fail("expected an error");
  } catch (err) {
    assert.ok(err instanceof RankUnreachableError);
    assert.equal(err.target, 50);
    assert.equal(err.best, convCost(thin).macs / tai.cost(thin, 1).macs);
    assert.match(err.message, /No rank reaches a 50× speedup for the 3×3 conv 3→16/);
  }
});

test("the vbmf rule: EVBMF's estimate on the layer's spectrum, at least 1, at most the full rank", () => {
  // A clear 3-component spectrum over a flat noise floor of a 48×96 kernel matrix.
  const spectrum = Array.from({ length: 48 }, (_, i) => (i < 3 ? 40 - 5 * i : 1 - i / 100));
  assert.equal(resolveRank({ vbmf: true }, { ...layer, spectrum }, tai), 3);
  assert.equal(resolveRank({ vbmf: true }, { ...layer, spectrum: Array.from({ length: 48 }, (_, i) => 1 - i / 100) }, tai), 1, "noise only: rank 1, not 0");
  assert.throws(() => resolveRank({ vbmf: true }, layer, tai), /vbmf rule needs the kernel's spectrum/);
  assert.equal(describeRankRule({ vbmf: true }), "EVBMF's rank estimate per layer");
  // MUSCO's weakening: full 48, estimate 3 → ⌊48 − k·45⌋; k = 1 is EVBMF's own rank.
  assert.equal(resolveRank({ vbmf: true, weaken: 1 }, { ...layer, spectrum }, tai), 3);
  assert.equal(resolveRank({ vbmf: true, weaken: 0.5 }, { ...layer, spectrum }, tai), 25);
  assert.throws(() => checkPlan({ vbmf: true, weaken: 0 }), /'weaken' must be a number in \(0, 1\]/);
});
