import * as tf from "@tensorflow/tfjs";
import { ConvNetBuilder, type ConvFactory } from "./conv-block";

export interface TinyCnnOptions {
  /** Filters of its two 3×3 convs. Default [16, 32]. */
  widths?: [number, number];
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Build some convs differently, e.g. low-rank from scratch: `lowRankConvs({ speedup: 2 })` (src/lowrank). */
  lowRank?: ConvFactory;
  /** Seeds the initialisers (reproducible weights). */
  seed?: number;
}

/**
 * Two conv → BN → ReLU → max-pool blocks, global average pooling and a dense layer (logits): trains
 * in seconds per epoch on a few thousand CIFAR images, which is what the tests need.
 * Layers: conv1, conv1_bn, conv1_relu, pool1, conv2, …, pool2, gap, logits.
 */
export function tinyCnn(opts: TinyCnnOptions = {}): tf.Sequential {
  const [w1, w2] = opts.widths ?? [16, 32];
  const b = new ConvNetBuilder("tiny_cnn", opts.inputShape ?? [32, 32, 3], opts.lowRank, opts.seed);
  b.conv("conv1", { filters: w1, kernelSize: 3, batchNorm: true, activation: "relu" });
  b.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }));
  b.conv("conv2", { filters: w2, kernelSize: 3, batchNorm: true, activation: "relu" });
  b.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }));
  b.add(tf.layers.globalAveragePooling2d({ name: "gap" }));
  b.add(tf.layers.dense({ units: opts.numClasses ?? 10, name: "logits", kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }) }));
  return b.finish();
}
