import * as tf from "@tensorflow/tfjs";
import { kernelOfLayer, convSpecIfSized, kernelSizeOfLayer } from "./conv-layer";
import { factorizeKernel, reconstructKernel } from "./decompose";
import { eligibleConvLayers } from "./decompose-model";
import { tai } from "./methods";
import { checkPlan, namedLayers, resolveRank, type DecompositionPlan } from "./plan";

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
 * of Σσ²; { speedup }, { rank }, { ranks } fix it). `skip` names convs left alone (TRP skips the first).
 * A projected net decomposes (decomposeModel with the reported ranks) with unchanged predictions.
 */
export function projectToLowRank(model: tf.LayersModel, plan: DecompositionPlan, skip: readonly string[] = []): RankProjectionReport[] {
  checkPlan(plan);
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
    const w = reconstructKernel(d.vertical, d.horizontal);
    let total = 0;
    for (const s of f.singularValues) total += s * s;
    const variable = layer.weights.find((v) => v.originalName.endsWith("/kernel"));
    if (!variable) throw new Error(`projectToLowRank: layer '${layer.name}' has no kernel weight.`);
    tf.tidy(() => {
      variable.write(tf.tensor(Float32Array.from(w.data), w.shape));
    });
    reports.push({ layer: layer.name, rank: K, keptEnergy: total > 0 ? 1 - d.residual / total : 1 });
  }
  return reports;
}
