import * as tf from "@tensorflow/tfjs";
import { convCost, convSpecOfLayer, isDenseLayer, layerBuilder, LowRankDense, tai, type ConvSpec, type FactorizationMethod, type Rank } from "../lowrank";
import { measureEnvironment, type MeasureEnvironment } from "./environment";
import { pairedSpeedup, timeInterleaved, type TimeOptions } from "./time-it";

/** Images per timed forward pass when a caller gives none (profiles set their own: measureBatchSize). */
export const DEFAULT_TIMING_BATCH = 128;

export interface SpeedupOptions {
  /** Images per forward pass (default DEFAULT_TIMING_BATCH). */
  batchSize?: number;
  timing?: TimeOptions;
}

export interface LayerSpeedup {
  spec: ConvSpec;
  rank: Rank;
  /** The factorisation method timed (methods/). */
  method: string;
  batchSize: number;
  /** Median forward time of the dense conv, ms. */
  originalMs: number;
  /** Median forward time of the method's replacement (tai: the vertical + horizontal pair), ms. */
  lowRankMs: number;
  /** originalMs / lowRankMs round by round (timed in turns), the median. */
  measuredSpeedup: number;
  /** Multiply-add ratio from cost.ts. */
  theoreticalSpeedup: number;
  environment: MeasureEnvironment;
}

function specFrom(original: tf.layers.Layer | ConvSpec): ConvSpec {
  if (original instanceof tf.layers.Layer) {
    if (original.getClassName() !== "Conv2D" && !isDenseLayer(original)) {
      throw new Error(`measureLayerSpeedup: layer '${original.name}' is a ${original.getClassName()}, not a Conv2D or Dense layer.`);
    }
    return convSpecOfLayer(original);
  }
  if (!original || typeof original !== "object" || typeof (original as ConvSpec).inC !== "number") {
    throw new Error("measureLayerSpeedup: pass a built Conv2D layer or a ConvSpec {inH, inW, inC, outC, kh, kw, strideH, strideW, padding}.");
  }
  return original;
}

/**
 * Measured forward speedup of the method's replacement at `rank` (default tai: the vertical/horizontal
 * pair) over the dense conv, beside the theoretical one; for a Dense layer (svd), of a LowRankDense over
 * a Dense, every input position as one row of the batch. Both are built fresh as layers (as a model
 * runs them: the replacement's own call, bias included when the spec has one) with random weights of
 * the right shapes; a layer passed in is only read for its shape.
 */
export async function measureLayerSpeedup(
  original: tf.layers.Layer | ConvSpec,
  rank: Rank,
  opts: SpeedupOptions & { method?: FactorizationMethod } = {},
): Promise<LayerSpeedup> {
  const spec = specFrom(original);
  const method = opts.method ?? tai;
  const batchSize = opts.batchSize ?? DEFAULT_TIMING_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`measureLayerSpeedup: batchSize must be a positive integer, got ${batchSize}.`);
  const fullyConnected = original instanceof tf.layers.Layer && isDenseLayer(original);
  if (fullyConnected && !method.factorsDense) {
    throw new Error(`measureLayerSpeedup: '${(original as tf.layers.Layer).name}' is a Dense layer, which the ${method.name} method does not factor: pass { method: pointwiseSvd } (svd).`);
  }
  const why = method.refusal(spec);
  if (why) throw new Error(`measureLayerSpeedup: the ${method.name} method cannot take this layer: ${why}.`);
  method.checkRank(spec, rank);
  const { inH, inW, inC, outC, kh, kw, strideH, strideW, padding } = spec;
  const common = { filters: outC, kernelSize: [kh, kw] as [number, number], strides: [strideH, strideW] as [number, number], padding, useBias: Boolean(spec.bias) };
  const name = `${method.name}_timed_${Date.now()}`;
  const dense = fullyConnected ? tf.layers.dense({ units: outC, useBias: common.useBias }) : tf.layers.conv2d({ ...common, kernelInitializer: "heNormal" });
  const replacement = fullyConnected
    ? new LowRankDense({ name, units: outC, rank: rank as number, useBias: common.useBias })
    : layerBuilder(method).createLayer({ ...common, name, rank, bn: "none" });
  const x = tf.randomNormal(fullyConnected ? [batchSize * inH * inW, inC] : [batchSize, inH, inW, inC]);
  try {
    // In turns, so that a change of load between the two cannot skew their ratio.
    const t = await timeInterleaved({ original: () => dense.apply(x) as tf.Tensor, lowRank: () => replacement.apply(x) as tf.Tensor }, opts.timing);
    return {
      spec,
      rank,
      method: method.name,
      batchSize,
      originalMs: t.original.medianMs,
      lowRankMs: t.lowRank.medianMs,
      measuredSpeedup: pairedSpeedup(t.original, t.lowRank),
      theoreticalSpeedup: convCost(spec).macs / method.cost(spec, rank).macs,
      environment: measureEnvironment(),
    };
  } finally {
    x.dispose();
    dense.dispose();
    replacement.dispose();
  }
}
