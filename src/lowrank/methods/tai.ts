import { lowRankCost, type ConvSpec } from "../cost";
import { factorizeKernel, kernelEnergy } from "../decompose";
import type { FactorizationMethod, FactorizedKernel, KernelAnalysis, Rank } from "../factorization";
import type { HostKernel } from "../host-kernel";
import { checkRank, maxRank, type KernelSize } from "../rank-bounds";

function scalar(rank: Rank, layer?: string): number {
  if (typeof rank === "number") return rank;
  throw new Error(`${layer ? `Layer '${layer}': t` : "T"}he tai method has one rank K, got [${rank.join(", ")}].`);
}

/**
 * Tai et al. 2016, Theorem 1: a kh×1 "vertical" conv C→K then a 1×kw "horizontal" conv K→N, from the
 * truncated SVD of the (C·kh)×(N·kw) kernel matrix: the exact global optimum for every K.
 */
export const tai: FactorizationMethod = {
  name: "tai",
  description: "kh×1 vertical conv C→K, then 1×kw horizontal conv K→N (closed form, Theorem 1)",
  refusal(size: KernelSize): string | null {
    if (size.kh === 1 && size.kw === 1) {
      return "it is a 1×1 conv (no vertical/horizontal split; decomposePointwise(kernel, rank) splits it into two 1×1 convs)";
    }
    return null;
  },
  maxRank,
  checkRank(size: KernelSize, rank: Rank, layer?: string): void {
    checkRank(size, scalar(rank, layer), layer);
  },
  ranks(size: KernelSize): Rank[] {
    return Array.from({ length: maxRank(size) }, (_, i) => i + 1);
  },
  cost(spec: ConvSpec, rank: Rank) {
    return lowRankCost(spec, scalar(rank));
  },
  analyze(kernel: HostKernel): KernelAnalysis {
    const f = factorizeKernel(kernel);
    const energy = kernelEnergy(kernel);
    return {
      spectrum: f.singularValues,
      energy,
      factor(rank: Rank): FactorizedKernel {
        const d = f.decompose(scalar(rank));
        return { rank: d.rank, factors: { vertical: d.vertical, horizontal: d.horizontal }, residual: d.residual, energy };
      },
    };
  },
};
