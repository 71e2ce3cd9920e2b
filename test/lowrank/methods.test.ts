import { test } from "node:test";
import assert from "node:assert/strict";
import { lowRankCost, type ConvSpec } from "../../src/lowrank/cost";
import { decomposeKernel, kernelEnergy } from "../../src/lowrank/decompose";
import { scalarRank } from "../../src/lowrank/factorization";
import { factorizationMethod, METHOD_NAMES, METHODS, tai } from "../../src/lowrank/methods";
import { LAYER_BUILDERS } from "../../src/lowrank/layer-builder";
import { randomKernel } from "./fixtures";

test("every method has a TF.js layer builder, and names resolve", () => {
  assert.deepEqual(METHOD_NAMES, Object.keys(METHODS));
  for (const name of METHOD_NAMES) {
    assert.equal(factorizationMethod(name).name, name);
    assert.equal(LAYER_BUILDERS[name].method, METHODS[name]);
  }
  assert.equal(factorizationMethod(), tai);
  assert.throws(() => factorizationMethod("cp4"), /Unknown decomposition method 'cp4': use one of tai, jaderberg/);
});

test("tai through the interface: same factors, residual and cost as Theorem 1's functions", () => {
  const w = randomKernel([3, 3, 5, 6], 3);
  const analysis = tai.analyze(w);
  const size = { kh: 3, kw: 3, inC: 5, outC: 6 };
  assert.equal(tai.maxRank(size), 15);
  assert.deepEqual(tai.ranks(size), Array.from({ length: 15 }, (_, i) => i + 1));
  assert.equal(analysis.spectrum?.length, 15);
  assert.ok(Math.abs(analysis.energy - kernelEnergy(w)) < 1e-9);
  for (const K of [1, 7, 15]) {
    const f = analysis.factor(K);
    const d = decomposeKernel(w, K);
    assert.deepEqual(f.factors.vertical, d.vertical);
    assert.deepEqual(f.factors.horizontal, d.horizontal);
    assert.equal(f.residual, d.residual);
  }
  const spec: ConvSpec = { ...size, inH: 8, inW: 8, strideH: 1, strideW: 1, padding: "same" };
  assert.deepEqual(tai.cost(spec, 4), lowRankCost(spec, 4));
  assert.equal(tai.refusal({ kh: 1, kw: 1, inC: 4, outC: 4 })?.includes("1×1 conv"), true);
  assert.equal(tai.refusal(size), null);
  assert.throws(() => tai.checkRank(size, [2, 3], "c"), /Layer 'c': the tai method has one rank K, got \[2, 3\]/);
  assert.throws(() => analysis.factor(16), /integer in 1\.\.15/);
});

test("scalarRank passes numbers and refuses tuples with the place named", () => {
  assert.equal(scalarRank(4, "x"), 4);
  assert.throws(() => scalarRank([4, 2], "rankSweep"), /rankSweep takes methods with one rank; got the rank tuple \[4, 2\]/);
});
