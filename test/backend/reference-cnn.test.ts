import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/backend/wasm-kernels";
import { referenceCnn } from "../../src/models/reference-cnn";

test("referenceCnn has the named conv-BN-ReLU stack, three pools and a softmax head", async () => {
  await tf.setBackend("wasm");
  const model = referenceCnn();
  const names = model.layers.map((l) => l.name);
  for (const n of ["conv1", "bn1", "relu1", "conv5", "bn5", "relu5", "pool1", "pool2", "pool3", "flatten", "dense"]) {
    assert.ok(names.includes(n), `missing layer ${n} in ${names.join(",")}`);
  }
  const convs = model.layers.filter((l) => l.getClassName() === "Conv2D");
  assert.deepEqual(convs.map((l) => l.name), ["conv1", "conv2", "conv3", "conv4", "conv5"]);
  assert.deepEqual(convs.map((l) => (l.getConfig() as { filters: number }).filters), [32, 32, 64, 64, 128]);
  // conv → bn → relu, in that order, for every conv.
  for (let n = 1; n <= 5; n++) assert.equal(names.indexOf(`bn${n}`), names.indexOf(`conv${n}`) + 1);
  for (let n = 1; n <= 5; n++) assert.equal(names.indexOf(`relu${n}`), names.indexOf(`bn${n}`) + 1);
  assert.deepEqual(model.inputs[0].shape, [null, 32, 32, 3]);
  assert.deepEqual(model.getLayer("pool3").outputShape, [null, 4, 4, 128]);
  const probs = tf.tidy(() => model.predict(tf.randomNormal([2, 32, 32, 3])) as tf.Tensor);
  assert.deepEqual(probs.shape, [2, 10]);
  tf.sum(probs, 1).dataSync().forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5, `row sums to ${s}`));
  tf.dispose(probs);
  model.dispose();
});

test("referenceCnn trains on wasm: loss falls on a tiny fixed batch", async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
  const model = referenceCnn();
  model.compile({ optimizer: tf.train.adam(3e-3), loss: "categoricalCrossentropy" });
  const xs = tf.randomNormal([8, 32, 32, 3], 0, 1, "float32", 1);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32"), 10);
  const history = await model.fit(xs, ys, { epochs: 6, batchSize: 8, verbose: 0, shuffle: false });
  const losses = history.history.loss as number[];
  assert.ok(losses.every(Number.isFinite), `loss ${losses}`);
  assert.ok(losses[losses.length - 1] < losses[0], `loss did not fall: ${losses.map((l) => l.toFixed(3)).join(" → ")}`);
  tf.dispose([xs, ys]);
  model.dispose();
});
