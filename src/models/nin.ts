import * as tf from "@tensorflow/tfjs";
import { ConvNetBuilder, type ConvFactory } from "./conv-block";

export interface NinOptions {
  /** Multiplies every hidden width (192, 160, 96 in the original). Default 1. */
  widthMultiplier?: number;
  /** conv → BN → ReLU instead of conv(+bias) → ReLU. Default true (trains reliably without NIN's careful init). */
  batchNorm?: boolean;
  /** Dropout after each of the first two pooling layers, as in NIN. Default 0.5. */
  dropout?: number;
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Build some convs differently, e.g. low-rank from scratch: `lowRankConvs({ speedup: 2 })` (src/lowrank). */
  lowRank?: ConvFactory;
  seed?: number;
}

/**
 * Network in Network for CIFAR-10 (Lin et al. 2014), the model Tai et al. decompose: three mlpconv
 * blocks — a 5×5 (5×5, 3×3 in the last block) conv followed by two 1×1 convs ("cccp") — with 3×3/2
 * max then average pooling and dropout between blocks, and global average pooling of the last 1×1
 * conv's 10 maps as the logits (cccp6 is linear here; the original puts a ReLU before the pooling).
 * Only conv1..conv3 have d > 1, so only they can become low-rank.
 */
export function nin(opts: NinOptions = {}): tf.Sequential {
  const m = opts.widthMultiplier ?? 1;
  if (!(m > 0)) throw new Error(`nin widthMultiplier must be > 0, got ${m}.`);
  const w = (n: number): number => Math.max(1, Math.round(n * m));
  const bn = opts.batchNorm ?? true;
  const dropout = opts.dropout ?? 0.5;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`nin dropout must be in [0, 1), got ${dropout}.`);
  const relu = { batchNorm: bn, activation: "relu" as const };

  const b = new ConvNetBuilder("nin", opts.inputShape ?? [32, 32, 3], opts.lowRank, opts.seed);
  b.conv("conv1", { filters: w(192), kernelSize: 5, ...relu });
  b.conv("cccp1", { filters: w(160), kernelSize: 1, ...relu });
  b.conv("cccp2", { filters: w(96), kernelSize: 1, ...relu });
  b.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: "pool1" }));
  if (dropout > 0) b.add(tf.layers.dropout({ rate: dropout, name: "dropout1" }));
  b.conv("conv2", { filters: w(192), kernelSize: 5, ...relu });
  b.conv("cccp3", { filters: w(192), kernelSize: 1, ...relu });
  b.conv("cccp4", { filters: w(192), kernelSize: 1, ...relu });
  b.add(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: "same", name: "pool2" }));
  if (dropout > 0) b.add(tf.layers.dropout({ rate: dropout, name: "dropout2" }));
  b.conv("conv3", { filters: w(192), kernelSize: 3, ...relu });
  b.conv("cccp5", { filters: w(192), kernelSize: 1, ...relu });
  b.conv("cccp6", { filters: opts.numClasses ?? 10, kernelSize: 1, batchNorm: false, activation: "linear" });
  b.add(tf.layers.globalAveragePooling2d({ name: "gap" }));
  return b.finish();
}
