/** Shared TF.js helpers for the lowrank and export tests (not a test file). */
import * as tf from "@tensorflow/tfjs";

/** Give every BN (layer or a pair's own) non-trivial statistics, so folding has something to get wrong. */
export function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    const bnWeights = layer.weights.filter((v) => /(gamma|beta|moving_mean|moving_variance)$/.test(v.originalName));
    if (!bnWeights.length) continue;
    const values = layer.getWeights().map((w, i) => {
      const v = layer.weights[i];
      if (!bnWeights.includes(v)) return w.clone();
      const u = tf.randomUniform(w.shape, 0, 1, "float32", s++);
      const name = v.originalName;
      const out = name.endsWith("moving_variance") ? u.mul(1.5).add(0.5) : name.endsWith("gamma") ? u.add(0.5) : u.sub(0.5);
      u.dispose();
      return out;
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Save to memory and load back (the project's layers come back through their registered classes). */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}
