import * as tf from "@tensorflow/tfjs";
import { ConvNetBuilder, type ConvFactory } from "./conv-block";

export interface TaiCifarCnnOptions {
  /** Multiplies every width (96, 128, 256, 64 and the 256-unit FC layer). Default 1. */
  widthMultiplier?: number;
  /**
   * conv → BN → ReLU instead of conv(+bias) → ReLU. Default true: without BN this net does not learn
   * with the profiles' SGD recipe (10 % after an epoch). The authors' full-rank net had none: `false`.
   */
  batchNorm?: boolean;
  /** Dropout before the last FC layer. Default 0.5. */
  dropout?: number;
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Build some convs differently; the authors' low-rank twin: `lowRankConvs({ ranks: TAI_CIFAR_CNN_RANKS })`. */
  lowRank?: ConvFactory;
  seed?: number;
}

/** The ranks of the authors' released low-rank version of this network (paper-facts.md). */
export const TAI_CIFAR_CNN_RANKS: Readonly<Record<string, number>> = { conv1: 10, conv2: 51, conv3: 51 };

/**
 * The 3-conv CIFAR-10 CNN of Tai et al.'s released code (paper-facts.md): conv5×5 3→96 – ReLU – max-pool
 * – conv5×5 96→128 – ReLU – max-pool – conv5×5 128→256 – ReLU – max-pool – conv1×1 256→64 – ReLU –
 * FC 1024→256 – dropout 0.5 – FC 256→10. The notes do not give the pooling: 3×3 windows with stride 2
 * ('same'), as Caffe's CIFAR-10 examples, take 32×32 to the 4×4×64 = 1024 inputs of the first FC layer.
 */
export function taiCifarCnn(opts: TaiCifarCnnOptions = {}): tf.Sequential {
  const m = opts.widthMultiplier ?? 1;
  if (!(m > 0)) throw new Error(`taiCifarCnn widthMultiplier must be > 0, got ${m}.`);
  const w = (n: number): number => Math.max(1, Math.round(n * m));
  const dropout = opts.dropout ?? 0.5;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`taiCifarCnn dropout must be in [0, 1), got ${dropout}.`);
  const block = { batchNorm: opts.batchNorm ?? true, activation: "relu" as const };
  const pool = (i: number) => tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: `pool${i}` });

  const b = new ConvNetBuilder("tai_cifar_cnn", opts.inputShape ?? [32, 32, 3], opts.lowRank, opts.seed);
  b.conv("conv1", { filters: w(96), kernelSize: 5, ...block }).add(pool(1));
  b.conv("conv2", { filters: w(128), kernelSize: 5, ...block }).add(pool(2));
  b.conv("conv3", { filters: w(256), kernelSize: 5, ...block }).add(pool(3));
  b.conv("conv4", { filters: w(64), kernelSize: 1, ...block });
  b.add(tf.layers.flatten({ name: "flatten" }));
  b.add(tf.layers.dense({ units: w(256), activation: "relu", name: "fc1", kernelInitializer: b.initializer() }));
  if (dropout > 0) b.add(tf.layers.dropout({ rate: dropout, name: "dropout" }));
  b.add(tf.layers.dense({ units: opts.numClasses ?? 10, name: "logits", kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }) }));
  return b.finish();
}
