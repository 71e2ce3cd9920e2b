import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { isRateTensorAdam, RateTensorAdam } from "../../src/train/adam";
import { makeOptimizer, setLearningRate } from "../../src/train/optimizer";

/** Minimises a small quadratic with `optimizer` for `rates.length` steps (the rate set before each); returns the weights. */
function descend(optimizer: tf.Optimizer, rates: number[]): number[][] {
  const a = tf.variable(tf.tensor2d([[1, -2, 3], [0.5, 4, -1]]), true, "adam-test-a");
  const b = tf.variable(tf.tensor1d([0.3, -0.7]), true, "adam-test-b");
  const target = tf.tensor1d([1, 2]);
  for (const rate of rates) {
    setLearningRate(optimizer, rate);
    tf.tidy(() => {
      optimizer.minimize(() => tf.sum(tf.square(tf.sub(tf.add(tf.sum(tf.mul(a, a), 1), b), target))) as tf.Scalar);
    });
  }
  const out = [Array.from(a.dataSync()), Array.from(b.dataSync())];
  tf.dispose([a, b, target]);
  return out;
}

test("RateTensorAdam updates exactly as TF.js's Adam, with the rate changed between steps", () => {
  const rates = [0.1, 0.05, 0.02, 0.08, 0.01];
  const ours = new RateTensorAdam(rates[0]);
  const theirs = tf.train.adam(rates[0]);
  const [x, y] = [descend(ours, rates), descend(theirs, rates)];
  assert.deepEqual(x, y);
  const constant = tf.train.adam(0.1);
  assert.notDeepEqual(x, descend(constant, [0.1, 0.1, 0.1, 0.1, 0.1]), "the changed rates were used");
  [ours, theirs, constant].forEach((o) => o.dispose());
});

test("optimizer: 'adam' is a RateTensorAdam: its rate is one scalar, replaced by setLearningRate, freed by dispose", () => {
  const before = tf.memory().numTensors;
  const adam = makeOptimizer({ optimizer: "adam", learningRate: 0.01 });
  assert.ok(isRateTensorAdam(adam));
  assert.equal(adam.getClassName(), "Adam", "checkpoints keep TF.js's name");
  const others = [tf.train.adam(0.01), tf.train.sgd(0.01)];
  assert.ok(others.every((o) => !isRateTensorAdam(o)));
  others.forEach((o) => o.dispose());
  const first = adam.negatedRate;
  setLearningRate(adam, 0.002);
  assert.ok(first.isDisposed);
  assert.ok(Math.abs(adam.negatedRate.dataSync()[0] + 0.002) < 1e-9);
  tf.tidy(() => setLearningRate(adam, 0.003));
  assert.ok(!adam.negatedRate.isDisposed, "a rate set inside tf.tidy outlives it");
  adam.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test("RateTensorAdam's state round-trips through getWeights / setWeights (checkpoints)", async () => {
  const a = new RateTensorAdam(0.05);
  const first = descend(a, [0.05, 0.05]);
  const saved = await a.getWeights();
  const b = new RateTensorAdam(0.05);
  await b.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
  assert.deepEqual((await b.getWeights()).map((w) => Array.from(w.tensor.dataSync())), saved.map((w) => Array.from(w.tensor.dataSync())));
  assert.equal(first.length, 2);
  a.dispose();
  b.dispose();
});
