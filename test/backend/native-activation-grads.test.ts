import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** Inputs with exact zeros and both signs, and an upstream gradient. */
function inputs(): { x: tf.Tensor4D; dy: tf.Tensor4D } {
  return tf.tidy(() => {
    const x = tf.mul(tf.round(tf.randomNormal([4, 9, 7, 5], 0, 2, "float32", 31)), 0.5) as tf.Tensor4D;
    return { x, dy: tf.randomNormal([4, 9, 7, 5], 0, 1, "float32", 32) as tf.Tensor4D };
  });
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test("Relu's gradient is dy where x > 0, else 0 (zeros included)", () => {
  const before = tf.memory().numTensors;
  const { x, dy } = inputs();
  tf.tidy(() => {
    assert.ok(tf.sum(tf.equal(x, 0)).dataSync()[0] > 0, "the inputs contain exact zeros");
    const got = tf.grad((a: tf.Tensor) => tf.relu(a))(x, dy);
    assert.equal(maxAbsDiff(got, tf.where(tf.greater(x, 0), dy, tf.zerosLike(dy))), 0);
  });
  tf.dispose([x, dy]);
  assert.equal(tf.memory().numTensors, before);
});

for (const alpha of [0, 0.2]) {
  test(`LeakyRelu(${alpha})'s gradient is dy where x > 0, else ${alpha}·dy; a layer trains through it`, () => {
    const before = tf.memory().numTensors;
    const { x, dy } = inputs();
    tf.tidy(() => {
      const got = tf.grad((a: tf.Tensor) => tf.leakyRelu(a, alpha))(x, dy);
      assert.ok(maxAbsDiff(got, tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha))) <= 1e-7);
      const layer = tf.layers.leakyReLU({ alpha });
      const viaLayer = tf.grad((a: tf.Tensor) => layer.apply(a) as tf.Tensor)(x, dy);
      assert.ok(maxAbsDiff(got, viaLayer) <= 1e-7);
    });
    tf.dispose([x, dy]);
    assert.equal(tf.memory().numTensors, before);
  });
}
