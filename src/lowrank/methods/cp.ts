import { createRng } from "../../data/prng";
import { outputSize, type ConvSpec, type LayerCost } from "../cost";
import { kernelEnergy } from "../decompose";
import type { FactorizationMethod, FactorizedKernel, KernelAnalysis, Rank } from "../factorization";
import { checkKernel, describeKernel, type HostKernel } from "../host-kernel";
import type { KernelSize } from "../rank-bounds";

/**
 * CP decomposition of a conv kernel (Lebedev et al. 2015): W[i, j, c, n] ≈ Σ_r A[c, r]·Y[i, r]·X[j, r]·B[n, r],
 * fitted by alternating least squares. As layers: a 1×1 conv C→R (A), a kh×1 depthwise conv (Y), a 1×kw
 * depthwise conv (X), and a 1×1 conv R→N (B). Unlike Tai's and Tucker's, no closed form exists and the
 * best rank-R fit may not even exist (degenerate CP): the fit reports whether it converged, and refuses NaN.
 */
export interface CpFactors {
  /** [1, 1, C, R] */
  first: HostKernel;
  /** [kh, 1, R, 1]: depthwise, one vertical filter per channel. */
  vertical: HostKernel;
  /** [1, kw, R, 1] */
  horizontal: HostKernel;
  /** [1, 1, R, N] */
  last: HostKernel;
  rank: number;
  residual: number;
  fit: { iterations: number; converged: boolean; seconds: number };
}

export interface CpOptions {
  /** Most ALS sweeps. Default 200. */
  maxIterations?: number;
  /** Converged when a sweep lowers ‖W − W̃‖² by less than this fraction of ‖W‖². Default 1e-8. */
  tolerance?: number;
  /** Seed of the random start. Default 0. */
  seed?: number;
}

/** The largest useful CP rank: beyond it the four convs cost more multiply-adds per pixel than the dense conv. */
export function cpMaxRank(size: KernelSize): number {
  return Math.max(1, Math.floor((size.kh * size.kw * size.inC * size.outC) / (size.inC + size.outC + size.kh + size.kw)));
}

function checkCpRank(size: KernelSize, rank: Rank, layer?: string): number {
  const where = layer ? `Layer '${layer}' (${describeKernel([size.kh, size.kw, size.inC, size.outC])})` : `A ${describeKernel([size.kh, size.kw, size.inC, size.outC])}`;
  const max = cpMaxRank(size);
  if (typeof rank !== "number" || !Number.isInteger(rank) || rank < 1 || rank > max) {
    throw new Error(`${where}: a cp rank must be an integer in [1, ${max}] (above ${max} the CP layers cost more than the dense conv), got ${JSON.stringify(rank)}.`);
  }
  return rank;
}

/** MTTKRP: for mode m, M[k, r] = Σ over the other indices of W · Π_{q≠m} F_q[index_q, r]. */
function mttkrp(w: ArrayLike<number>, dims: readonly number[], f: Float64Array[], mode: number, R: number): Float64Array {
  const out = new Float64Array(dims[mode] * R);
  const p = new Float64Array(R);
  const [d0, d1, d2, d3] = dims;
  let idx = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++) {
        for (let r = 0; r < R; r++) p[r] = (mode !== 0 ? f[0][a * R + r] : 1) * (mode !== 1 ? f[1][b * R + r] : 1) * (mode !== 2 ? f[2][c * R + r] : 1);
        const row = (mode === 0 ? a : mode === 1 ? b : c) * R;
        for (let d = 0; d < d3; d++, idx++) {
          const x = w[idx];
          if (x === 0) continue;
          if (mode === 3) for (let r = 0; r < R; r++) out[d * R + r] += x * p[r];
          else for (let r = 0; r < R; r++) out[row + r] += x * p[r] * f[3][d * R + r];
        }
      }
    }
  }
  return out;
}

function gram(f: Float64Array, rows: number, R: number): Float64Array {
  const g = new Float64Array(R * R);
  for (let i = 0; i < rows; i++) for (let r = 0; r < R; r++) for (let s = r; s < R; s++) g[r * R + s] += f[i * R + r] * f[i * R + s];
  for (let r = 0; r < R; r++) for (let s = 0; s < r; s++) g[r * R + s] = g[s * R + r];
  return g;
}

/** Solve X·H = M for X (rows × R), H symmetric positive (semi)definite, by Cholesky with a tiny ridge. */
function solveRight(m: Float64Array, rows: number, h: Float64Array, R: number): Float64Array {
  let trace = 0;
  for (let r = 0; r < R; r++) trace += h[r * R + r];
  const l = Float64Array.from(h);
  for (let r = 0; r < R; r++) l[r * R + r] += 1e-12 * (trace / R) + 1e-300;
  for (let j = 0; j < R; j++) {
    let d = l[j * R + j];
    for (let k = 0; k < j; k++) d -= l[j * R + k] * l[j * R + k];
    if (!(d > 0)) throw new Error("not positive definite");
    const djj = Math.sqrt(d);
    l[j * R + j] = djj;
    for (let i = j + 1; i < R; i++) {
      let s = l[i * R + j];
      for (let k = 0; k < j; k++) s -= l[i * R + k] * l[j * R + k];
      l[i * R + j] = s / djj;
    }
  }
  const x = new Float64Array(rows * R);
  const y = new Float64Array(R);
  for (let row = 0; row < rows; row++) {
    // H = L·Lᵀ; x·H = m ⇔ H·xᵀ = mᵀ: forward then back substitution.
    for (let i = 0; i < R; i++) {
      let s = m[row * R + i];
      for (let k = 0; k < i; k++) s -= l[i * R + k] * y[k];
      y[i] = s / l[i * R + i];
    }
    for (let i = R - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < R; k++) s -= l[k * R + i] * x[row * R + k];
      x[row * R + i] = s / l[i * R + i];
    }
  }
  return x;
}

/** W̃ from the four factor matrices (dims [kh, kw, C, N], each dims[q] × R). */
function reconstruct(f: Float64Array[], dims: readonly number[], R: number): Float64Array {
  const [d0, d1, d2, d3] = dims;
  const out = new Float64Array(d0 * d1 * d2 * d3);
  const p = new Float64Array(R);
  let idx = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++) {
        for (let r = 0; r < R; r++) p[r] = f[0][a * R + r] * f[1][b * R + r] * f[2][c * R + r];
        for (let d = 0; d < d3; d++, idx++) {
          let s = 0;
          for (let r = 0; r < R; r++) s += p[r] * f[3][d * R + r];
          out[idx] = s;
        }
      }
    }
  }
  return out;
}

/** CP factors of `kernel` at rank R by ALS from a seeded random start (see CpFactors). */
export function cpDecompose(kernel: HostKernel, rank: number, options: CpOptions = {}): CpFactors {
  checkKernel(kernel);
  const dims = kernel.shape;
  const [kh, kw, C, N] = dims;
  const R = checkCpRank({ kh, kw, inC: C, outC: N }, rank);
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-8;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) throw new Error(`cp: maxIterations must be a positive integer, got ${options.maxIterations}.`);
  const t0 = performance.now();
  const energy = kernelEnergy(kernel);
  const rng = createRng(options.seed ?? 0, 7);
  const f = dims.map((d) => Float64Array.from({ length: d * R }, () => 2 * rng.next() - 1));
  let previous = Number.POSITIVE_INFINITY;
  let residual = energy;
  let iterations = 0;
  let converged = false;
  for (let it = 1; it <= maxIterations; it++) {
    iterations = it;
    let m = new Float64Array(0);
    for (let mode = 0; mode < 4; mode++) {
      m = mttkrp(kernel.data, dims, f, mode, R);
      const h = new Float64Array(R * R).fill(1);
      for (let q = 0; q < 4; q++) {
        if (q === mode) continue;
        const g = gram(f[q], dims[q], R);
        for (let i = 0; i < R * R; i++) h[i] *= g[i];
      }
      try {
        f[mode] = solveRight(m, dims[mode], h, R);
      } catch {
        throw new Error(`cp ALS broke down at sweep ${it} (a singular normal matrix) for a ${describeKernel(dims)} at rank ${R}: the rank is likely too high for this kernel; use a lower rank, or the tucker2 or tai method.`);
      }
      // Keep the factors' scales balanced: all but the last carry unit columns, the last the weights.
      if (mode < 3) {
        for (let r = 0; r < R; r++) {
          let norm = 0;
          for (let i = 0; i < dims[mode]; i++) norm += f[mode][i * R + r] ** 2;
          norm = Math.sqrt(norm);
          if (norm > 0) for (let i = 0; i < dims[mode]; i++) f[mode][i * R + r] /= norm;
        }
      }
    }
    // ‖W − W̃‖² = ‖W‖² − 2⟨W, W̃⟩ + ‖W̃‖², with ⟨W, W̃⟩ from the last MTTKRP and ‖W̃‖² from the Gram matrices.
    let inner = 0;
    for (let i = 0; i < m.length; i++) inner += m[i] * f[3][i];
    const h = new Float64Array(R * R).fill(1);
    for (let q = 0; q < 4; q++) {
      const g = gram(f[q], dims[q], R);
      for (let i = 0; i < R * R; i++) h[i] *= g[i];
    }
    const fitted = h.reduce((a, x) => a + x, 0);
    residual = Math.max(0, energy - 2 * inner + fitted);
    if (!Number.isFinite(residual) || f.some((x) => x.some((v) => !Number.isFinite(v)))) {
      throw new Error(`cp ALS met NaN or infinity at sweep ${it} for a ${describeKernel(dims)} at rank ${R}: use a lower rank, or the tucker2 or tai method.`);
    }
    if (previous - residual < tolerance * energy) {
      converged = true;
      break;
    }
    previous = residual;
  }
  const w = reconstruct(f, dims, R);
  residual = 0;
  for (let i = 0; i < w.length; i++) residual += (kernel.data[i] - w[i]) ** 2;
  const [Y, X, A, B] = f;
  const last = new Float64Array(R * N);
  for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) last[r * N + n] = B[n * R + r];
  return {
    first: { data: A, shape: [1, 1, C, R] },
    vertical: { data: Y, shape: [kh, 1, R, 1] },
    horizontal: { data: X, shape: [1, kw, R, 1] },
    last: { data: last, shape: [1, 1, R, N] },
    rank: R,
    residual,
    fit: { iterations, converged, seconds: (performance.now() - t0) / 1000 },
  };
}

/** W̃[i, j, c, n] = Σ_r first[c, r]·vertical[i, r]·horizontal[j, r]·last[r, n] (HWIO, float64). */
export function cpReconstruct(f: Pick<CpFactors, "first" | "vertical" | "horizontal" | "last">): HostKernel {
  const [, , C, R] = f.first.shape;
  const kh = f.vertical.shape[0];
  const kw = f.horizontal.shape[1];
  const N = f.last.shape[3];
  const b = new Float64Array(N * R);
  for (let r = 0; r < R; r++) for (let n = 0; n < N; n++) b[n * R + r] = f.last.data[r * N + n];
  return { data: reconstruct([Float64Array.from(f.vertical.data), Float64Array.from(f.horizontal.data), Float64Array.from(f.first.data), b], [kh, kw, C, N], R), shape: [kh, kw, C, N] };
}

/** Multiply-adds and parameters of the four convs at rank R (the first 1×1 at the input's resolution; the vertical depthwise keeps every column; strided depthwise convs computed at stride 1). */
export function cpCost(spec: ConvSpec, rank: Rank): LayerCost {
  const R = checkCpRank(spec, rank);
  const outH = outputSize(spec.inH, spec.kh, spec.strideH, spec.padding);
  const outW = outputSize(spec.inW, spec.kw, spec.strideW, spec.padding);
  // Each depthwise conv runs at stride 1 and is then subsampled (TensorFlow's depthwise kernel takes equal strides only).
  const rows1 = outputSize(spec.inH, spec.kh, 1, spec.padding);
  const cols1 = outputSize(spec.inW, spec.kw, 1, spec.padding);
  const macs = spec.inH * spec.inW * spec.inC * R + rows1 * spec.inW * spec.kh * R + outH * cols1 * spec.kw * R + outH * outW * R * spec.outC;
  const params = spec.inC * R + spec.kh * R + spec.kw * R + R * spec.outC + (spec.bias ? spec.outC : 0);
  return { macs, params, outH, outW };
}

/** CP by ALS as a FactorizationMethod. */
export function cpMethod(options: CpOptions = {}): FactorizationMethod {
  return {
    name: "cp",
    description: "1×1 conv C→R, kh×1 and 1×kw depthwise convs, 1×1 conv R→N (CP decomposition by ALS, Lebedev et al. 2015)",
    refusal(size: KernelSize): string | null {
      if (size.kh === 1 && size.kw === 1) return "it is a 1×1 conv: CP's depthwise convs would be 1×1 (the svd method splits it into two 1×1 convs)";
      return null;
    },
    maxRank: cpMaxRank,
    checkRank(size: KernelSize, rank: Rank, layer?: string): void {
      checkCpRank(size, rank, layer);
    },
    ranks: (size: KernelSize) => Array.from({ length: cpMaxRank(size) }, (_, i) => i + 1),
    cost: cpCost,
    analyze(kernel: HostKernel): KernelAnalysis {
      const energy = kernelEnergy(kernel);
      return {
        energy,
        factor(rank: Rank): FactorizedKernel {
          const f = cpDecompose(kernel, rank as number, options);
          return { rank: f.rank, factors: { first: f.first, vertical: f.vertical, horizontal: f.horizontal, last: f.last }, residual: f.residual, energy, fit: f.fit };
        },
      };
    },
  };
}

export const cp: FactorizationMethod = cpMethod();
