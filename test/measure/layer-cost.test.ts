import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { layerCost } from "../../src/measure/layer-cost";
import { convSpecOfLayer } from "../../src/lowrank";
import { LowRankConv2D } from "../../src/lowrank/lowrank-conv2d";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** The single layer of a one-layer model built on `inputShape`. */
function built(inputShape: number[], layer: tf.layers.Layer): tf.layers.Layer {
  const input = tf.input({ shape: inputShape });
  layer.apply(input);
  return layer;
}

test("Conv2D 32×32×64→64 3×3 same stride 1: 32·32·64·64·9 MACs", () => {
  const conv = built([32, 32, 64], tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same" }));
  const c = layerCost(conv);
  assert.equal(c.kind, "conv");
  assert.equal(c.macs, 32 * 32 * 64 * 64 * 9);
  assert.equal(c.params, 3 * 3 * 64 * 64 + 64);
  assert.deepEqual(convSpecOfLayer(conv), {
    inH: 32, inW: 32, inC: 64, outC: 64, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same", bias: true,
  });
});

test("Conv2D 16×16×32→64 3×3 same stride 2: output 8×8", () => {
  const conv = built([16, 16, 32], tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: "same", useBias: false }));
  const c = layerCost(conv);
  assert.equal(c.macs, 8 * 8 * 9 * 32 * 64);
  assert.equal(c.params, 9 * 32 * 64);
});

test("Conv2D 10×12×4→6 5×3 valid, strides [1,2]", () => {
  const conv = built([10, 12, 4], tf.layers.conv2d({ filters: 6, kernelSize: [5, 3], strides: [1, 2], padding: "valid" }));
  // out H = 10−5+1 = 6, out W = ⌈(12−3+1)/2⌉ = 5
  assert.equal(layerCost(conv).macs, 6 * 5 * 5 * 3 * 4 * 6);
});

test("LowRankConv2D 32×32×64→64 3×3 same at K=16: vertical 32·32·3·64·16 + horizontal 32·32·3·16·64", () => {
  const lr = built([32, 32, 64], new LowRankConv2D({ filters: 64, kernelSize: 3, rank: 16, padding: "same" }));
  const c = layerCost(lr);
  assert.equal(c.kind, "lowrank");
  assert.equal(c.macs, 32 * 32 * 3 * 64 * 16 + 32 * 32 * 3 * 16 * 64);
  assert.equal(c.macs, (32 * 32 * 64 * 64 * 9) / 6, "6× fewer than the dense conv");
  assert.equal(c.params, 3 * 64 * 16 + 3 * 16 * 64 + 64);
  // Batch norm between V and H adds 4·K weights but no multiply-adds here.
  const bn = built([32, 32, 64], new LowRankConv2D({ filters: 64, kernelSize: 3, rank: 16, padding: "same", bn: "between" }));
  assert.deepEqual(layerCost(bn), { kind: "lowrank", params: c.params + 4 * 16, macs: c.macs });
});

test("LowRankConv2D stride 2, K=8: the vertical conv runs at the full input width", () => {
  const lr = built([16, 16, 32], new LowRankConv2D({ filters: 64, kernelSize: 3, rank: 8, strides: 2, padding: "same", useBias: false }));
  assert.equal(layerCost(lr).macs, 8 * 16 * 3 * 32 * 8 + 8 * 8 * 3 * 8 * 64);
  assert.equal(layerCost(lr).params, 3 * 32 * 8 + 3 * 8 * 64);
});

test("Dense: in·units MACs per image, also on a 3-D input", () => {
  assert.deepEqual(layerCost(built([256], tf.layers.dense({ units: 10 }))), { kind: "dense", params: 2570, macs: 2560 });
  assert.equal(layerCost(built([7, 20], tf.layers.dense({ units: 5 }))).macs, 7 * 20 * 5);
});

test("uncosted layers count params only", () => {
  const bn = built([8, 8, 16], tf.layers.batchNormalization());
  assert.deepEqual(layerCost(bn), { kind: "other", params: 4 * 16, macs: 0 });
  assert.deepEqual(layerCost(built([8, 8, 16], tf.layers.maxPooling2d({ poolSize: 2 }))), { kind: "other", params: 0, macs: 0 });
});

test("unsupported or unbuilt convs give clear errors", () => {
  assert.throws(() => layerCost(tf.layers.conv2d({ filters: 4, kernelSize: 3 })), /not built/);
  const dilated = built([16, 16, 3], tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2 }));
  assert.throws(() => layerCost(dilated), /dilated/);
});
