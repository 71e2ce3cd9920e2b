import * as tf from "@tensorflow/tfjs";
import { kernelOfLayer, convSpecIfSized, kernelSizeOfLayer } from "./conv-layer";
import { factorizeKernel, kernelEnergy, reconstructKernel } from "./decompose";
import { eligibleConvLayers } from "./decompose-model";
import { tai } from "./methods";
import { checkPlan, namedLayers, resolveRank, type DecompositionPlan } from "./plan";

export interface RankProjectionOptions {
  /** Convs never projected (TRP leaves the first alone). Default []. */
  skip?: readonly string[];
  /**
   * Soft-threshold the kept singular values by this much, σ ← max(σ − shrink, 0): the proximal step of a
   * nuclear-norm penalty (TRP's regulariser), applied with the projection. Default 0.
   */
  shrink?: number;
}

export interface RankProjectionReport {
  layer: string;
  rank: number;
  /** Fraction of the kernel's energy Σσ² the projection kept. */
  keptEnergy: number;
}

/**
 * Project, in place, each dense conv the plan covers onto its rank-K kernels (Tai's reshape, truncated
 * SVD: the nearest rank-K kernel in Frobenius norm), as Trained Rank Pruning (Xu et al. 2020) does during
 * dense training. The rank comes from the plan, read on the current kernel ({ energy } keeps that share
 * of Σσ²; { speedup }, { rank }, { ranks } fix it). A projected net decomposes (decomposeModel with the
 * reported ranks) with unchanged predictions.
 */
export function projectToLowRank(model: tf.LayersModel, plan: DecompositionPlan, options: RankProjectionOptions = {}): RankProjectionReport[] {
  checkPlan(plan);
  const skip = options.skip ?? [];
  const shrink = options.shrink ?? 0;
  if (!(shrink >= 0)) throw new Error(`projectToLowRank: shrink must be ≥ 0, got ${options.shrink}.`);
  const named = namedLayers(plan);
  const layers = eligibleConvLayers(model, tai).filter((l) => !skip.includes(l.name) && (!named || named.includes(l.name)));
  const reports: RankProjectionReport[] = [];
  for (const layer of layers) {
    const size = kernelSizeOfLayer(layer);
    if (size.kh * size.kw === 1) continue; // no vertical/horizontal split of a 1×1 conv
    const kernel = kernelOfLayer(layer);
    const f = factorizeKernel(kernel);
    const rank = resolveRank(plan, { name: layer.name, size, spec: convSpecIfSized(layer) ?? undefined, spectrum: f.singularValues }, tai);
    if (rank === undefined) continue;
    const K = rank as number;
    const d = f.decompose(K);
    if (shrink > 0) {
      // Column k of both factors carries √σ_k: scale both by √(max(σ_k − shrink, 0)/σ_k).
      const scale = Array.from(f.singularValues.subarray(0, K), (sigma) => (sigma > 0 ? Math.sqrt(Math.max(sigma - shrink, 0) / sigma) : 0));
      for (let i = 0; i < d.vertical.data.length; i++) d.vertical.data[i] *= scale[i % K];
      const N = d.horizontal.shape[3];
      for (let i = 0; i < d.horizontal.data.length; i++) d.horizontal.data[i] *= scale[Math.floor(i / N) % K];
    }
    const w = reconstructKernel(d.vertical, d.horizontal);
    const total = kernelEnergy(kernel);
    const variable = layer.weights.find((v) => v.originalName.endsWith("/kernel"));
    if (!variable) throw new Error(`projectToLowRank: layer '${layer.name}' has no kernel weight.`);
    tf.tidy(() => {
      variable.write(tf.tensor(Float32Array.from(w.data), w.shape));
    });
    reports.push({ layer: layer.name, rank: K, keptEnergy: total > 0 ? kernelEnergy(w) / total : 1 });
  }
  return reports;
}
