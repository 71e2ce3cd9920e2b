import * as tf from "@tensorflow/tfjs";
import type { ConvSpec } from "../lowrank/cost";

type Pair = [number, number];

/** A layer's getConfig() value that may be a number or a pair, as [h, w]. */
function pair(value: unknown, what: string, layer: string): Pair {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) return [value[0], value[1]];
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "number") return [value[0], value[0]];
  throw new Error(`Layer '${layer}': cannot read ${what} from its config (got ${JSON.stringify(value)}).`);
}

/** The single [batch, H, W, C] input shape of a connected layer. */
export function layerInputShape(layer: tf.layers.Layer): number[] {
  let input: tf.SymbolicTensor | tf.SymbolicTensor[];
  try {
    input = layer.input;
  } catch {
    throw new Error(`Layer '${layer.name}' is not connected (or is shared): build a model with it before measuring.`);
  }
  if (Array.isArray(input)) {
    throw new Error(`Layer '${layer.name}' has several inputs; only single-input layers can be measured on their own.`);
  }
  return input.shape.map((d) => d ?? -1);
}

/** The ConvSpec (shape, strides, padding) of a built Conv2D-like layer (Conv2D or LowRankConv2D). */
export function convSpecOfLayer(layer: tf.layers.Layer): ConvSpec {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const shape = layerInputShape(layer);
  if (shape.length !== 4) throw new Error(`Layer '${layer.name}' expects a 4-D input [batch, H, W, C], got [${shape.join(", ")}].`);
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast") {
    throw new Error(`Layer '${layer.name}' uses dataFormat '${String(cfg.dataFormat)}': only channelsLast (NHWC) is supported.`);
  }
  if (cfg.dilationRate !== undefined && pair(cfg.dilationRate, "dilationRate", layer.name).some((d) => d !== 1)) {
    throw new Error(`Layer '${layer.name}' is dilated: dilated convs are not costed.`);
  }
  const [, inH, inW, inC] = shape;
  if ([inH, inW, inC].some((d) => !(d > 0))) {
    throw new Error(`Layer '${layer.name}' has an unknown spatial size [${shape.join(", ")}]: give the model a fixed input shape.`);
  }
  const [kh, kw] = pair(cfg.kernelSize, "kernelSize", layer.name);
  const [strideH, strideW] = pair(cfg.strides ?? 1, "strides", layer.name);
  const padding = cfg.padding;
  if (padding !== "same" && padding !== "valid") {
    throw new Error(`Layer '${layer.name}' has padding '${String(padding)}': only 'same' and 'valid' are supported.`);
  }
  const outC = cfg.filters;
  if (typeof outC !== "number") throw new Error(`Layer '${layer.name}' has no 'filters' in its config.`);
  return { inH, inW, inC, outC, kh, kw, strideH, strideW, padding, bias: cfg.useBias !== false };
}

/** The rank K in a LowRankConv2D layer's config. */
export function rankOfLayer(layer: tf.layers.Layer): number {
  const rank = (layer.getConfig() as Record<string, unknown>).rank;
  if (typeof rank !== "number" || !Number.isInteger(rank) || rank < 1) {
    throw new Error(`Layer '${layer.name}' (${layer.getClassName()}) has no valid 'rank' in its config (got ${String(rank)}).`);
  }
  return rank;
}
