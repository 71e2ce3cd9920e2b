import * as tf from "@tensorflow/tfjs";
import { decomposeKernel, kernelEnergy } from "./decompose";
import { LowRankConv2D } from "./lowrank-conv2d";
import { deserializeObject, type InitializerLike } from "./tf-objects";

export interface SpectralInitReport {
  layer: string;
  rank: number;
  /** Fraction of the drawn dense kernel's energy Σσ² that the rank-K factors keep. */
  keptEnergy: number;
}

/**
 * Spectral initialisation (Khodak et al. 2021) of a freshly built model, in place: every LowRankConv2D
 * gets Tai's rank-K factors (U_K·√S_K, V_K·√S_K) of a dense kh×kw kernel C→N drawn from the layer's own
 * kernel initializer, so V·H starts as the best rank-K approximation of a usual dense initialisation
 * rather than a product of two factors drawn apart. Bias and BN weights are left as they are.
 */
export function spectralInitialize(model: tf.LayersModel): SpectralInitReport[] {
  const layers = model.layers.filter((l): l is LowRankConv2D => l instanceof LowRankConv2D);
  if (!layers.length) throw new Error(`spectralInitialize: ${model.name} has no LowRankConv2D layer to initialise (build it with lowRank: lowRankConvs(plan)).`);
  return layers.map((layer) => {
    const { vertical, horizontal } = layer.factorWeights();
    const [kh, kw] = layer.kernelSize;
    const shape: [number, number, number, number] = [kh, kw, vertical.shape[2] as number, layer.filters];
    const init = deserializeObject<{ apply(shape: number[], dtype?: "float32"): tf.Tensor }>(layer.getConfig().kernelInitializer as InitializerLike, "initializer");
    const drawn = tf.tidy(() => init.apply(shape, "float32"));
    const data = drawn.dataSync() as Float32Array;
    drawn.dispose();
    const d = decomposeKernel({ data, shape }, layer.rank);
    const total = kernelEnergy({ data, shape });
    tf.tidy(() => {
      vertical.write(tf.tensor(Float32Array.from(d.vertical.data), d.vertical.shape));
      horizontal.write(tf.tensor(Float32Array.from(d.horizontal.data), d.horizontal.shape));
    });
    return { layer: layer.name, rank: layer.rank, keptEnergy: total > 0 ? 1 - d.residual / total : 1 };
  });
}
