import * as tf from "@tensorflow/tfjs";
import { builderForLayer, convCost, convSpecOfLayer, LowRankDense } from "../lowrank";

/** conv: Conv2D; lowrank: a method's replacement of a conv; dense: Dense or its svd replacement. */
export type LayerKind = "conv" | "lowrank" | "dense" | "other";

export interface LayerCostInfo {
  kind: LayerKind;
  /** All weights, trainable or not (batch-norm statistics included). */
  params: number;
  /** Theoretical multiply-adds per image; 0 for layers not costed (pooling, activations, batch norm…). */
  macs: number;
}

/** Parameters and theoretical multiply-adds per image of one built layer. */
export function layerCost(layer: tf.layers.Layer): LayerCostInfo {
  const cls = layer.getClassName();
  if (!layer.built) throw new Error(`Layer '${layer.name}' is not built: connect it in a model with a known input shape before costing it.`);
  const params = layer.countParams();
  if (cls === "Conv2D") return { kind: "conv", params, macs: convCost(convSpecOfLayer(layer)).macs };
  const builder = builderForLayer(layer);
  if (builder) {
    // A factored Dense layer is still a fully connected layer, not one of the convs.
    const kind = cls === LowRankDense.className ? "dense" : "lowrank";
    return { kind, params, macs: builder.method.cost(convSpecOfLayer(layer), builder.rankOf(layer)).macs };
  }
  // Dense reads as a 1×1 conv applied at every position of its input's middle axes.
  if (cls === "Dense") return { kind: "dense", params, macs: convCost(convSpecOfLayer(layer)).macs };
  return { kind: "other", params, macs: 0 };
}

/** Multiply-adds per image of every conv of a model (Conv2D and the methods' layers; Dense not counted). */
export function convMacsOf(model: tf.LayersModel): number {
  return model.layers.reduce((sum, l) => {
    const c = layerCost(l);
    return c.kind === "conv" || c.kind === "lowrank" ? sum + c.macs : sum;
  }, 0);
}
