import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeKernel, reconstructKernel } from "../../src/lowrank/decompose";
import { LowRankConv2D, lowRankConv2D, setLowRankWeights, } from "../../src/lowrank/lowrank-conv2d";
import type { BnPlacement } from "../../src/lowrank/plan";
import { randomKernel } from "./fixtures";
import { roundTrip } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** max |a − b| / max |a|. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(a)).dataSync()[0], 1e-30));
}

/** A one-layer model holding `layer` on input [h, w, c]. */
function wrap(layer: tf.layers.Layer, shape: number[]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

const cases = [] as { d: number; padding: "same" | "valid"; stride: number }[];
for (const d of [3, 5]) for (const padding of ["same", "valid"] as const) for (const stride of [1, 2]) cases.push({ d, padding, stride });

for (const { d, padding, stride } of cases) {
  test(`full rank equals Conv2D: ${d}×${d}, ${padding}, stride ${stride}, bias + relu`, () => {
    const C = 3;
    const N = 4;
    const w = randomKernel([d, d, C, N], 10 * d + stride);
    const bias = Float32Array.from({ length: N }, (_, i) => 0.1 * (i - 1.5));
    const conv = tf.layers.conv2d({ filters: N, kernelSize: d, strides: stride, padding, activation: "relu" });
    const dense = wrap(conv, [11, 10, C]);
    conv.setWeights([tf.tensor(w.data, w.shape), tf.tensor1d(bias)]);
    const rank = Math.min(C * d, N * d);
    const layer = lowRankConv2D({ filters: N, kernelSize: d, rank, strides: stride, padding, activation: "relu" });
    const low = wrap(layer, [11, 10, C]);
    setLowRankWeights(layer, decomposeKernel(w, rank), bias);
    const x = tf.randomNormal([2, 11, 10, C], 0, 1, "float32", 7);
    const y1 = dense.predict(x) as tf.Tensor;
    const y2 = low.predict(x) as tf.Tensor;
    assert.deepEqual(y2.shape, y1.shape);
    assert.deepEqual(low.outputs[0].shape, dense.outputs[0].shape, "computeOutputShape agrees with Conv2D");
    assert.ok(relDiff(y1, y2) <= 1e-4, `relative difference ${relDiff(y1, y2)}`);
    tf.dispose([x, y1, y2]);
    dense.dispose();
    low.dispose();
  });
}

const partial: { kernel: [number, number]; strides: [number, number]; padding: "same" | "valid"; input: [number, number] }[] = [
  { kernel: [3, 5], strides: [2, 1], padding: "same", input: [9, 8] },
  { kernel: [2, 4], strides: [2, 2], padding: "same", input: [7, 10] },
  { kernel: [4, 3], strides: [1, 3], padding: "valid", input: [9, 11] },
];
for (const { kernel, strides, padding, input } of partial) {
  test(`below full rank the pair computes exactly the rank-K kernel: ${kernel.join("×")}, strides [${strides}], '${padding}'`, () => {
    const w = randomKernel([kernel[0], kernel[1], 4, 6], 99);
    const dec = decomposeKernel(w, 3);
    const approx = reconstructKernel(dec.vertical, dec.horizontal);
    const layer = new LowRankConv2D({ filters: 6, kernelSize: kernel, rank: 3, strides, padding, useBias: false });
    const model = wrap(layer, [...input, 4]);
    setLowRankWeights(layer, dec);
    tf.tidy(() => {
      const x = tf.randomNormal([3, ...input, 4], 0, 1, "float32", 3) as tf.Tensor4D;
      const expected = tf.conv2d(x, tf.tensor4d(Float32Array.from(approx.data), approx.shape), strides, padding);
      const got = model.predict(x) as tf.Tensor;
      assert.deepEqual(got.shape, expected.shape);
      assert.ok(relDiff(expected, got) <= 1e-4, `relative difference ${relDiff(expected, got)}`);
    });
    model.dispose();
  });
}

for (const bn of ["between", "after"] as BnPlacement[]) {
  test(`bn '${bn}': identity at inference after setLowRankWeights; training uses batch stats and updates moving averages`, () => {
    const w = randomKernel([3, 3, 3, 5], 4);
    const dec = decomposeKernel(w, 4);
    const plain = new LowRankConv2D({ filters: 5, kernelSize: 3, rank: 4, padding: "same" });
    const withBn = new LowRankConv2D({ filters: 5, kernelSize: 3, rank: 4, padding: "same", bn });
    const m1 = wrap(plain, [6, 6, 3]);
    const m2 = wrap(withBn, [6, 6, 3]);
    const bias = [0.5, -0.2, 0, 0.1, 0.3];
    setLowRankWeights(plain, dec, bias);
    setLowRankWeights(withBn, dec, bias);
    const names = withBn.weights.map((v) => v.originalName.split("/").pop());
    const moving = ["bn_moving_mean", "bn_moving_variance"];
    assert.deepEqual(
      names,
      bn === "between"
        ? ["vertical_kernel", "bn_gamma", "bn_beta", "horizontal_kernel", "bias", ...moving]
        : ["vertical_kernel", "horizontal_kernel", "bias", "bn_gamma", "bn_beta", ...moving],
    );
    const x = tf.randomNormal([4, 6, 6, 3], 0, 1, "float32", 5);
    tf.tidy(() => assert.ok(relDiff(m1.predict(x) as tf.Tensor, m2.predict(x) as tf.Tensor) <= 1e-5));

    // Training mode: statistics of the pre-BN activations of this batch.
    const channels = bn === "between" ? 4 : 5;
    const pre = tf.tidy(() => {
      if (bn === "after") return m1.predict(x) as tf.Tensor4D;
      return tf.conv2d(x as tf.Tensor4D, tf.tensor4d(Float32Array.from(dec.vertical.data), dec.vertical.shape), 1, "same");
    });
    const { mean, variance } = tf.moments(pre, [0, 1, 2]);
    const out = withBn.apply(x, { training: true }) as tf.Tensor;
    if (bn === "after") {
      const m = tf.moments(out, [0, 1, 2]);
      assert.ok(tf.max(tf.abs(m.mean)).dataSync()[0] < 1e-4, "batch-normalised output has zero mean");
      const v = m.variance.dataSync();
      const raw = variance.dataSync();
      v.forEach((vi, i) => assert.ok(Math.abs(vi - raw[i] / (raw[i] + 1e-3)) < 1e-3, `channel ${i} variance ${vi}`));
      tf.dispose([m.mean, m.variance]);
    }
    const weights = withBn.getWeights();
    const movingMean = weights[names.indexOf("bn_moving_mean")].dataSync();
    const movingVar = weights[names.indexOf("bn_moving_variance")].dataSync();
    assert.equal(movingMean.length, channels);
    mean.dataSync().forEach((mu, i) => assert.ok(Math.abs(movingMean[i] - 0.01 * mu) < 1e-5, `moving mean ${i}`));
    variance.dataSync().forEach((v, i) => assert.ok(Math.abs(movingVar[i] - (0.99 * (1 - 1e-3) + 0.01 * v)) < 1e-5, `moving variance ${i}`));
    tf.dispose([x, pre, mean, variance, out]);
    m1.dispose();
    m2.dispose();
  });
}

test("trains: gradients reach both kernels (bn 'between')", async () => {
  const model = tf.sequential({
    layers: [
      lowRankConv2D({ filters: 4, kernelSize: 3, rank: 2, padding: "same", activation: "relu", bn: "between", inputShape: [6, 6, 2] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  const before = model.layers[0].getWeights().map((t) => Array.from(t.dataSync()));
  const xs = tf.randomNormal([8, 6, 6, 2], 0, 1, "float32", 1);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], "int32"), 2);
  const h = await model.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
  assert.ok(h.history.loss.every((l) => Number.isFinite(l as number)));
  const after = model.layers[0].getWeights().map((t) => Array.from(t.dataSync()));
  const names = model.layers[0].weights.map((v) => v.originalName.split("/").pop());
  for (const name of ["vertical_kernel", "horizontal_kernel", "bn_gamma", "bn_moving_mean"]) {
    const i = names.indexOf(name);
    assert.notDeepEqual(after[i], before[i], `${name} changed`);
  }
  tf.dispose([xs, ys]);
  model.dispose();
});

for (const bn of ["none", "after"] as BnPlacement[]) {
  test(`save and load round trip (bn '${bn}') predicts identically`, async () => {
    const model = tf.sequential({
      layers: [
        lowRankConv2D({ filters: 6, kernelSize: [3, 5], rank: 3, strides: [2, 1], padding: "same", activation: "elu", bn, kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }), inputShape: [8, 7, 3], name: "lr" }),
        tf.layers.globalAveragePooling2d({}),
      ],
    });
    // Non-trivial BN statistics so the check is meaningful.
    model.layers[0].setWeights(model.layers[0].getWeights().map((t, i) => tf.tidy(() => tf.add(t, tf.mul(tf.randomUniform(t.shape, 0.1, 0.5, "float32", i), 1)))));
    const loaded = await roundTrip(model);
    const layer = loaded.getLayer("lr");
    assert.ok(layer instanceof LowRankConv2D);
    // Same config up to undefined ↔ null (an unset initializer seed is saved as null).
    const plainConfig = (c: object) => JSON.parse(JSON.stringify(c, (_, v) => (v === null ? undefined : v)));
    assert.deepEqual(plainConfig(layer.getConfig()), plainConfig(model.layers[0].getConfig()));
    const cfg = layer.getConfig();
    for (const key of ["filters", "kernelSize", "rank", "strides", "padding", "bn"]) assert.ok(key in cfg, `config has ${key}`);
    const x = tf.randomNormal([2, 8, 7, 3], 0, 1, "float32", 9);
    tf.tidy(() => {
      const a = (model.predict(x) as tf.Tensor).dataSync();
      const b = (loaded.predict(x) as tf.Tensor).dataSync();
      assert.deepEqual(Array.from(b), Array.from(a));
    });
    x.dispose();
    model.dispose();
    loaded.dispose();
  });
}

test("bad configuration gives clear errors", () => {
  assert.throws(() => lowRankConv2D({ filters: 0, kernelSize: 3, rank: 2 }), /filters must be a positive integer, got 0/);
  assert.throws(() => lowRankConv2D({ filters: 4, kernelSize: 3, rank: 0 }), /rank must be a positive integer, got 0/);
  assert.throws(() => lowRankConv2D({ filters: 4, kernelSize: [3] as unknown as number, rank: 2 }), /kernelSize must be a positive integer or \[h, w\]/);
  assert.throws(() => lowRankConv2D({ filters: 4, kernelSize: 3, rank: 2, padding: "causal" as "same" }), /padding must be 'same' or 'valid', got 'causal'/);
  assert.throws(() => lowRankConv2D({ filters: 4, kernelSize: 3, rank: 2, bn: "before" as BnPlacement }), /bn must be one of none, between, after, got 'before'/);
  assert.throws(() => lowRankConv2D({ filters: 4, kernelSize: 3, rank: 2, activation: "bogus" }), /unknown activation 'bogus'/);
  assert.throws(() => lowRankConv2D({ filters: 4, kernelSize: 3, rank: 2, kernelInitializer: "noSuchInit" }), /Unknown initializer 'NoSuchInit'/);
  const unbuilt = lowRankConv2D({ filters: 4, kernelSize: 3, rank: 2 });
  const dec = decomposeKernel(randomKernel([3, 3, 2, 4], 1), 2);
  assert.throws(() => setLowRankWeights(unbuilt, dec), /is not built yet/);
  const layer = lowRankConv2D({ filters: 4, kernelSize: 3, rank: 3, name: "three" });
  const m = wrap(layer, [5, 5, 2]);
  assert.throws(() => setLowRankWeights(layer, dec), /'three' has vertical \[3, 1, 2, 3\] .* decomposition has \[3, 1, 2, 2\]/);
  assert.throws(() => setLowRankWeights(layer, decomposeKernel(randomKernel([3, 3, 2, 4], 1), 3), [1, 2]), /4 filters but the bias has 2 values/);
  m.dispose();
});

test("no tensors leak: 100 weight settings and predictions", () => {
  const layer = lowRankConv2D({ filters: 4, kernelSize: 3, rank: 3, padding: "same", bn: "after" });
  const m = wrap(layer, [5, 5, 2]);
  const dec = decomposeKernel(randomKernel([3, 3, 2, 4], 1), 3);
  const x = tf.ones([1, 5, 5, 2]);
  const start = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) {
    setLowRankWeights(layer, dec, [1, 2, 3, 4]);
    tf.dispose(m.predict(x));
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
  }
  assert.equal(tf.memory().numTensors, start);
  x.dispose();
  m.dispose();
});
