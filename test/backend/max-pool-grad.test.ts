import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { halvingMaxPoolGrad } from "../../src/backend/max-pool-grad";

let native = false;
before(async () => {
  native = (await initBackend(undefined, { quiet: true })).name === "tensorflow";
});

/** TensorFlow's own MaxPoolGrad kernel, which TF.js's gradient runs on the tensorflow backend. */
function tensorflowMaxPoolGrad(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number, padding: "VALID" | "SAME"): tf.Tensor {
  const backend = tf.backend() as unknown as { binding: Record<string, number>; executeSingleOutput(n: string, a: unknown[], i: tf.Tensor[]): tf.Tensor };
  const b = backend.binding;
  return backend.executeSingleOutput(
    "MaxPoolGrad",
    [
      { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      { name: "ksize", type: b.TF_ATTR_INT, value: [1, k, k, 1] },
      { name: "strides", type: b.TF_ATTR_INT, value: [1, s, s, 1] },
      { name: "padding", type: b.TF_ATTR_STRING, value: padding },
      { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
    ],
    [x, y, dy],
  );
}

const cases = [
  { what: "2×2/2 'valid', many ties (integer inputs)", shape: [6, 8, 6, 5], k: 2, s: 2, pad: "valid" as const, ties: true },
  { what: "2×2/2 'same', even sizes, continuous inputs", shape: [4, 10, 4, 7], k: 2, s: 2, pad: "same" as const, ties: false },
  { what: "3×3/2 'same' (TF.js's own gradient)", shape: [3, 9, 7, 4], k: 3, s: 2, pad: "same" as const, ties: true },
  { what: "2×2/2 'valid' on odd sizes (TF.js's own gradient)", shape: [3, 7, 9, 4], k: 2, s: 2, pad: "valid" as const, ties: true },
];

for (const c of cases) {
  test(`max-pool gradient equals TensorFlow's MaxPoolGrad: ${c.what}`, (t) => {
    if (!native) return t.skip("the replaced gradient exists on the tensorflow backend only");
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const raw = tf.randomUniform(c.shape, -2, 3, "float32", 41);
      const x = (c.ties ? tf.floor(raw) : raw) as tf.Tensor4D;
      const y = tf.maxPool(x, c.k, c.s, c.pad);
      const dy = tf.randomNormal(y.shape, 0, 1, "float32", 42) as tf.Tensor4D;
      const got = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad))(x, dy);
      const want = tensorflowMaxPoolGrad(x, y, dy, c.k, c.s, c.pad === "same" ? "SAME" : "VALID");
      assert.equal(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0], 0);
      if (c.k === 2 && c.shape[1] % 2 === 0) assert.equal(tf.max(tf.abs(tf.sub(halvingMaxPoolGrad(dy, x, y), want))).dataSync()[0], 0);
    });
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  });
}

test("a max-pooling layer trains through the gradient: each window's dy lands on one input", (t) => {
  if (!native) return t.skip("the replaced gradient exists on the tensorflow backend only");
  tf.tidy(() => {
    const x = tf.zeros([2, 4, 4, 3]); // all ties: the first input of every window takes dy
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.layers.maxPooling2d({ poolSize: 2 }).apply(a) as tf.Tensor))(x);
    assert.equal(tf.sum(g).dataSync()[0], 2 * 2 * 2 * 3);
    assert.deepEqual(Array.from(tf.slice(g, [0, 0, 0, 0], [1, 2, 2, 1]).dataSync()), [1, 0, 0, 0]);
  });
});
