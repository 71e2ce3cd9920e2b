import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeModel, inferenceModelWithReport, lowRankConv2D, lowRankConvs, type BnPlacement } from "../../src/lowrank";
import { vggSmall } from "../../src/models";
import { randomizeBatchNorms } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

function assertSamePredictions(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): void {
  const [pa, pb] = [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor];
  const [va, vb] = [pa.dataSync(), pb.dataSync()];
  const scale = Math.max(...Array.from(va, Math.abs));
  let worst = 0;
  for (let i = 0; i < va.length; i++) worst = Math.max(worst, Math.abs(va[i] - vb[i]) / scale);
  tf.dispose([pa, pb]);
  assert.ok(worst <= 1e-4, `predictions differ by ${worst} (relative to the largest output)`);
}

const STANDARD = new Set(["InputLayer", "Conv2D", "MaxPooling2D", "GlobalAveragePooling2D", "Dropout", "Dense", "LeakyReLU", "ReLU", "Flatten", "Add", "BatchNormalization", "Activation"]);

function classes(model: tf.LayersModel): string[] {
  return model.layers.map((l) => l.getClassName());
}

test("vggSmall: every BN folded into its conv and every ReLU fused; predictions unchanged; no tensors left", () => {
  const model = vggSmall({ widths: [4, 8, 8], seed: 3 });
  randomizeBatchNorms(model, 11);
  const x = tf.randomNormal([5, 32, 32, 3], 0, 1, "float32", 7);
  const before = tf.memory().numTensors;
  const { model: deploy, report } = inferenceModelWithReport(model);
  assert.equal(report.foldedBatchNorms.length, 6);
  assert.equal(report.fusedActivations.length, 6);
  assert.ok(!classes(deploy).includes("BatchNormalization"), classes(deploy).join(", "));
  for (const l of deploy.layers.filter((l) => l.getClassName() === "Conv2D")) assert.equal((l.getConfig() as { activation: string }).activation, "relu");
  assertSamePredictions(model, deploy, x);
  deploy.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

for (const bn of ["none", "between", "after"] as BnPlacement[]) {
  test(`low-rank vggSmall (pairs' BN ${bn}): pairs become two standard Conv2D; predictions unchanged`, () => {
    const model = vggSmall({ widths: [4, 8, 8], seed: 5, lowRank: lowRankConvs({ speedup: 2, bn }) });
    randomizeBatchNorms(model, 13);
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, "float32", 9);
    const { model: deploy, report } = inferenceModelWithReport(model);
    const pairs = model.layers.filter((l) => l.getClassName() === "LowRankConv2D").length;
    assert.ok(pairs > 0);
    assert.equal(report.splitPairs.length, pairs);
    // "between": each pair's own BN and the architecture's BN after it; otherwise one BN per conv.
    assert.equal(report.foldedBatchNorms.length, bn === "between" ? 12 : 6);
    for (const cls of classes(deploy)) assert.ok(STANDARD.has(cls) && cls !== "BatchNormalization", `left a ${cls}`);
    assertSamePredictions(model, deploy, x);
    tf.dispose([x]);
    deploy.dispose();
    model.dispose();
  });
}

test("a decomposed model (strided, valid pairs) in deploy form predicts what it predicts", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: "c1", filters: 6, kernelSize: 3, strides: 2, padding: "valid", inputShape: [11, 11, 3], useBias: false }),
      tf.layers.batchNormalization({ name: "c1_bn" }),
      tf.layers.activation({ activation: "relu", name: "c1_relu" }),
      tf.layers.conv2d({ name: "c2", filters: 5, kernelSize: [3, 5], padding: "same", activation: "relu" }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({ name: "out", units: 3 }),
    ],
  });
  randomizeBatchNorms(model, 17);
  const decomposed = decomposeModel(model, { rank: 2 });
  const x = tf.randomNormal([4, 11, 11, 3], 0, 1, "float32", 3);
  const { model: deploy, report } = inferenceModelWithReport(decomposed);
  assert.deepEqual(report.splitPairs, ["c1", "c2"]);
  assert.deepEqual(deploy.layers.map((l) => l.name), ["c1_vertical", "c1", "c2_vertical", "c2", "flat", "out"]);
  assertSamePredictions(decomposed, deploy, x);
  tf.dispose([x]);
  for (const m of [deploy, decomposed, model]) m.dispose();
});

test("functional graphs: a BN is folded only where the conv feeds it alone; outputs and branches are kept", () => {
  const input = tf.input({ shape: [8, 8, 3], name: "img" });
  const stem = tf.layers.conv2d({ name: "stem", filters: 4, kernelSize: 3, padding: "same" }).apply(input) as tf.SymbolicTensor;
  const stemBn = tf.layers.batchNormalization({ name: "stem_bn" }).apply(stem) as tf.SymbolicTensor;
  const stemRelu = tf.layers.reLU({ name: "stem_relu" }).apply(stemBn) as tf.SymbolicTensor;
  // Two readers of one conv: nothing may be folded into "shared".
  const shared = tf.layers.conv2d({ name: "shared", filters: 4, kernelSize: 3, padding: "same" }).apply(stemRelu) as tf.SymbolicTensor;
  const sharedBn = tf.layers.batchNormalization({ name: "shared_bn" }).apply(shared) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: "sum" }).apply([shared, sharedBn]) as tf.SymbolicTensor;
  const pair = lowRankConv2D({ name: "pair", filters: 4, kernelSize: 3, rank: 2, padding: "same", bn: "between" }).apply(sum) as tf.SymbolicTensor;
  const pairBn = tf.layers.batchNormalization({ name: "pair_bn" }).apply(pair) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [pairBn, stemRelu] });
  randomizeBatchNorms(model, 19);
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 5);
  const { model: deploy, report } = inferenceModelWithReport(model);
  // stem_relu is a model output and read by "shared": fused all the same, its readers rewired to stem.
  assert.deepEqual(report.fusedActivations, ["stem_relu → stem"]);
  assert.ok(report.foldedBatchNorms.includes("stem_bn → stem"));
  assert.ok(report.foldedBatchNorms.includes("pair_bn → pair"));
  assert.ok(deploy.layers.some((l) => l.name === "shared_bn"), "shared_bn must stay");
  const [a, b] = [model.predict(x) as tf.Tensor[], deploy.predict(x) as tf.Tensor[]];
  for (let i = 0; i < 2; i++) {
    const diff = a[i].sub(b[i]).abs().max().dataSync()[0];
    assert.ok(diff <= 1e-4 * a[i].abs().max().dataSync()[0], `output ${i} differs by ${diff}`);
  }
  tf.dispose([x, ...a, ...b]);
  deploy.dispose();
  model.dispose();
});
