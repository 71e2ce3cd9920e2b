import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeModelWithReport, inferenceModelWithReport, kernelOfLayer, lowRankConvs, Tucker2Conv2D } from "../../src/lowrank";
import { tucker2Decompose, tucker2Reconstruct } from "../../src/lowrank/methods";
import { convMacsOf } from "../../src/measure/layer-cost";
import { resnet, vggSmall } from "../../src/models";
import { loadModel, saveModel } from "../../src/train/checkpoint";
import { maxRelativeDifference as maxRel, tempDir } from "../train/fixtures";
import { randomizeBatchNorms } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

test("Tucker2Conv2D computes the conv of its reconstructed kernel, with strides and both paddings", () => {
  for (const [strides, padding] of [[1, "same"], [2, "same"], [2, "valid"]] as const) {
    const input = tf.input({ shape: [9, 9, 6] });
    const layer = new Tucker2Conv2D({ filters: 5, kernelSize: 3, rank: [3, 4], strides, padding, name: "t" });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    tf.tidy(() => layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, "float32", i + 1))));
    const [first, core, last, bias] = layer.getWeights();
    const kernel = tucker2Reconstruct({
      first: { data: first.dataSync() as Float32Array, shape: first.shape as [number, number, number, number] },
      core: { data: core.dataSync() as Float32Array, shape: core.shape as [number, number, number, number] },
      last: { data: last.dataSync() as Float32Array, shape: last.shape as [number, number, number, number] },
    });
    const x = tf.randomNormal([2, 9, 9, 6], 0, 1, "float32", 9);
    const want = tf.tidy(() => tf.add(tf.conv2d(x as tf.Tensor4D, tf.tensor(Float32Array.from(kernel.data), kernel.shape) as tf.Tensor4D, strides, padding), bias));
    const got = model.predict(x) as tf.Tensor;
    assert.deepEqual(got.shape, want.shape);
    assert.ok(maxRel(got.dataSync(), want.dataSync()) < 1e-4, `strides ${strides} ${padding}: ${maxRel(got.dataSync(), want.dataSync())}`);
    tf.dispose([x, want, got]);
    model.dispose();
  }
});

test("tucker2 in decomposeModel: full ranks predict what the original predicts (vgg-small and a ResNet with stride-2 convs); the deploy form too; save → load keeps predictions; MACs counted", async () => {
  for (const build of [() => vggSmall({ widths: [8, 16, 16], seed: 1 }), () => resnet({ depth: 8, widths: [4, 8, 8], seed: 2 })]) {
    const model = build();
    randomizeBatchNorms(model, 3);
    const convs = model.layers.filter((l) => l.getClassName() === "Conv2D" && kernelOfLayer(l).shape[0] > 1);
    const ranks = Object.fromEntries(convs.map((l) => [l.name, kernelOfLayer(l).shape.slice(2)]));
    const { model: low, layers } = decomposeModelWithReport(model, { method: "tucker2", ranks });
    assert.equal(layers.length, convs.length);
    assert.ok(layers.every((l) => l.relativeError < 1e-6), "full Tucker ranks are exact");
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 4);
    const y = model.predict(x) as tf.Tensor;
    const yl = low.predict(x) as tf.Tensor;
    assert.ok(maxRel(yl.dataSync(), y.dataSync()) < 1e-4, `${model.name}: ${maxRel(yl.dataSync(), y.dataSync())}`);
    const { model: deploy, report } = inferenceModelWithReport(low);
    assert.equal(report.splitPairs.length, convs.length);
    assert.ok(!deploy.layers.some((l) => ["Tucker2Conv2D", "LowRankConv2D", "BatchNormalization"].includes(l.getClassName())), deploy.layers.map((l) => l.getClassName()).join());
    const yd = deploy.predict(x) as tf.Tensor;
    assert.ok(maxRel(yd.dataSync(), y.dataSync()) < 1e-4, `deploy form: ${maxRel(yd.dataSync(), y.dataSync())}`);
    const dir = tempDir("tucker2-save");
    await saveModel(low, dir);
    const loaded = await loadModel(dir);
    const ys = loaded.predict(x) as tf.Tensor;
    assert.ok(maxRel(ys.dataSync(), yl.dataSync()) < 1e-6);
    assert.ok(convMacsOf(low) > convMacsOf(model), "full Tucker ranks cost more than the dense convs");
    tf.dispose([x, y, yl, yd, ys]);
    for (const m of [model, low, deploy, loaded]) m.dispose();
  }
});

test("tucker2 at a 2× speed-up: fewer MACs, ranks from the proportional path; from-scratch twins keep the architecture's BN", () => {
  const model = vggSmall({ widths: [8, 16, 16], seed: 5 });
  const { model: low, layers } = decomposeModelWithReport(model, { method: "tucker2", speedup: 2 });
  assert.ok(layers.length > 0 && layers.every((l) => l.theoreticalSpeedup >= 2 && Array.isArray(l.rank)));
  assert.ok(convMacsOf(low) < convMacsOf(model));
  const w = kernelOfLayer(model.getLayer(layers[1].name));
  const f = tucker2Decompose(w, layers[1].rank as [number, number]);
  assert.ok(Math.abs(f.residual - layers[1].residual) < 1e-6 * layers[1].energy, "decomposeModel's report is the solver's residual");
  assert.throws(() => decomposeModelWithReport(model, { method: "tucker2", speedup: 2, bn: "after" }), /no batch norm of their own.*bn 'none'/);
  assert.throws(() => vggSmall({ widths: [8, 16, 16], lowRank: lowRankConvs({ method: "tucker2", speedup: 2, bn: "after" }) }), /no batch norm of their own/);
  const twin = vggSmall({ widths: [8, 16, 16], lowRank: lowRankConvs({ method: "tucker2", speedup: 2 }) });
  assert.ok(twin.layers.some((l) => l instanceof Tucker2Conv2D));
  assert.equal(twin.layers.filter((l) => l.getClassName() === "BatchNormalization").length, model.layers.filter((l) => l.getClassName() === "BatchNormalization").length, "every BN of the architecture stays");
  for (const m of [model, low, twin]) m.dispose();
});
