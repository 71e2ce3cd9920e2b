import { lowRankCost, type ConvSpec } from "../cost";
import { decomposePointwise, kernelEnergy, singularValuesOfKernel } from "../decompose";
import type { FactorizationMethod, FactorizedKernel, KernelAnalysis, Rank } from "../factorization";
import type { HostKernel } from "../host-kernel";
import { checkRank, maxRank, type KernelSize } from "../rank-bounds";

const scalar = (rank: Rank): number => {
  if (typeof rank === "number") return rank;
  throw new Error(`The svd method has one rank K, got [${rank.join(", ")}].`);
};

/**
 * Truncated SVD of a 1×1 conv's or a Dense layer's C×N matrix: C→K then K→N, the optimum for every K
 * (Eckart–Young). A 1×1 conv becomes Tai's pair with 1×1 taps (it builds, costs and deploys alike), a
 * Dense layer a LowRankDense (two Dense layers when deployed). A Dense layer reads as a 1×1 conv with
 * one pixel per input position, so its cost is K·(C + N) per position instead of C·N.
 * For a whole network, decompose its d×d convs with tai and then its 1×1 convs and Dense layers with svd.
 */
export const pointwiseSvd: FactorizationMethod = {
  name: "svd",
  description: "C→K, then K→N (truncated SVD of a 1×1 conv's or a Dense layer's C×N matrix)",
  factorsDense: true,
  refusal(size: KernelSize): string | null {
    if (size.kh !== 1 || size.kw !== 1) return `it is a ${size.kh}×${size.kw} conv, not 1×1 (the tai method splits it into vertical and horizontal convs)`;
    return null;
  },
  maxRank,
  checkRank(size: KernelSize, rank: Rank, layer?: string): void {
    checkRank(size, scalar(rank), layer);
  },
  ranks: (size: KernelSize) => Array.from({ length: maxRank(size) }, (_, i) => i + 1),
  cost: (spec: ConvSpec, rank: Rank) => lowRankCost(spec, scalar(rank)),
  analyze(kernel: HostKernel): KernelAnalysis {
    const energy = kernelEnergy(kernel);
    return {
      spectrum: singularValuesOfKernel(kernel),
      energy,
      factor(rank: Rank): FactorizedKernel {
        const d = decomposePointwise(kernel, scalar(rank));
        return { rank: d.rank, factors: { vertical: d.vertical, horizontal: d.horizontal }, residual: d.residual, energy };
      },
    };
  },
};
