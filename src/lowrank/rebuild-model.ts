import * as tf from "@tensorflow/tfjs";

/**
 * A new model of `model`'s kind (Sequential or functional) from an edited copy of its config. `assign`
 * sets the weights of the layers it knows and returns true; every other layer gets a copy of the weights
 * of `model`'s layer of the same name. A failure disposes the new model.
 */
export function rebuildFromConfig(model: tf.LayersModel, config: object, assign: (layer: tf.layers.Layer) => boolean): tf.LayersModel {
  const sequential = model instanceof tf.Sequential;
  const cls = (sequential ? tf.Sequential : tf.LayersModel) as unknown as {
    fromConfig: (cls: unknown, config: unknown, customObjects?: unknown, fastWeightInit?: boolean) => tf.LayersModel;
  };
  const fresh = cls.fromConfig(cls, config, {}, true);
  try {
    for (const layer of fresh.layers) {
      if (assign(layer)) continue;
      const weights = model.getLayer(layer.name).getWeights();
      if (weights.length) layer.setWeights(weights);
    }
  } catch (err) {
    fresh.dispose();
    throw err;
  }
  return fresh;
}
