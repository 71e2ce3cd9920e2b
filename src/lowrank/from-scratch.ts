import type { ConvFactory, ConvRequest } from "../models/conv-block";
import type { ConvSpec } from "./cost";
import { layerBuilder } from "./layer-builder";
import { checkPlan, namedLayers, needsSpectrum, planMethod, resolveRank, type DecompositionPlan } from "./plan";
import type { KernelSize } from "./rank-bounds";

/**
 * A conv factory for the zoo (`vggSmall({ lowRank: lowRankConvs(plan) })`) that builds the plan's
 * d×d convs as the method's layers (tai: LowRankConv2D) with fresh weights, for training from scratch.
 * `bn` defaults to "after" (for methods whose layers hold a BN; else "none"), as in the authors' released low-rank models: the pair's own BN takes the
 * place of the architecture's BN after that conv (and adds one where it has none: BN is what lets
 * low-rank nets train from scratch); with "between" or "none" the architecture's BN stays after the
 * pair, so "between" puts a BN after both V and H. Rules that read trained weights (energy) do not apply.
 */
export function lowRankConvs(plan: DecompositionPlan): ConvFactory {
  checkPlan(plan);
  if (needsSpectrum(plan)) {
    throw new Error("Energy and budget rules read trained weights, so they cannot size a network trained from scratch: use { speedup }, { rank } or { ranks }.");
  }
  const method = planMethod(plan);
  const builder = layerBuilder(method);
  const bn = plan.bn ?? (builder.batchNorms.includes("after") ? "after" : "none");
  const named = namedLayers(plan);
  let built = 0;
  return {
    build(r: ConvRequest) {
      if (named && !named.includes(r.name)) return undefined;
      const size: KernelSize = { kh: r.kernelSize, kw: r.kernelSize, inC: r.input[2], outC: r.filters };
      const why = method.refusal(size);
      if (why) {
        if (named) throw new Error(`lowRank names '${r.name}', which cannot be low-rank: ${why}.`);
        return undefined;
      }
      const spec: ConvSpec = { ...size, inH: r.input[0], inW: r.input[1], strideH: r.strides, strideW: r.strides, padding: r.padding };
      const rank = resolveRank(plan, { name: r.name, size, spec }, method);
      if (rank === undefined) return undefined;
      const ownBatchNorm = bn === "after";
      const layer = builder.createLayer({
        name: r.name,
        filters: r.filters,
        kernelSize: r.kernelSize,
        strides: r.strides,
        padding: r.padding,
        useBias: !(r.batchNorm || ownBatchNorm),
        rank,
        bn,
        bnMomentum: r.bnMomentum,
        kernelInitializer: r.initializer,
      });
      built++;
      return { layer, ownBatchNorm };
    },
    finish(modelName: string, convs: { name: string; kernelSize: number }[]) {
      const unknown = (named ?? []).filter((n) => !convs.some((c) => c.name === n));
      if (unknown.length) {
        throw new Error(`lowRank names unknown layer(s) ${unknown.map((n) => `'${n}'`).join(", ")} in ${modelName}: its convs are ${convs.map((c) => c.name).join(", ")}.`);
      }
      // A "twin" with no low-rank conv is the dense net under another name (e.g. svd on a net without 1×1 convs).
      if (!built) {
        const sizes = [...new Set(convs.map((c) => `${c.kernelSize}×${c.kernelSize}`))].join(", ");
        throw new Error(`No conv of ${modelName} (${sizes}) can be built low-rank by the ${method.name} method at this rule, so its low-rank twin would be the dense net: choose a method for those convs (tai for d×d).`);
      }
    },
  };
}
