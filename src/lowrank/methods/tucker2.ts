import { outputSize, type ConvSpec, type LayerCost } from "../cost";
import { kernelEnergy } from "../decompose";
import type { FactorizationMethod, FactorizedKernel, KernelAnalysis, Rank } from "../factorization";
import { checkKernel, type HostKernel } from "../host-kernel";
import type { Matrix } from "../matrix";
import type { KernelSize } from "../rank-bounds";
import { svdFactorize } from "../svd";

/** Tucker-2 ranks: R1 channels after the first 1×1 conv, R2 out of the core. */
export type Tucker2Rank = readonly [number, number];

/**
 * Tucker-2 of a kernel W [kh, kw, C, N] on its two channel modes (Kim et al. 2016):
 * W ≈ G ×_C U ×_N V with U (C×R1) and V (N×R2) orthonormal and the core G [kh, kw, R1, R2] = W ×_C Uᵀ ×_N Vᵀ.
 * As layers: a 1×1 conv C→R1 (kernel U), the kh×kw core conv R1→R2 with the original strides and padding,
 * and a 1×1 conv R2→N (kernel Vᵀ). With orthonormal factors the error is ‖W‖²_F − ‖G‖²_F.
 */
export interface Tucker2Factors {
  /** [1, 1, C, R1] */
  first: HostKernel;
  /** [kh, kw, R1, R2] */
  core: HostKernel;
  /** [1, 1, R2, N] */
  last: HostKernel;
  rank: Tucker2Rank;
  residual: number;
}

function checkTucker2Rank(size: KernelSize, rank: Rank, layer?: string): Tucker2Rank {
  const where = layer ? `Layer '${layer}' (${size.kh}×${size.kw} conv ${size.inC}→${size.outC})` : `A ${size.kh}×${size.kw} conv ${size.inC}→${size.outC}`;
  if (typeof rank === "number" || rank.length !== 2) {
    throw new Error(`${where}: tucker2 takes two ranks [R1, R2] (input and output channel modes), got ${JSON.stringify(rank)}.`);
  }
  const [r1, r2] = rank;
  if (!(Number.isInteger(r1) && r1 >= 1 && r1 <= size.inC) || !(Number.isInteger(r2) && r2 >= 1 && r2 <= size.outC)) {
    throw new Error(`${where}: tucker2 ranks must be integers with 1 ≤ R1 ≤ ${size.inC} and 1 ≤ R2 ≤ ${size.outC}, got [${r1}, ${r2}].`);
  }
  return [r1, r2];
}

/** Gram matrix A·Aᵀ of the mode-`mode` unfolding of a 4-D tensor (row-major shape), as a rows×rows matrix. */
function modeGram(data: Float64Array | Float32Array, shape: readonly number[], mode: number): Matrix {
  const n = shape[mode];
  const g = new Float64Array(n * n);
  const strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const stride = strides[mode];
  // Every fibre along `mode`: the other three indices fixed; accumulate its outer product.
  const fibre = new Float64Array(n);
  const others = [0, 1, 2, 3].filter((m) => m !== mode);
  for (let a = 0; a < shape[others[0]]; a++) {
    for (let b = 0; b < shape[others[1]]; b++) {
      for (let c = 0; c < shape[others[2]]; c++) {
        const base = a * strides[others[0]] + b * strides[others[1]] + c * strides[others[2]];
        for (let i = 0; i < n; i++) fibre[i] = data[base + i * stride];
        for (let i = 0; i < n; i++) {
          const fi = fibre[i];
          if (fi === 0) continue;
          const row = i * n;
          for (let j = i; j < n; j++) g[row + j] += fi * fibre[j];
        }
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return { data: g, rows: n, cols: n };
}

/** The leading `r` eigenvectors of a symmetric PSD matrix (its left singular vectors), as a rows×r matrix. */
function leading(gram: Matrix, r: number): Float64Array {
  return svdFactorize(gram).vectors(r).u.data;
}

/** Contract the channel modes: T[i, j, a, b] = Σ_c Σ_n W[i, j, c, n]·A[c, a]·B[n, b] (A: C×p, B: N×q, row-major). */
function contract(w: Float64Array | Float32Array, [kh, kw, C, N]: readonly number[], a: Float64Array, p: number, b: Float64Array, q: number): Float64Array {
  const half = new Float64Array(kh * kw * C * q); // W ×_N Bᵀ
  for (let ij = 0; ij < kh * kw; ij++) {
    for (let c = 0; c < C; c++) {
      const wRow = (ij * C + c) * N;
      const out = (ij * C + c) * q;
      for (let n = 0; n < N; n++) {
        const x = w[wRow + n];
        if (x === 0) continue;
        for (let t = 0; t < q; t++) half[out + t] += x * b[n * q + t];
      }
    }
  }
  const core = new Float64Array(kh * kw * p * q);
  for (let ij = 0; ij < kh * kw; ij++) {
    for (let c = 0; c < C; c++) {
      const h = (ij * C + c) * q;
      for (let s = 0; s < p; s++) {
        const acs = a[c * p + s];
        if (acs === 0) continue;
        const out = (ij * p + s) * q;
        for (let t = 0; t < q; t++) core[out + t] += acs * half[h + t];
      }
    }
  }
  return core;
}

function transpose(m: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

export interface Tucker2Options {
  /** HOOI sweeps after the HOSVD start (each alternately re-fits U and V; the error never grows). Default 0: plain HOSVD. */
  hooiIterations?: number;
}

/**
 * Tucker-2 factors of `kernel` at ranks [R1, R2]: HOSVD (leading eigenvectors of each channel mode's Gram
 * matrix), optionally refined by HOOI. Full ranks [C, N] reconstruct the kernel exactly.
 */
export function tucker2Decompose(kernel: HostKernel, rank: Tucker2Rank, options: Tucker2Options = {}): Tucker2Factors {
  checkKernel(kernel);
  const [kh, kw, C, N] = kernel.shape;
  const [r1, r2] = checkTucker2Rank({ kh, kw, inC: C, outC: N }, rank);
  const iterations = options.hooiIterations ?? 0;
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw new Error(`hooiIterations must be a whole number ≥ 0, got ${options.hooiIterations}.`);
  let u = leading(modeGram(kernel.data, kernel.shape, 2), r1); // C×R1
  let v = leading(modeGram(kernel.data, kernel.shape, 3), r2); // N×R2
  for (let t = 0; t < iterations; t++) {
    const eyeC = identity(C);
    const eyeN = identity(N);
    // U from W ×_N Vᵀ (kh, kw, C, R2), then V from W ×_C Uᵀ (kh, kw, R1, N).
    u = leading(modeGram(contract(kernel.data, kernel.shape, eyeC, C, v, r2), [kh, kw, C, r2], 2), r1);
    v = leading(modeGram(contract(kernel.data, kernel.shape, u, r1, eyeN, N), [kh, kw, r1, N], 3), r2);
  }
  const core = contract(kernel.data, kernel.shape, u, r1, v, r2);
  const residual = Math.max(0, kernelEnergy(kernel) - kernelEnergy({ data: core, shape: [kh, kw, r1, r2] }));
  return {
    first: { data: u, shape: [1, 1, C, r1] },
    core: { data: core, shape: [kh, kw, r1, r2] },
    last: { data: transpose(v, N, r2), shape: [1, 1, r2, N] },
    rank: [r1, r2],
    residual,
  };
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/** W̃ = G ×_C U ×_N V: the kernel the three convs compute (HWIO, float64). */
export function tucker2Reconstruct(f: Pick<Tucker2Factors, "first" | "core" | "last">): HostKernel {
  const [kh, kw, r1, r2] = f.core.shape;
  const C = f.first.shape[2];
  const N = f.last.shape[3];
  // G ×_C U: contract with Uᵀ (R1×C) over R1; then with V (R2×N as stored in `last`) over R2.
  return { data: contract(f.core.data, f.core.shape, transpose(f.first.data as Float64Array, C, r1), C, f.last.data as Float64Array, N), shape: [kh, kw, C, N] };
}

/** Multiply-adds and parameters of the three convs at ranks [R1, R2] (the first 1×1 runs at the input's resolution). */
export function tucker2Cost(spec: ConvSpec, rank: Rank): LayerCost & { first: LayerCost; core: LayerCost; last: LayerCost } {
  const [r1, r2] = checkTucker2Rank(spec, rank);
  const outH = outputSize(spec.inH, spec.kh, spec.strideH, spec.padding);
  const outW = outputSize(spec.inW, spec.kw, spec.strideW, spec.padding);
  const first = { macs: spec.inH * spec.inW * spec.inC * r1, params: spec.inC * r1, outH: spec.inH, outW: spec.inW };
  const core = { macs: outH * outW * spec.kh * spec.kw * r1 * r2, params: spec.kh * spec.kw * r1 * r2, outH, outW };
  const last = { macs: outH * outW * r2 * spec.outC, params: r2 * spec.outC + (spec.bias ? spec.outC : 0), outH, outW };
  return { macs: first.macs + core.macs + last.macs, params: first.params + core.params + last.params, outH, outW, first, core, last };
}

/** Tucker-2 as a FactorizationMethod, with HOOI sweeps after HOSVD when asked. */
export function tucker2Method(options: Tucker2Options = {}): FactorizationMethod {
  return {
    name: "tucker2",
    description: "1×1 conv C→R1, kh×kw core conv R1→R2, 1×1 conv R2→N (Tucker-2 on the channel modes, HOSVD" + (options.hooiIterations ? ` + ${options.hooiIterations} HOOI sweeps)` : ")"),
    refusal(size: KernelSize): string | null {
      if (size.kh === 1 && size.kw === 1) return "it is a 1×1 conv: Tucker-2's core would be one more 1×1 conv (decomposePointwise(kernel, rank) splits it into two 1×1 convs)";
      return null;
    },
    maxRank: (size: KernelSize): Rank => [size.inC, size.outC],
    checkRank(size: KernelSize, rank: Rank, layer?: string): void {
      checkTucker2Rank(size, rank, layer);
    },
    /** Ranks keeping the same share of both channel modes, R2 ≈ R1·N/C: one path from cheapest to full, for speed-up rules. */
    ranks(size: KernelSize): Rank[] {
      const seen = new Set<string>();
      const out: Rank[] = [];
      for (let r1 = 1; r1 <= size.inC; r1++) {
        const r: Tucker2Rank = [r1, Math.min(size.outC, Math.max(1, Math.round((r1 * size.outC) / size.inC)))];
        if (!seen.has(r.join())) out.push(r);
        seen.add(r.join());
      }
      return out;
    },
    cost: (spec: ConvSpec, rank: Rank) => tucker2Cost(spec, rank),
    analyze(kernel: HostKernel): KernelAnalysis {
      const energy = kernelEnergy(kernel);
      return {
        energy,
        factor(rank: Rank): FactorizedKernel {
          const f = tucker2Decompose(kernel, rank as Tucker2Rank, options);
          return { rank: f.rank, factors: { first: f.first, core: f.core, last: f.last }, residual: f.residual, energy };
        },
      };
    },
  };
}

/** Tucker-2 by HOSVD: the `tucker2` method of plans and the CLI. */
export const tucker2: FactorizationMethod = tucker2Method();
