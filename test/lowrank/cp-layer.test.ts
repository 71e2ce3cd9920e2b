import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { CpConv2D, decomposeModelWithReport, inferenceModelWithReport, strideOffset } from "../../src/lowrank";
import { cpReconstruct } from "../../src/lowrank/methods/cp";
import { convMacsOf } from "../../src/measure/layer-cost";
import { resnet } from "../../src/models";
import { loadModel, saveModel } from "../../src/train/checkpoint";
import { maxRelativeDifference as maxRel, tempDir } from "../train/fixtures";
import { randomizeBatchNorms } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

const host = (t: tf.Tensor) => ({ data: t.dataSync() as Float32Array, shape: t.shape as [number, number, number, number] });

test("strideOffset: where a stride-1 output lines up with the strided one (TensorFlow's 'same' padding)", () => {
  assert.equal(strideOffset(32, 3, 2, "same"), 1);
  assert.equal(strideOffset(9, 3, 2, "same"), 0);
  assert.equal(strideOffset(9, 3, 2, "valid"), 0);
  assert.equal(strideOffset(9, 3, 1, "same"), 0);
});

test("CpConv2D computes the conv of its reconstructed kernel, for strides 1 and 2, 'same' and 'valid', even and odd sizes; no tensors left", () => {
  for (const [size, strides, padding] of [[9, 1, "same"], [9, 2, "same"], [8, 2, "same"], [9, 2, "valid"], [8, 1, "valid"]] as const) {
    const input = tf.input({ shape: [size, size, 5] });
    const layer = new CpConv2D({ filters: 4, kernelSize: 3, rank: 6, strides, padding, name: "cp" });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    tf.tidy(() => layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, "float32", i + 1))));
    const [first, vertical, horizontal, last, bias] = layer.getWeights();
    const kernel = cpReconstruct({ first: host(first), vertical: host(vertical), horizontal: host(horizontal), last: host(last) });
    const x = tf.randomNormal([2, size, size, 5], 0, 1, "float32", 9);
    const before = tf.memory().numTensors;
    const got = model.predict(x) as tf.Tensor;
    assert.equal(tf.memory().numTensors, before + 1);
    const want = tf.tidy(() => tf.add(tf.conv2d(x as tf.Tensor4D, tf.tensor(Float32Array.from(kernel.data), kernel.shape) as tf.Tensor4D, strides, padding), bias));
    assert.deepEqual(got.shape, want.shape);
    assert.ok(maxRel(got.dataSync(), want.dataSync()) < 1e-4, `${size} stride ${strides} ${padding}: ${maxRel(got.dataSync(), want.dataSync())}`);
    tf.dispose([x, want, got]);
    model.dispose();
  }
});

test("cp in decomposeModel on a ResNet (stride-2 convs): fewer MACs at 2×, the ALS report carried, deploy form and save → load predict alike", async () => {
  const model = resnet({ depth: 8, widths: [4, 8, 8], seed: 2 });
  randomizeBatchNorms(model, 3);
  const { model: low, layers } = decomposeModelWithReport(model, { method: "cp", speedup: 2 });
  assert.ok(layers.length > 0 && layers.every((l) => l.theoreticalSpeedup >= 2 && l.fit !== undefined && l.fit.iterations >= 1));
  assert.ok(low.layers.some((l) => l instanceof CpConv2D && l.strides[0] === 2), "a strided conv became a CP layer");
  assert.ok(convMacsOf(low) < convMacsOf(model));
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 4);
  const yl = low.predict(x) as tf.Tensor;
  const { model: deploy, report } = inferenceModelWithReport(low);
  assert.equal(report.splitPairs.length, layers.length);
  assert.ok(!deploy.layers.some((l) => ["CpConv2D", "BatchNormalization"].includes(l.getClassName())));
  assert.ok(deploy.layers.some((l) => l.getClassName() === "DepthwiseConv2D"));
  const yd = deploy.predict(x) as tf.Tensor;
  assert.ok(maxRel(yd.dataSync(), yl.dataSync()) < 1e-4, `deploy form: ${maxRel(yd.dataSync(), yl.dataSync())}`);
  // Trainable: one SGD step moves every CP factor and leaves them finite.
  const cpLayer = low.layers.find((l): l is CpConv2D => l instanceof CpConv2D)!;
  const before = cpLayer.getWeights().map((w) => Array.from(w.dataSync()));
  const opt = tf.train.sgd(0.1);
  tf.tidy(() => {
    opt.minimize(() => tf.mean(tf.square(low.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, false, low.trainableWeights.map((w) => w.read() as tf.Variable));
  });
  opt.dispose();
  const after = cpLayer.getWeights().map((w) => Array.from(w.dataSync()));
  assert.ok(after.every((w, i) => w.every(Number.isFinite) && w.some((v, j) => v !== before[i][j])), "every factor moved");
  const yl2 = low.predict(x) as tf.Tensor;
  const dir = tempDir("cp-save");
  await saveModel(low, dir);
  const loaded = await loadModel(dir);
  const ys = loaded.predict(x) as tf.Tensor;
  assert.ok(maxRel(ys.dataSync(), yl2.dataSync()) < 1e-6);
  tf.dispose([x, yl, yl2, yd, ys]);
  for (const m of [model, low, deploy, loaded]) m.dispose();
});
