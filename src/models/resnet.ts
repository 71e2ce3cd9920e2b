import * as tf from "@tensorflow/tfjs";
import { ConvGraphBuilder, type ConvFactory } from "./conv-block";

export interface ResNetOptions {
  /** 6n + 2 layers: n basic blocks per stage. Default 20 (n = 3), He et al.'s ResNet-20. */
  depth?: number;
  /** Filters of the three stages. Default [16, 32, 64]. */
  widths?: [number, number, number];
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Build some convs differently, e.g. low-rank from scratch: `lowRankConvs({ speedup: 2 })` (src/lowrank). */
  lowRank?: ConvFactory;
  seed?: number;
}

/**
 * A CIFAR ResNet (He et al. 2016, §4.2): a 3×3 stem, three stages of n basic blocks (3×3 conv → BN →
 * ReLU → 3×3 conv → BN, plus the shortcut, then ReLU) at 32×32, 16×16 and 8×8, global average pooling
 * and the logits. The first block of stages 2 and 3 strides its first conv by 2, and its shortcut is a
 * 1×1 projection with stride 2 and BN (option B). Convs are named stem, s{stage}b{block}_conv1/_conv2/_proj.
 */
export function resnet(opts: ResNetOptions = {}): tf.LayersModel {
  const depth = opts.depth ?? 20;
  if (!(Number.isInteger(depth) && depth >= 8 && (depth - 2) % 6 === 0)) {
    throw new Error(`resnet depth must be 6n + 2 with n ≥ 1 (8, 14, 20, 32, …), got ${depth}.`);
  }
  const widths = opts.widths ?? [16, 32, 64];
  if (widths.length !== 3 || widths.some((w) => !(Number.isInteger(w) && w >= 1))) {
    throw new Error(`resnet widths must be three positive integers, got [${widths.join(", ")}].`);
  }
  const n = (depth - 2) / 6;
  const b = new ConvGraphBuilder(`resnet${depth}`, opts.inputShape ?? [32, 32, 3], opts.lowRank, opts.seed);
  let x = b.conv("stem", b.input, { filters: widths[0], kernelSize: 3, batchNorm: true, activation: "relu" });
  widths.forEach((filters, stage) => {
    for (let i = 0; i < n; i++) {
      const name = `s${stage + 1}b${i + 1}`;
      const strides = stage > 0 && i === 0 ? 2 : 1;
      const inner = b.conv(`${name}_conv1`, x, { filters, kernelSize: 3, strides, batchNorm: true, activation: "relu" });
      const residual = b.conv(`${name}_conv2`, inner, { filters, kernelSize: 3, batchNorm: true, activation: "linear" });
      const shortcut = strides === 1 && x.shape[3] === filters ? x : b.conv(`${name}_proj`, x, { filters, kernelSize: 1, strides, batchNorm: true, activation: "linear" });
      const sum = b.apply(tf.layers.add({ name: `${name}_add` }), [residual, shortcut]);
      x = b.apply(tf.layers.leakyReLU({ alpha: 0, name: `${name}_relu` }), sum);
    }
  });
  x = b.apply(tf.layers.globalAveragePooling2d({ name: "gap" }), x);
  const logits = b.apply(tf.layers.dense({ units: opts.numClasses ?? 10, name: "logits", kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }) }), x);
  return b.finish(logits);
}
