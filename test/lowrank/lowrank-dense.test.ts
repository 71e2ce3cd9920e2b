import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeModel, decomposeModelWithReport, inferenceModelWithReport, kernelOfLayer, LowRankDense, singularValuesOfKernel } from "../../src/lowrank";
import { convMacsOf, layerCost } from "../../src/measure/layer-cost";
import { pointwiseSvd } from "../../src/lowrank/methods";
import { measureLayerSpeedup } from "../../src/measure/layer-speedup";
import { taiCifarCnn } from "../../src/models";
import { maxRelativeDifference as maxRel } from "../train/fixtures";
import { randomizeBatchNorms, roundTrip } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

const net = () => {
  const model = taiCifarCnn({ widthMultiplier: 0.25, seed: 4 });
  randomizeBatchNorms(model, 5);
  return model;
};

test("svd on Dense layers: full rank predicts as before; rank K leaves the dropped σ² and costs K·(C + N) per image", async () => {
  const model = net();
  const x = tf.randomNormal([3, 32, 32, 3], 0, 1, "float32", 6);
  const y = model.predict(x) as tf.Tensor;
  const fc1 = model.getLayer("fc1");
  const [C, N] = fc1.getWeights()[0].shape;
  const exact = decomposeModelWithReport(model, { method: "svd", ranks: { fc1: Math.min(C, N) } });
  assert.ok(exact.model.getLayer("fc1") instanceof LowRankDense);
  assert.deepEqual(exact.layers[0].kernelShape, [1, 1, C, N]);
  const ye = exact.model.predict(x) as tf.Tensor;
  assert.ok(maxRel(ye.dataSync(), y.dataSync()) < 1e-4, "full rank");

  const K = 7;
  const low = decomposeModelWithReport(model, { method: "svd", ranks: { fc1: K } });
  const s = singularValuesOfKernel(kernelOfLayer(fc1));
  const dropped = Array.from(s.slice(K)).reduce((a, v) => a + v * v, 0);
  assert.ok(Math.abs(low.layers[0].residual - dropped) <= 1e-6 * dropped);
  assert.equal(low.layers[0].originalMacs, C * N);
  assert.equal(low.layers[0].lowRankMacs, K * (C + N));
  assert.deepEqual(layerCost(low.model.getLayer("fc1")), { kind: "dense", params: K * (C + N) + N, macs: K * (C + N) });
  assert.equal(convMacsOf(low.model), convMacsOf(model), "a factored Dense layer is not counted among the convs");

  // The layer computes x·A·B + b with A·B the rank-K reconstruction.
  const loaded = await roundTrip(low.model);
  const [yl, yLoaded] = [low.model, loaded].map((m) => m.predict(x) as tf.Tensor);
  assert.ok(maxRel(yLoaded.dataSync(), yl.dataSync()) < 1e-6, "save → load");

  const { model: deploy, report } = inferenceModelWithReport(low.model);
  assert.deepEqual(report.splitPairs.filter((n) => n.startsWith("fc")), ["fc1"]);
  assert.deepEqual(deploy.layers.filter((l) => l.name.startsWith("fc1")).map((l) => [l.name, l.getClassName()]), [["fc1_first", "Dense"], ["fc1", "Dense"]]);
  assert.ok(!deploy.layers.some((l) => l.getClassName() === LowRankDense.className));
  const yd = deploy.predict(x) as tf.Tensor;
  assert.ok(maxRel(yd.dataSync(), yl.dataSync()) < 1e-4, "deploy form");
  tf.dispose([x, y, ye, yl, yLoaded, yd]);
  for (const m of [model, exact.model, low.model, loaded, deploy]) m.dispose();
});

test("svd takes every Dense and 1×1 conv by default; tai refuses a named Dense layer and points to svd", () => {
  const model = net();
  const chosen = decomposeModelWithReport(model, { method: "svd", rank: 4 });
  assert.deepEqual(chosen.layers.map((l) => l.name), ["conv4", "fc1", "logits"]);
  assert.throws(() => decomposeModel(model, { ranks: { fc1: 4 } }), /Cannot decompose layer 'fc1': it is a Dense layer, which the tai method does not factor \(the svd method does\)/);
  assert.throws(() => decomposeModel(model, { method: "svd", ranks: { logits: 11 } }), /Rank for layer 'logits' \(Dense layer \d+→10, kernel matrix \d+×10\) must be an integer in 1\.\.10, got 11/);
  assert.throws(() => decomposeModel(model, { method: "svd", speedup: 100, layers: ["logits"] }), /No rank reaches a 100× speedup for the Dense layer \d+→10 \(1 position\(s\)\)/);
  assert.throws(() => decomposeModel(model, { method: "svd", ranks: { fc1: 4 }, bn: "after" }), /LowRankDense layers have no batch norm/);
  chosen.model.dispose();
  model.dispose();
});

test("LowRankDense acts on the last axis of a 3-D input, as tf.layers.dense does", () => {
  const input = tf.input({ shape: [5, 6] });
  const dense = tf.layers.dense({ units: 4, activation: "relu", name: "proj" });
  const model = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
  const exact = decomposeModel(model, { method: "svd", ranks: { proj: 4 } });
  const x = tf.randomNormal([2, 5, 6], 0, 1, "float32", 8);
  const [y, ye] = [model, exact].map((m) => m.predict(x) as tf.Tensor);
  assert.deepEqual(ye.shape, [2, 5, 4]);
  assert.ok(maxRel(ye.dataSync(), y.dataSync()) < 1e-4);
  assert.equal(layerCost(model.getLayer("proj")).macs, 5 * 6 * 4);
  tf.dispose([x, y, ye]);
  model.dispose();
  exact.dispose();
});

test("measureLayerSpeedup times a Dense layer against its LowRankDense, without leaking tensors", async () => {
  const model = net();
  const before = tf.memory().numTensors;
  const r = await measureLayerSpeedup(model.getLayer("fc1"), 4, { batchSize: 8, timing: { warmup: 1, runs: 3 }, method: pointwiseSvd });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(r.originalMs > 0 && r.lowRankMs > 0);
  const [C, N] = model.getLayer("fc1").getWeights()[0].shape;
  assert.equal(r.theoreticalSpeedup, (C * N) / (4 * (C + N)));
  model.dispose();
});
