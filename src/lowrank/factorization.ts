/**
 * What a decomposition method is, framework-free (the maths; TF.js layers are built in layer-builder.ts).
 * A method factors a conv kernel W (HWIO [kh, kw, C, N]) into smaller kernels applied one after the
 * other. Tai et al.'s vertical/horizontal pair is methods/tai.ts; a new method is a new file there.
 */
import type { ConvSpec, LayerCost } from "./cost";
import type { HostKernel } from "./host-kernel";
import type { KernelSize } from "./rank-bounds";

/** A method's rank: one number, or a tuple for methods with several (Tucker-2 has two). */
export type Rank = number | readonly number[];

/** A kernel factored at one rank. */
export interface FactorizedKernel {
  rank: Rank;
  /** The factor kernels, HWIO, by name in the order the replacement applies them (tai: vertical, horizontal). */
  factors: Record<string, HostKernel>;
  /** ‖W − W̃‖²_F. */
  residual: number;
  /** ‖W‖²_F. */
  energy: number;
  /** Iterative methods: how the fit went (a fit that hit its iteration cap says so here). */
  fit?: { iterations: number; converged: boolean; seconds: number };
}

/** One kernel analysed once (e.g. its SVD), then factored at any rank. */
export interface KernelAnalysis {
  /** Singular values that energy rules read, descending; absent when the method has no such spectrum. */
  spectrum?: Float64Array;
  /** ‖W‖²_F. */
  energy: number;
  factor(rank: Rank): FactorizedKernel;
}

export interface FactorizationMethod {
  /** Key used by plans and the CLI (`--method`). */
  readonly name: string;
  /** One line for reports: what the kernel becomes. */
  readonly description: string;
  /** Also factors Dense layers, read as 1×1 convs (kernel [1, 1, C, N]); default false. */
  readonly factorsDense?: boolean;
  /** null when the method can factor a conv of this size, else why not (and which method can). */
  refusal(size: KernelSize): string | null;
  /** The largest meaningful rank. */
  maxRank(size: KernelSize): Rank;
  /** Throw, naming the layer and the valid range, unless `rank` is valid for this size. */
  checkRank(size: KernelSize, rank: Rank, layer?: string): void;
  /** Every valid rank, cheapest first: what speed-up rules choose from. */
  ranks(size: KernelSize): Rank[];
  /** Multiply-adds and parameters per image of the replacement at `rank`. */
  cost(spec: ConvSpec, rank: Rank): LayerCost;
  analyze(kernel: HostKernel): KernelAnalysis;
}

/** A rank as one number, for sweeps and axes that take one; a tuple rank is refused with a message. */
export function scalarRank(rank: Rank, where: string): number {
  if (typeof rank === "number") return rank;
  throw new Error(`${where} takes methods with one rank; got the rank tuple [${rank.join(", ")}].`);
}

/** A rank for tables: the number itself, or "R1×R2" for a tuple. */
export function rankLabel(rank: Rank): number | string {
  return typeof rank === "number" ? rank : rank.join("×");
}
