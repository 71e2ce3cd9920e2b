import * as tf from "@tensorflow/tfjs";
import { LowRankConv2D } from "../lowrank/lowrank-conv2d";
import type { FactorDecay } from "./train-options";

/**
 * ‖V·H‖²_F of a vertical [kh, 1, C, K] and horizontal [1, kw, K, N] kernel pair without forming the
 * kernel: with A the (kh·C)×K and B the K×(kw·N) factor matrices, ‖AB‖²_F = Σ (AᵀA) ⊙ (BBᵀ), two K×K Gram
 * matrices. Differentiable; call inside a tidy.
 */
export function factorProductSquaredNorm(vertical: tf.Tensor, horizontal: tf.Tensor): tf.Scalar {
  const [kh, , C, K] = vertical.shape;
  const [, kw, , N] = horizontal.shape;
  const a = tf.reshape(vertical, [kh * C, K]) as tf.Tensor2D;
  const b = tf.reshape(tf.transpose(horizontal, [2, 0, 1, 3]), [K, kw * N]) as tf.Tensor2D;
  return tf.sum(tf.mul(tf.matMul(a, a, true, false), tf.matMul(b, b, false, true)));
}

/**
 * What weight decay sums for `model`: ‖W‖² of every kernel (trainable weights of rank ≥ 2), except that
 * with "frobenius" each LowRankConv2D contributes ‖V·H‖²_F in place of ‖V‖² + ‖H‖². Returns a function
 * to call inside the loss (the ½·wd factor is the caller's), or undefined when nothing is decayed.
 */
export function decaySum(model: tf.LayersModel, mode: FactorDecay = "l2"): (() => tf.Scalar) | undefined {
  const pairs = mode === "frobenius" ? model.layers.filter((l): l is LowRankConv2D => l instanceof LowRankConv2D).map((l) => l.factorWeights()) : [];
  const inPairs = new Set(pairs.flatMap((p) => [p.vertical, p.horizontal]));
  const plain = model.trainableWeights.filter((w) => w.shape.length >= 2 && !inPairs.has(w));
  if (!plain.length && !pairs.length) return undefined;
  return () =>
    tf.addN([
      ...plain.map((w) => tf.sum(tf.square(w.read()))),
      ...pairs.map((p) => factorProductSquaredNorm(p.vertical.read(), p.horizontal.read())),
    ]) as tf.Scalar;
}
