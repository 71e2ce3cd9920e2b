import * as tf from "@tensorflow/tfjs";
import { ConvNetBuilder, type ConvFactory } from "./conv-block";

export interface VggSmallOptions {
  /** Filters per block; each block is `convsPerBlock` 3×3 convs then a 2×2 max-pool. Default [32, 64, 128]. */
  widths?: number[];
  convsPerBlock?: number;
  /** Dropout rate before the classifier (0 = no dropout layer). Default 0. */
  dropout?: number;
  /** "gap": global average pooling → logits; "dense": flatten → dense(denseUnits) → ReLU → logits. */
  head?: "gap" | "dense";
  denseUnits?: number;
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Build some convs differently, e.g. low-rank from scratch: `lowRankConvs({ speedup: 2 })` (src/lowrank). */
  lowRank?: ConvFactory;
  seed?: number;
}

/**
 * The project's reference network: a VGG-style CIFAR net of conv → BN → ReLU layers in pairs of 3×3
 * convs per block, 2×2 max-pooling after each block, then a small head. Layers are named by block and
 * position: conv1_1, conv1_1_bn, conv1_1_relu, conv1_2, …, pool1, conv2_1, …, gap, dropout, logits.
 * Outputs logits (no softmax): the trainer applies softmax cross-entropy.
 */
export function vggSmall(opts: VggSmallOptions = {}): tf.Sequential {
  const widths = opts.widths ?? [32, 64, 128];
  const perBlock = opts.convsPerBlock ?? 2;
  const dropout = opts.dropout ?? 0;
  const head = opts.head ?? "gap";
  if (widths.length === 0 || widths.some((w) => !(Number.isInteger(w) && w >= 1))) {
    throw new Error(`vggSmall widths must be positive integers, one per block, got [${widths.join(", ")}].`);
  }
  if (!(Number.isInteger(perBlock) && perBlock >= 1)) throw new Error(`vggSmall convsPerBlock must be an integer ≥ 1, got ${perBlock}.`);
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`vggSmall dropout must be in [0, 1), got ${dropout}.`);
  if (head !== "gap" && head !== "dense") throw new Error(`vggSmall head must be "gap" or "dense", got '${String(head)}'.`);

  const b = new ConvNetBuilder("vgg_small", opts.inputShape ?? [32, 32, 3], opts.lowRank, opts.seed);
  widths.forEach((filters, block) => {
    for (let i = 1; i <= perBlock; i++) {
      b.conv(`conv${block + 1}_${i}`, { filters, kernelSize: 3, batchNorm: true, activation: "relu" });
    }
    b.add(tf.layers.maxPooling2d({ poolSize: 2, name: `pool${block + 1}` }));
  });
  if (head === "gap") {
    b.add(tf.layers.globalAveragePooling2d({ name: "gap" }));
  } else {
    b.add(tf.layers.flatten({ name: "flatten" }));
    b.add(tf.layers.dense({ units: opts.denseUnits ?? 128, activation: "relu", name: "fc", kernelInitializer: b.initializer() }));
  }
  if (dropout > 0) b.add(tf.layers.dropout({ rate: dropout, name: "dropout" }));
  b.add(tf.layers.dense({ units: opts.numClasses ?? 10, name: "logits", kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }) }));
  return b.finish();
}
