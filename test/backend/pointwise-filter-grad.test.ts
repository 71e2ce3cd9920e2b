import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { resnet } from "../../src/models";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** dW[c, n] = Σ x[b, i·sh, j·sw, c] · dy[b, i, j, n], by loops on the host. */
function reference(x: tf.Tensor4D, dy: tf.Tensor4D, sh: number, sw: number): Float64Array {
  const [b, h, w, c] = x.shape;
  const [, oh, ow, n] = dy.shape;
  const xv = x.dataSync();
  const dv = dy.dataSync();
  const out = new Float64Array(c * n);
  for (let p = 0; p < b; p++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ci = 0; ci < c; ci++) {
          const xval = xv[((p * h + i * sh) * w + j * sw) * c + ci];
          for (let ni = 0; ni < n; ni++) out[ci * n + ni] += xval * dv[((p * oh + i) * ow + j) * n + ni];
        }
  return out;
}

const cases = [
  { shape: [2, 8, 8, 3], strides: [2, 2], pad: "same" },
  { shape: [3, 9, 7, 4], strides: [2, 2], pad: "same" },
  { shape: [2, 9, 11, 5], strides: [2, 3], pad: "valid" },
  { shape: [1, 6, 6, 2], strides: [3, 1], pad: "same" },
] as const;

for (const c of cases) {
  test(`1×1 conv filter gradient at stride [${c.strides}] '${c.pad}' on [${c.shape}] (the case oneDNN crashes on) equals the sum it is`, () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([...c.shape], 0, 1, "float32", 1) as tf.Tensor4D;
      const f = tf.randomNormal([1, 1, c.shape[3], 6], 0, 1, "float32", 2) as tf.Tensor4D;
      const y = tf.conv2d(x, f, [...c.strides] as [number, number], c.pad);
      const dy = tf.randomNormal(y.shape, 0, 1, "float32", 3) as tf.Tensor4D;
      // Through TF.js's conv gradient, hence the Conv2DBackpropFilter kernel of the active backend.
      const dw = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, [...c.strides] as [number, number], c.pad), dy)))(f);
      const want = reference(x, dy, c.strides[0], c.strides[1]);
      const got = dw.dataSync();
      assert.deepEqual(dw.shape, [1, 1, c.shape[3], 6]);
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * scale, `entry ${i}: ${got[i]} vs ${want[i]}`);
    });
    assert.equal(tf.memory().numTensors, before);
  });
}

test("a ResNet (1×1 stride-2 projections) takes a training step", () => {
  // Before the fix, TensorFlow 2.21's oneDNN kernel aborted the process here.
  const m = resnet({ depth: 8, widths: [4, 8, 8], seed: 1 });
  const opt = tf.train.sgd(0.01);
  const loss = tf.tidy(() => {
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, "float32", 4);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 10);
    return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true) as tf.Scalar;
  });
  assert.ok(Number.isFinite(loss.dataSync()[0]));
  loss.dispose();
  opt.dispose();
  m.dispose();
});
