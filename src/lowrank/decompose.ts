import { checkKernel, describeKernel, HostKernel } from "./host-kernel";
import { factorsToKernels, kernelToMatrix } from "./kernel-matrix";
import { checkRank, kernelSize } from "./rank-bounds";
import { singularValues, svdFactorize } from "./svd";

export type { HostKernel } from "./host-kernel";

/** The rank-K factorisation of Theorem 1 (Tai et al. 2016). */
export interface Decomposition {
  /** [kh, 1, C, K]: the vertical kh×1 conv, taps U_K·√S_K. */
  vertical: HostKernel;
  /** [1, kw, K, N]: the horizontal 1×kw conv, taps V_K·√S_K. */
  horizontal: HostKernel;
  /** All min(C·kh, N·kw) singular values of the kernel matrix, descending. */
  singularValues: Float64Array;
  /** ‖W − W̃‖²_F = sum of the discarded σ². */
  residual: number;
  rank: number;
}

/** Sum of σ_t² for t ≥ rank, added smallest first (no cancellation: every term is ≥ 0). */
function tailEnergy(values: Float64Array, rank: number): number {
  let s = 0;
  for (let t = values.length - 1; t >= rank; t--) s += values[t] * values[t];
  return s;
}

/** A kernel's SVD done once: its spectrum now, the rank-K factors for any K on demand. */
export interface KernelFactorization {
  shape: [number, number, number, number];
  /** All min(C·kh, N·kw) singular values, descending. */
  singularValues: Float64Array;
  /** Same result as decomposeKernel(kernel, rank), without redoing the SVD's first stages. */
  decompose(rank: number): Decomposition;
}

function factorization(kernel: HostKernel): KernelFactorization {
  const shape: [number, number, number, number] = [...kernel.shape];
  const f = svdFactorize(kernelToMatrix(kernel));
  const decompose = (K: number): Decomposition => {
    checkRank(kernelSize(shape), K);
    const { u, v } = f.vectors(K);
    const roots = Array.from(f.singularValues.subarray(0, K), Math.sqrt);
    return {
      ...factorsToKernels(u, v, shape, roots),
      singularValues: f.singularValues,
      residual: tailEnergy(f.singularValues, K),
      rank: K,
    };
  };
  return { shape, singularValues: f.singularValues, decompose };
}

function refusePointwise(kernel: HostKernel): void {
  if (kernel.shape[0] === 1 && kernel.shape[1] === 1) {
    throw new Error(
      `decomposeKernel needs a kernel with kh > 1 or kw > 1, got a 1×1 conv ${kernel.shape[2]}→${kernel.shape[3]}: ` +
        "there is no vertical/horizontal split. Use decomposePointwise(kernel, rank) for two 1×1 convs C→K→N.",
    );
  }
}

/**
 * The SVD of a kernel (kh > 1 or kw > 1) done once, for several ranks: `factorizeKernel(w).decompose(K)`
 * equals `decomposeKernel(w, K)`; only the singular-vector stage is repeated per rank.
 */
export function factorizeKernel(kernel: HostKernel): KernelFactorization {
  checkKernel(kernel);
  refusePointwise(kernel);
  return factorization(kernel);
}

/**
 * Optimal rank-K vertical/horizontal factorisation of a conv kernel (HWIO [kh, kw, C, N], kh or kw > 1;
 * kh ≠ kw works with the same map): the truncated SVD of the (C·kh)×(N·kw) kernel matrix, so the
 * residual ‖W − W̃‖²_F is the sum of the discarded σ² and no other pair of factors does better
 * (Eckart–Young). A 1×1 kernel is refused: use `decomposePointwise`.
 */
export function decomposeKernel(kernel: HostKernel, rank: number): Decomposition {
  checkKernel(kernel);
  refusePointwise(kernel);
  checkRank(kernelSize(kernel.shape), rank); // before the SVD: a bad rank fails fast
  return factorization(kernel).decompose(rank);
}

/** Rank-K split of a 1×1 conv (the plain SVD of its C×N matrix) into two 1×1 convs C→K and K→N. */
export function decomposePointwise(kernel: HostKernel, rank: number): Decomposition {
  checkKernel(kernel);
  if (kernel.shape[0] !== 1 || kernel.shape[1] !== 1) {
    throw new Error(
      `decomposePointwise needs a 1×1 kernel, got a ${describeKernel(kernel.shape)}: use decomposeKernel for kernels larger than 1×1.`,
    );
  }
  checkRank(kernelSize(kernel.shape), rank);
  return factorization(kernel).decompose(rank);
}

/**
 * W̃[i, j, c, n] = Σ_k vertical[i, 0, c, k]·horizontal[0, j, k, n]: the kernel the vertical/horizontal
 * pair computes (HWIO [kh, kw, C, N], float64).
 */
export function reconstructKernel(vertical: HostKernel, horizontal: HostKernel): HostKernel {
  checkKernel(vertical, "vertical kernel");
  checkKernel(horizontal, "horizontal kernel");
  const [kh, one, C, K] = vertical.shape;
  const [oneH, kw, K2, N] = horizontal.shape;
  if (one !== 1 || oneH !== 1 || K !== K2) {
    throw new Error(
      `reconstructKernel expects vertical [kh, 1, C, K] and horizontal [1, kw, K, N] with the same K, ` +
        `got [${vertical.shape.join(", ")}] and [${horizontal.shape.join(", ")}].`,
    );
  }
  const out = new Float64Array(kh * kw * C * N);
  const v = vertical.data;
  const h = horizontal.data;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < C; c++) {
        const o = ((i * kw + j) * C + c) * N;
        for (let k = 0; k < K; k++) {
          const a = v[(i * C + c) * K + k];
          if (a === 0) continue;
          const hb = (j * K + k) * N;
          for (let n = 0; n < N; n++) out[o + n] += a * h[hb + n];
        }
      }
    }
  }
  return { data: out, shape: [kh, kw, C, N] };
}

/** All singular values of the kernel matrix (descending), e.g. for spectrum plots. Any kernel size. */
export function singularValuesOfKernel(kernel: HostKernel): Float64Array {
  return singularValues(kernelToMatrix(kernel));
}

/** ‖W‖²_F of a kernel (= Σσ²), for relative errors. */
export function kernelEnergy(kernel: HostKernel): number {
  let s = 0;
  for (let i = 0; i < kernel.data.length; i++) s += kernel.data[i] * kernel.data[i];
  return s;
}

