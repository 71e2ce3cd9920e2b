import { createRng } from "../../data/prng";
import { lowRankCost, type ConvSpec } from "../cost";
import { kernelEnergy } from "../decompose";
import type { FactorizationMethod, FactorizedKernel, Rank } from "../factorization";
import { checkKernel, describeKernel, type HostKernel } from "../host-kernel";
import { factorsToKernels, kernelsToFactors, kernelToMatrix } from "../kernel-matrix";
import { matMul, transpose, type Matrix } from "../matrix";
import { checkRank, kernelSize, maxRank, type KernelSize } from "../rank-bounds";
import { tai } from "./tai";

export interface IterativeFitOptions {
  /** Most sweeps, each updating both factors. Default 300. */
  maxIterations?: number;
  /** Converged when one sweep lowers the residual by less than this fraction of ‖W‖². Default 1e-10. */
  tolerance?: number;
  /** Seed of the random initial factors. Default 0. */
  seed?: number;
  /** Start from these V/H kernels (e.g. an earlier fit) instead of random ones. */
  init?: { vertical: HostKernel; horizontal: HostKernel };
}

/** The state after one sweep. */
export interface FitIteration {
  iteration: number;
  /** ‖W − W̃‖²_F after the sweep. */
  residual: number;
  /** Seconds since the fit started. */
  seconds: number;
}

export interface IterativeFit {
  vertical: HostKernel;
  horizontal: HostKernel;
  rank: number;
  residual: number;
  energy: number;
  /** One record per sweep, in order. */
  trace: FitIteration[];
  converged: boolean;
}

/** ‖M − A·Bᵀ‖²_F, summed directly (no cancellation near the optimum). */
function residualOf(m: Matrix, a: Matrix, b: Matrix): number {
  const K = a.cols;
  let s = 0;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      let v = m.data[r * m.cols + c];
      for (let k = 0; k < K; k++) v -= a.data[r * K + k] * b.data[c * K + k];
      s += v * v;
    }
  }
  return s;
}

/**
 * The least-squares update of one factor: X = Y·G⁻¹ with G = FᵀF (K×K, symmetric positive
 * semi-definite), by Cholesky with a tiny ridge so a rank-deficient F does not break it.
 */
function solveRight(y: Matrix, f: Matrix): Matrix {
  const K = f.cols;
  const g = matMul(transpose(f), f).data;
  let trace = 0;
  for (let k = 0; k < K; k++) trace += g[k * K + k];
  const ridge = 1e-12 * (trace / K) + 1e-300;
  const l = new Float64Array(K * K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * K + j] + (i === j ? ridge : 0);
      for (let p = 0; p < j; p++) s -= l[i * K + p] * l[j * K + p];
      l[i * K + j] = i === j ? Math.sqrt(Math.max(s, ridge)) : s / l[j * K + j];
    }
  }
  const out = new Float64Array(y.rows * K);
  const z = new Float64Array(K);
  for (let r = 0; r < y.rows; r++) {
    // G xᵀ = yᵀ: forward (L z = y), then back (Lᵀ x = z).
    for (let i = 0; i < K; i++) {
      let s = y.data[r * K + i];
      for (let p = 0; p < i; p++) s -= l[i * K + p] * z[p];
      z[i] = s / l[i * K + i];
    }
    for (let i = K - 1; i >= 0; i--) {
      let s = z[i];
      for (let p = i + 1; p < K; p++) s -= l[p * K + i] * out[r * K + p];
      out[r * K + i] = s / l[i * K + i];
    }
  }
  return { data: out, rows: y.rows, cols: K };
}

function randomFactor(rows: number, cols: number, seed: number, stream: number): Matrix {
  const rng = createRng(seed, stream);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() - 0.5;
  return { data, rows, cols };
}

/**
 * Jaderberg, Vedaldi and Zisserman (2014), scheme 2, fitted to the weights: the same kh×1 then 1×kw
 * pair as Theorem 1, found iteratively by alternating least squares on the kernel matrix M ≈ A·Bᵀ (each
 * sweep solves for A with B fixed, then for B; the residual never rises). It approaches the truncated
 * SVD's residual (the global optimum) but cannot go below it; the trace records how fast.
 */
export function fitVerticalHorizontal(kernel: HostKernel, rank: number, options: IterativeFitOptions = {}): IterativeFit {
  checkKernel(kernel);
  const size = kernelSize(kernel.shape);
  checkRank(size, rank);
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-10;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) throw new Error(`maxIterations must be an integer ≥ 1, got ${maxIterations}.`);
  if (!(tolerance >= 0)) throw new Error(`tolerance must be ≥ 0, got ${tolerance}.`);
  const m = kernelToMatrix(kernel);
  const energy = kernelEnergy(kernel);
  let a: Matrix;
  let b: Matrix;
  if (options.init) {
    ({ a, b } = kernelsToFactors(options.init.vertical, options.init.horizontal));
    if (a.rows !== m.rows || b.rows !== m.cols || a.cols !== rank) {
      throw new Error(`The initial factors are for a different kernel or rank than ${describeKernel(kernel.shape)} at K = ${rank}.`);
    }
  } else {
    a = randomFactor(m.rows, rank, options.seed ?? 0, 1);
    b = randomFactor(m.cols, rank, options.seed ?? 0, 2);
  }
  const mt = transpose(m);
  const started = performance.now();
  const trace: FitIteration[] = [];
  let previous = residualOf(m, a, b);
  let converged = false;
  for (let it = 1; it <= maxIterations; it++) {
    a = solveRight(matMul(m, b), b);
    b = solveRight(matMul(mt, a), a);
    const residual = residualOf(m, a, b);
    if (!Number.isFinite(residual)) {
      throw new Error(`The iterative fit of a ${describeKernel(kernel.shape)} at K = ${rank} met a non-finite residual at iteration ${it}: check the kernel and initial factors for NaN or Inf.`);
    }
    trace.push({ iteration: it, residual, seconds: (performance.now() - started) / 1000 });
    if (previous - residual <= tolerance * energy) {
      converged = true;
      break;
    }
    previous = residual;
  }
  const { vertical, horizontal } = factorsToKernels(a, b, kernel.shape);
  return { vertical, horizontal, rank, residual: trace[trace.length - 1].residual, energy, trace, converged };
}

/** The iterative method with its own options (`METHODS.jaderberg` uses the defaults). */
export function jaderbergMethod(options: IterativeFitOptions = {}): FactorizationMethod {
  return {
    name: "jaderberg",
    description: "kh×1 vertical conv C→K, then 1×kw horizontal conv K→N (iterative least-squares fit, Jaderberg et al. 2014)",
    refusal: (size: KernelSize) => tai.refusal(size),
    maxRank,
    checkRank: (size: KernelSize, rank: Rank, layer?: string) => tai.checkRank(size, rank, layer),
    ranks: (size: KernelSize) => tai.ranks(size),
    cost: (spec: ConvSpec, rank: Rank) => lowRankCost(spec, rank as number),
    analyze(kernel: HostKernel) {
      const energy = kernelEnergy(kernel);
      return {
        energy,
        factor(rank: Rank): FactorizedKernel {
          tai.checkRank(kernelSize(kernel.shape), rank);
          const fit = fitVerticalHorizontal(kernel, rank as number, options);
          return {
            rank,
            factors: { vertical: fit.vertical, horizontal: fit.horizontal },
            residual: fit.residual,
            energy,
            fit: { iterations: fit.trace.length, converged: fit.converged, seconds: fit.trace[fit.trace.length - 1].seconds },
          };
        },
      };
    },
  };
}

export const jaderberg: FactorizationMethod = jaderbergMethod();
