import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import {
  decomposeLayerByLayer,
  decomposeModel,
  decomposeModelWithReport,
  eligibleConvLayers,
  LowRankConv2D,
  type DecompositionPlan,
} from "../../src/lowrank";
import { convCost, lowRankCost, type ConvSpec } from "../../src/lowrank/cost";
import { rankForSpeedup } from "../../src/lowrank/rank-selection";
import { roundTrip } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** Tiny Sequential CNN: 3×3 same relu, 3×3 valid stride 2, 1×1, dense softmax. */
function tinySequential(): tf.Sequential {
  return tf.sequential({
    name: "tiny",
    layers: [
      tf.layers.conv2d({ name: "c1", filters: 4, kernelSize: 3, padding: "same", activation: "relu", inputShape: [8, 8, 3] }),
      tf.layers.conv2d({ name: "c2", filters: 6, kernelSize: 3, strides: 2, padding: "valid", activation: "relu" }),
      tf.layers.conv2d({ name: "p1", filters: 5, kernelSize: 1, activation: "relu" }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({ name: "out", units: 3, activation: "softmax" }),
    ],
  });
}

/** Functional model with a branch: stem → (3×3 | 5×5 stride 1 | 1×1) → add → GAP → dense. */
function branchy(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 2], name: "img" });
  const stem = tf.layers.conv2d({ name: "stem", filters: 4, kernelSize: 3, padding: "same", activation: "relu" }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.conv2d({ name: "a", filters: 5, kernelSize: 3, padding: "same" }).apply(stem) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ name: "b", filters: 5, kernelSize: [5, 3], padding: "same", useBias: false }).apply(stem) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ name: "c", filters: 5, kernelSize: 1 }).apply(stem) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: "sum" }).apply([a, b, c]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(sum) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: "out", units: 2 }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "branchy" });
}

async function trainFewSteps(model: tf.LayersModel, inShape: number[], classes: number): Promise<void> {
  model.compile({ optimizer: tf.train.adam(0.01), loss: classes > 2 ? "categoricalCrossentropy" : "meanSquaredError" });
  const xs = tf.randomNormal([16, ...inShape], 0, 1, "float32", 1);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([16], 0, classes, "int32", 2), classes).toFloat());
  await model.fit(xs, ys, { epochs: 3, batchSize: 8, verbose: 0 });
  tf.dispose([xs, ys]);
}

function fullRanks(model: tf.LayersModel): Record<string, number> {
  return Object.fromEntries(
    eligibleConvLayers(model).map((l) => {
      const [kh, kw, C, N] = l.getWeights()[0].shape;
      return [l.name, Math.min(C * kh, N * kw)];
    }),
  );
}

function predictionGap(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => {
    const ya = a.predict(x) as tf.Tensor;
    const yb = b.predict(x) as tf.Tensor;
    return tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0] / Math.max(tf.max(tf.abs(ya)).dataSync()[0], 1e-30);
  });
}

test("trained Sequential: full-rank decomposition predicts the same; 1×1 and dense untouched; round trip", async () => {
  const model = tinySequential();
  await trainFewSteps(model, [8, 8, 3], 3);
  assert.deepEqual(eligibleConvLayers(model).map((l) => l.name), ["c1", "c2"]);
  const originalWeights = model.getWeights().map((t) => Array.from(t.dataSync()));
  const { model: low, layers } = decomposeModelWithReport(model, { ranks: fullRanks(model) });
  assert.ok(low instanceof tf.Sequential);
  assert.deepEqual(low.layers.map((l) => `${l.getClassName()}:${l.name}`), ["LowRankConv2D:c1", "LowRankConv2D:c2", "Conv2D:p1", "Flatten:flat", "Dense:out"]);
  assert.deepEqual(layers.map((r) => [r.name, r.rank, r.maxRank]), [["c1", 9, 9], ["c2", 12, 12]]);
  for (const r of layers) assert.ok(r.relativeError < 1e-6 && r.residual < 1e-10 * r.energy, `${r.name} exact at full rank`);
  for (const name of ["p1", "out"]) {
    const a: number[][] = model.getLayer(name).getWeights().map((t) => Array.from(t.dataSync()));
    const b: number[][] = low.getLayer(name).getWeights().map((t) => Array.from(t.dataSync()));
    assert.deepEqual(b, a, `${name} weights copied`);
  }
  const x = tf.randomNormal([5, 8, 8, 3], 0, 1, "float32", 3);
  assert.ok(predictionGap(model, low, x) <= 1e-4, `gap ${predictionGap(model, low, x)}`);
  assert.deepEqual(model.getWeights().map((t) => Array.from(t.dataSync())), originalWeights, "input model untouched");
  assert.equal(model.getLayer("c1").getClassName(), "Conv2D");

  const loaded = await roundTrip(low);
  assert.ok(loaded.getLayer("c2") instanceof LowRankConv2D);
  tf.tidy(() => assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((low.predict(x) as tf.Tensor).dataSync())));
  tf.dispose(x);
  for (const m of [model, low, loaded]) m.dispose();
});

test("functional model with branches: same names, same connections, same predictions (bn none and after)", async () => {
  const model = branchy();
  await trainFewSteps(model, [9, 9, 2], 2);
  const x = tf.randomNormal([3, 9, 9, 2], 0, 1, "float32", 4);
  const inbound = (m: tf.LayersModel) =>
    m.layers.map((l) => [l.name, l.inboundNodes.map((n) => n.inboundLayers.map((il) => il.name))]);
  for (const bn of ["none", "after"] as const) {
    const low = decomposeModel(model, { ranks: fullRanks(model), bn });
    assert.deepEqual(low.layers.map((l) => l.name), model.layers.map((l) => l.name));
    assert.deepEqual(inbound(low), inbound(model));
    assert.deepEqual(["stem", "a", "b", "c"].map((n) => low.getLayer(n).getClassName()), ["LowRankConv2D", "LowRankConv2D", "LowRankConv2D", "Conv2D"]);
    assert.equal((low.getLayer("b") as LowRankConv2D).useBias, false);
    assert.equal((low.getLayer("a") as LowRankConv2D).bn, bn);
    assert.ok(predictionGap(model, low, x) <= 1e-4, `bn ${bn}: gap ${predictionGap(model, low, x)}`);
    const loaded = await roundTrip(low);
    tf.tidy(() => assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((low.predict(x) as tf.Tensor).dataSync())));
    low.dispose();
    loaded.dispose();
  }
  tf.dispose(x);
  model.dispose();
});

test("rule-based plans: energy and speedup ranks, restricted to `layers`; report figures", () => {
  const model = branchy();
  const energy = decomposeModelWithReport(model, { energy: 0.9 });
  assert.deepEqual(energy.layers.map((r) => r.name), ["stem", "a", "b"], "1×1 'c' skipped by the rule");
  for (const r of energy.layers) {
    const [values, rank] = [r.singularValues!, r.rank as number];
    const kept = values.slice(0, rank).reduce((s, v) => s + v * v, 0);
    const keptLess = values.slice(0, rank - 1).reduce((s, v) => s + v * v, 0);
    assert.ok(kept >= 0.9 * r.energy && keptLess < 0.9 * r.energy, `${r.name}: smallest rank keeping 90%`);
    assert.ok(Math.abs(r.relativeError - Math.sqrt(r.residual / r.energy)) < 1e-12);
    assert.ok(r.relativeError <= Math.sqrt(0.1) + 1e-12);
  }
  energy.model.dispose();

  const speed = decomposeModelWithReport(model, { speedup: 1.5, layers: ["a", "b"] });
  assert.deepEqual(speed.layers.map((r) => r.name), ["a", "b"]);
  const specs: Record<string, ConvSpec> = {
    a: { inH: 9, inW: 9, inC: 4, outC: 5, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same", bias: true },
    b: { inH: 9, inW: 9, inC: 4, outC: 5, kh: 5, kw: 3, strideH: 1, strideW: 1, padding: "same", bias: false },
  };
  for (const r of speed.layers) {
    assert.equal(r.rank, rankForSpeedup(specs[r.name], 1.5));
    assert.equal(r.originalMacs, convCost(specs[r.name]).macs);
    assert.equal(r.lowRankMacs, lowRankCost(specs[r.name], r.rank as number).macs);
    assert.equal(r.theoreticalSpeedup, r.originalMacs / r.lowRankMacs);
    assert.ok(r.theoreticalSpeedup >= 1.5);
  }
  assert.equal(speed.model.getLayer("stem").getClassName(), "Conv2D");
  speed.model.dispose();

  // Lower rank, larger error.
  const errs = [1, 2, 4, 8].map((k) => {
    const d = decomposeModelWithReport(model, { ranks: { a: k } });
    d.model.dispose();
    return d.layers[0].relativeError;
  });
  for (let i = 1; i < errs.length; i++) assert.ok(errs[i] < errs[i - 1], `error falls with rank: ${errs}`);
  model.dispose();
});

test("layer by layer: one step per layer, each built on the (possibly fine-tuned) previous model", () => {
  const model = tinySequential();
  const steps: string[] = [];
  let previous: tf.LayersModel | undefined;
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 5);
  for (const step of decomposeLayerByLayer(model, { ranks: fullRanks(model) })) {
    steps.push(step.layerName);
    assert.equal(step.report.name, step.layerName);
    assert.equal(step.model.getLayer(step.layerName).getClassName(), "LowRankConv2D");
    assert.ok(predictionGap(model, step.model, x) <= 1e-4);
    if (previous) {
      // The "fine-tuned" change made to the previous model below is carried over.
      assert.equal(step.model.getLayer("out").getWeights()[1].dataSync()[0], 0.5);
      assert.equal(step.model.getLayer(steps[0]).getClassName(), "LowRankConv2D");
      previous.dispose();
    }
    // Pretend to fine-tune: change a weight the next step must inherit (not part of the comparison above).
    const out = step.model.getLayer("out");
    const [k, b] = out.getWeights();
    const nb = tf.tidy(() => tf.add(tf.mul(b, 0), 0.5));
    out.setWeights([k, nb]);
    nb.dispose();
    previous = step.model;
  }
  assert.deepEqual(steps, ["c1", "c2"]);
  previous?.dispose();
  tf.dispose(x);
  model.dispose();
});

test("unsupported or unknown layers named in a plan are refused with the reason", () => {
  const input = tf.input({ shape: [8, 8, 4] });
  const layers = [
    tf.layers.depthwiseConv2d({ name: "dw", kernelSize: 3, padding: "same" }),
    tf.layers.separableConv2d({ name: "sep", filters: 4, kernelSize: 3, padding: "same" }),
    tf.layers.conv2d({ name: "dil", filters: 4, kernelSize: 3, dilationRate: 2, padding: "same" }),
    tf.layers.conv2dTranspose({ name: "tr", filters: 4, kernelSize: 3, padding: "same" }),
    tf.layers.conv2d({ name: "one", filters: 4, kernelSize: 1 }),
    tf.layers.conv2d({ name: "ok", filters: 4, kernelSize: 3, padding: "same" }),
  ];
  let h = input;
  for (const l of layers) h = l.apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: h });
  const cases: [DecompositionPlan, RegExp][] = [
    [{ ranks: { dw: 2 } }, /'dw': depthwise convolutions/],
    [{ ranks: { sep: 2 } }, /'sep': separable convolutions are already factored/],
    [{ ranks: { dil: 2 } }, /'dil': dilated convolutions \(dilationRate \[2,2\]\)/],
    [{ ranks: { tr: 2 } }, /'tr': transposed convolutions/],
    [{ ranks: { one: 2 } }, /'one': it is a 1×1 conv.*decomposePointwise/],
    [{ energy: 0.9, layers: ["one"] }, /'one': it is a 1×1 conv/],
    [{ ranks: { nope: 2 } }, /No layer named 'nope' in model .* Decomposable layers: ok\./],
    [{ ranks: { ok: 13 } }, /Rank for layer 'ok' \(3×3 conv 4→4, kernel matrix 12×12\) must be an integer in 1\.\.12, got 13/],
    [{ ranks: { ok: 0 } }, /got 0/],
    [{ speedup: 100 }, /No rank reaches a 100× speedup for the 3×3 conv 4→4/],
    [{} as DecompositionPlan, /exactly one of 'ranks'.*got none/],
    [{ energy: 0.5, speedup: 2 } as unknown as DecompositionPlan, /got energy and speedup/],
    [{ energy: 0.5, bn: "before" } as unknown as DecompositionPlan, /bn must be one of none, between, after/],
    [{ energy: 1.5 }, /fraction must be in \(0, 1\]/],
  ];
  for (const [plan, message] of cases) assert.throws(() => decomposeModel(model, plan), message, JSON.stringify(plan));
  // A rule without `layers` skips what it cannot decompose.
  const low = decomposeModelWithReport(model, { energy: 0.95 });
  assert.deepEqual(low.layers.map((r) => r.name), ["ok"]);
  low.model.dispose();
  const once = decomposeModel(model, { ranks: { ok: 3 } });
  // Nothing left to decompose: a rule says so rather than returning an unchanged copy.
  assert.throws(() => decomposeModel(once, { energy: 0.5 }), /No layer of model .* can be decomposed \(.*'ok': it is already a LowRankConv2D\)/);
  assert.throws(() => decomposeModel(once, { ranks: { ok: 2 } }), /'ok': it is already a LowRankConv2D/);
  once.dispose();
  model.dispose();
});

test("no tensors leak: 100 decompositions of a tiny model", () => {
  const model = tinySequential();
  const x = tf.ones([1, 8, 8, 3]);
  const start = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) {
    const low = decomposeModel(model, { ranks: { c1: 1 + (i % 9) }, bn: i % 2 ? "after" : "none" });
    tf.dispose(low.predict(x) as tf.Tensor);
    low.dispose();
  }
  assert.equal(tf.memory().numTensors, start);
  x.dispose();
  model.dispose();
});

test("a rule-based plan on a model with nothing to decompose says why, layer by layer", () => {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 1, name: "pointwise" }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, name: "depthwise" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  for (const plan of [{ speedup: 2 }, { energy: 0.9 }]) {
    assert.throws(
      () => decomposeModel(m, plan),
      /No layer of model '.*' can be decomposed \('pointwise': it is a 1×1 conv \(no vertical\/horizontal split.*\); 'depthwise': depthwise convolutions have one filter per input channel.*\)\. The method needs a Conv2D with a d×d kernel, d > 1\./,
    );
  }
  m.dispose();
});

test("a budget rule: the chosen layers together meet the speed-up with the least total error; greedy is never better", () => {
  const model = tf.sequential({
    name: "budget",
    layers: [
      tf.layers.conv2d({ name: "c1", inputShape: [8, 8, 3], filters: 8, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.conv2d({ name: "c2", filters: 12, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.conv2d({ name: "c3", filters: 16, kernelSize: 3, strides: 2, padding: "same" }),
    ],
  });
  for (const target of [1.5, 2, 3]) {
    const exact = decomposeModelWithReport(model, { budget: target });
    const greedy = decomposeModelWithReport(model, { budget: target, allocation: "greedy" });
    const macs = (r: typeof exact) => r.layers.reduce((s, l) => s + l.lowRankMacs, 0);
    const dense = exact.layers.reduce((s, l) => s + l.originalMacs, 0);
    const error = (r: typeof exact) => r.layers.reduce((s, l) => s + l.residual / l.energy, 0);
    assert.ok(macs(exact) <= dense / target + 1e-9, `exact meets ${target}×`);
    assert.ok(macs(greedy) <= dense / target + 1e-9, `greedy meets ${target}×`);
    assert.ok(error(exact) <= error(greedy) + 1e-12, `exact ${error(exact)} ≤ greedy ${error(greedy)} at ${target}×`);
    exact.model.dispose();
    greedy.model.dispose();
  }
  assert.throws(() => decomposeModel(model, { budget: 1000 }), /No ranks reach a 1000× speed-up of 3 layer\(s\) together/);
  // Layer by layer, a budget keeps its joint ranks instead of becoming a per-layer target.
  const joint = decomposeModelWithReport(model, { budget: 2 });
  const steps = [...decomposeLayerByLayer(model, { budget: 2 })];
  assert.deepEqual(steps.map((s) => [s.layerName, s.report.rank]), joint.layers.map((l) => [l.name, l.rank]));
  joint.model.dispose();
  for (const s of steps) s.model.dispose();
  model.dispose();
});
