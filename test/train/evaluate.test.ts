import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { evaluate, outputsProbabilities } from "../../src/train/evaluate";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** A fixed linear classifier on 1×1×3 "images": logits = x·W. */
function linear(activation: "linear" | "softmax"): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [1, 1, 3] }));
  m.add(tf.layers.dense({ units: 3, useBias: false, activation }));
  m.layers[1].setWeights([tf.tensor2d([[2, 0, 0], [0, 1, 0], [0, 0, 3]])]);
  return m;
}

test("evaluate computes mean cross-entropy and accuracy batch by batch, for logits or softmax outputs", () => {
  const x = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 2, 0]];
  const labels = [0, 1, 1, 1, 1];
  const xs = tf.tensor4d(x.flat(), [5, 1, 1, 3]);
  const ys = tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat() as tf.Tensor2D;
  // By hand: logits = [2x0, x1, 3x2]; softmax CE of the label, argmax vs label.
  let ce = 0;
  let correct = 0;
  x.forEach((row, i) => {
    const logits = [2 * row[0], row[1], 3 * row[2]];
    const lse = Math.log(logits.reduce((a, l) => a + Math.exp(l), 0));
    ce += lse - logits[labels[i]];
    if (logits.indexOf(Math.max(...logits)) === labels[i]) correct++;
  });
  for (const activation of ["linear", "softmax"] as const) {
    const m = linear(activation);
    assert.equal(outputsProbabilities(m), activation === "softmax");
    const before = tf.memory().numTensors;
    for (const batchSize of [1, 2, 5, 100]) {
      const ev = evaluate(m, { xs, ys }, batchSize);
      assert.ok(Math.abs(ev.loss - ce / 5) < 1e-5, `${activation} batch ${batchSize}: loss ${ev.loss} vs ${ce / 5}`);
      assert.equal(ev.accuracy, correct / 5);
    }
    assert.equal(tf.memory().numTensors, before, "evaluate is tidy");
    m.dispose();
  }
  assert.throws(() => evaluate(linear("linear"), { xs, ys: ys.slice(0, 4) }), /xs has 5 rows but ys has 4/);
  assert.throws(() => evaluate(linear("linear"), { xs, ys }, 0), /batchSize must be an integer ≥ 1/);
  tf.dispose([xs, ys]);
});
