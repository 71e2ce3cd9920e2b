import * as tf from "@tensorflow/tfjs";
import { convCost, lowRankCost, type ConvSpec } from "../lowrank/cost";
import { measureEnvironment, type MeasureEnvironment } from "./environment";
import { CONV_CLASSES } from "./layer-cost";
import { convSpecOfLayer } from "./layer-spec";
import { timeIt, type TimeOptions } from "./time-it";

export interface SpeedupOptions {
  /** Images per forward pass (default 128). */
  batchSize?: number;
  timing?: TimeOptions;
}

export interface LayerSpeedup {
  spec: ConvSpec;
  rank: number;
  batchSize: number;
  /** Median forward time of the dense conv, ms. */
  originalMs: number;
  /** Median forward time of the vertical + horizontal pair, ms. */
  lowRankMs: number;
  measuredSpeedup: number;
  /** Multiply-add ratio from cost.ts. */
  theoreticalSpeedup: number;
  environment: MeasureEnvironment;
}

function specOf(original: tf.layers.Layer | ConvSpec): ConvSpec {
  if (original instanceof tf.layers.Layer) {
    if (!CONV_CLASSES.includes(original.getClassName())) {
      throw new Error(`measureLayerSpeedup: layer '${original.name}' is a ${original.getClassName()}, not a Conv2D.`);
    }
    return convSpecOfLayer(original);
  }
  if (!original || typeof original !== "object" || typeof (original as ConvSpec).inC !== "number") {
    throw new Error("measureLayerSpeedup: pass a built Conv2D layer or a ConvSpec {inH, inW, inC, outC, kh, kw, strideH, strideW, padding}.");
  }
  return original;
}

/**
 * Measured forward speedup of the rank-K vertical/horizontal pair over the dense conv, beside the
 * theoretical one. Both are built fresh with random weights of the right shapes (a layer is only
 * read for its shape) and run as bare conv ops, bias included when the spec has one.
 */
export async function measureLayerSpeedup(original: tf.layers.Layer | ConvSpec, rank: number, opts: SpeedupOptions = {}): Promise<LayerSpeedup> {
  const spec = specOf(original);
  const batchSize = opts.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`measureLayerSpeedup: batchSize must be a positive integer, got ${batchSize}.`);
  const dense = convCost(spec);
  const pair = lowRankCost(spec, rank); // validates the rank against the layer's shape
  const { inH, inW, inC, outC, kh, kw, strideH, strideW, padding } = spec;
  const x = tf.randomNormal([batchSize, inH, inW, inC]) as tf.Tensor4D;
  const w = tf.randomNormal([kh, kw, inC, outC], 0, Math.sqrt(2 / (kh * kw * inC))) as tf.Tensor4D;
  const v = tf.randomNormal([kh, 1, inC, rank], 0, Math.sqrt(1 / (kh * inC))) as tf.Tensor4D;
  const h = tf.randomNormal([1, kw, rank, outC], 0, Math.sqrt(1 / (kw * rank))) as tf.Tensor4D;
  const b = spec.bias ? tf.randomNormal([outC], 0, 0.01) : undefined;
  const withBias = (y: tf.Tensor4D) => (b ? tf.add(y, b) : y);
  try {
    const originalMs = (await timeIt(() => withBias(tf.conv2d(x, w, [strideH, strideW], padding)), opts.timing)).medianMs;
    const lowRankMs = (
      await timeIt(() => withBias(tf.conv2d(tf.conv2d(x, v, [strideH, 1], padding), h, [1, strideW], padding)), opts.timing)
    ).medianMs;
    return {
      spec,
      rank,
      batchSize,
      originalMs,
      lowRankMs,
      measuredSpeedup: originalMs / lowRankMs,
      theoreticalSpeedup: dense.macs / pair.macs,
      environment: measureEnvironment(),
    };
  } finally {
    tf.dispose([x, w, v, h, ...(b ? [b] : [])]);
  }
}
