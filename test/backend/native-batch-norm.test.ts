import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { batchNormTraining, hasNativeBatchNorm } from "../../src/backend/native-batch-norm";
import { lowRankConv2D, } from "../../src/lowrank/lowrank-conv2d";
import type { BnPlacement } from "../../src/lowrank/plan";

let native = false;
before(async () => {
  const info = await initBackend(undefined, { quiet: true });
  native = info.name === "tensorflow";
});

/** Run `fn` on TF.js's own composition (LOWRANK_NATIVE_BN=0), then on the native path. */
function bothPaths<T>(fn: () => T): { composed: T; fused: T } {
  process.env.LOWRANK_NATIVE_BN = "0";
  try {
    assert.equal(hasNativeBatchNorm(), false);
    var composed = fn();
  } finally {
    delete process.env.LOWRANK_NATIVE_BN;
  }
  assert.equal(hasNativeBatchNorm(), true, "the tensorflow backend runs the fused kernels");
  return { composed, fused: fn() };
}

/** max |a − b| / max |a|. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(a)).dataSync()[0], 1e-30));
}

function assertClose(a: tf.Tensor[], b: tf.Tensor[], what: string[], tol = 1e-4): void {
  assert.equal(a.length, b.length);
  a.forEach((t, i) => {
    assert.deepEqual(t.shape, b[i].shape, `${what[i]} shape`);
    const r = relDiff(t, b[i]);
    assert.ok(r <= tol, `${what[i]}: relative difference ${r.toExponential(2)} > ${tol}`);
  });
}

for (const shape of [
  [16, 8, 8, 12],
  [64, 32, 32, 64],
] as [number, number, number, number][]) {
  test(`batchNormTraining ${shape.join("×")}: values, batch statistics and gradients equal tf.moments + tf.batchNorm`, (t) => {
    if (!native) return t.skip("the fused path exists on the tensorflow backend only");
    const before = tf.memory().numTensors;
    const x = tf.randomNormal(shape, 0.7, 2.5, "float32", 1) as tf.Tensor4D;
    const gamma = tf.randomNormal([shape[3]], 1, 0.3, "float32", 2) as tf.Tensor1D;
    const beta = tf.randomNormal([shape[3]], 0, 0.5, "float32", 3) as tf.Tensor1D;
    const dy = tf.randomNormal(shape, 0, 1, "float32", 4);
    const run = () =>
      tf.tidy(() => {
        const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
        const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3).y, dy)))([x, gamma, beta]);
        return [y, mean, variance, ...grads];
      });
    const { composed, fused } = bothPaths(run);
    assertClose(composed, fused, ["y", "mean", "variance", "dx", "dgamma", "dbeta"]);
    tf.dispose([...composed, ...fused, x, gamma, beta, dy]);
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  });
}

/**
 * A conv net with BN layers (Keras's and the low-rank pair's own), for whole-layer comparisons. No bias
 * right before a BN: its gradient is zero in exact arithmetic, so only rounding noise could be compared.
 */
function model(bn: BnPlacement): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: 5 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ momentum: 0.9 }).apply(h) as tf.SymbolicTensor;
  h = lowRankConv2D({ filters: 5, kernelSize: 3, rank: 2, padding: "same", bn, useBias: bn !== "after", bnMomentum: 0.8, kernelInitializer: tf.initializers.heNormal({ seed: 6 }) }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

for (const bn of ["between", "after"] as BnPlacement[]) {
  test(`BatchNormalization and LowRankConv2D (bn '${bn}'): training outputs, gradients and moving statistics equal TF.js's own path; inference unchanged`, (t) => {
    if (!native) return t.skip("the fused path exists on the tensorflow backend only");
    const net = model(bn);
    const initial = net.getWeights().map((w) => w.clone());
    const x = tf.randomNormal([10, 8, 8, 3], 0, 1, "float32", 9);
    const target = tf.randomNormal([10, 8 * 8 * 5], 0, 1, "float32", 10);
    const trainable = net.trainableWeights.map((w) => w.read() as tf.Variable);
    const run = () => {
      net.setWeights(initial);
      return tf.tidy(() => {
        // Two training steps' worth of moving-average updates, then one gradient.
        tf.dispose(net.apply(x, { training: true }) as tf.Tensor);
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar, trainable);
        const inference = net.apply(x, { training: false }) as tf.Tensor;
        const moving = net.weights.filter((w) => /moving/.test(w.originalName)).map((w) => w.read().clone());
        return [value, ...trainable.map((v) => grads[v.name]), inference, ...moving];
      });
    };
    const { composed, fused } = bothPaths(run);
    const names = ["loss", ...trainable.map((v) => `d ${v.name}`), "inference output"];
    names.push(...net.weights.filter((w) => /moving/.test(w.originalName)).map((w) => w.originalName));
    assert.ok(names.filter((n) => /moving/.test(n)).length === 4, "two BN layers' moving means and variances are compared");
    assertClose(composed, fused, names);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(run());
    assert.equal(tf.memory().numTensors, before, "no tensors leak across training steps");
    tf.dispose([...composed, ...fused, ...initial, x, target]);
    net.dispose();
  });
}

test("LOWRANK_NATIVE_BN=0 turns the fused path off; other backends never take it", () => {
  process.env.LOWRANK_NATIVE_BN = "0";
  try {
    assert.equal(hasNativeBatchNorm(), false);
  } finally {
    delete process.env.LOWRANK_NATIVE_BN;
  }
  assert.equal(hasNativeBatchNorm(), native);
});

test("inference batch norm (tf.batchNorm) equals TensorFlow's own FusedBatchNorm kernel, with and without γ, β", (t) => {
  if (!native) return t.skip("the replaced kernel exists on the tensorflow backend only");
  const backend = tf.backend() as unknown as {
    binding: Record<string, number>;
    executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], n: number): tf.Tensor[];
  };
  const { binding } = backend;
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const C = 24;
    const x = tf.randomNormal([6, 7, 5, C], 0.3, 2, "float32", 21) as tf.Tensor4D;
    const mean = tf.randomNormal([C], 0, 1, "float32", 22) as tf.Tensor1D;
    const variance = tf.randomUniform([C], 0.1, 3, "float32", 23) as tf.Tensor1D;
    const gamma = tf.randomNormal([C], 1, 0.2, "float32", 24) as tf.Tensor1D;
    const beta = tf.randomNormal([C], 0, 0.3, "float32", 25) as tf.Tensor1D;
    const tensorflowOwn = (scale: tf.Tensor, offset: tf.Tensor) =>
      backend.executeMultipleOutputs(
        "FusedBatchNorm",
        [
          { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
          { name: "epsilon", type: binding.TF_ATTR_FLOAT, value: 1e-3 },
          { name: "data_format", type: binding.TF_ATTR_STRING, value: "NHWC" },
          { name: "is_training", type: binding.TF_ATTR_BOOL, value: false },
        ],
        [x, scale, offset, mean, variance],
        5,
      )[0];
    assertClose([tensorflowOwn(gamma, beta)], [tf.batchNorm4d(x, mean, variance, beta, gamma, 1e-3)], ["with γ, β"], 1e-5);
    assertClose([tensorflowOwn(tf.onesLike(gamma), tf.zerosLike(beta))], [tf.batchNorm4d(x, mean, variance, undefined, undefined, 1e-3)], ["without γ, β"], 1e-5);
  });
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
});
