import { checkKernel, HostKernel } from "./host-kernel";
import { Matrix } from "./matrix";

/**
 * The map of Theorem 1 between an HWIO kernel W[i, j, c, n] (vertical tap i < kh, horizontal tap j < kw,
 * input channel c < C, output channel n < N) and the (C·kh)×(N·kw) matrix
 *
 *   M[c·kh + i, n·kw + j] = W[i, j, c, n].
 *
 * A rank-K factorisation M ≈ A·Bᵀ (A: (C·kh)×K, B: (N·kw)×K) is then exactly a kh×1 conv C→K with taps
 * A[c·kh + i, k] followed by a 1×kw conv K→N with taps B[n·kw + j, k]. kh ≠ kw works the same way.
 */
export function kernelToMatrix(kernel: HostKernel): Matrix {
  checkKernel(kernel);
  const [kh, kw, C, N] = kernel.shape;
  const rows = C * kh;
  const cols = N * kw;
  const out = new Float64Array(rows * cols);
  const src = kernel.data;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < C; c++) {
        const s = ((i * kw + j) * C + c) * N;
        const r = (c * kh + i) * cols + j;
        for (let n = 0; n < N; n++) out[r + n * kw] = src[s + n];
      }
    }
  }
  return { data: out, rows, cols };
}

/** Inverse of `kernelToMatrix`: rebuild the HWIO kernel of the given shape (float64). */
export function matrixToKernel(m: Matrix, shape: readonly [number, number, number, number]): HostKernel {
  const [kh, kw, C, N] = shape;
  if (![kh, kw, C, N].every((s) => Number.isInteger(s) && s >= 1)) {
    throw new Error(`Kernel shape must be 4 positive integers [kh, kw, C, N], got ${JSON.stringify(shape)}.`);
  }
  if (m.rows !== C * kh || m.cols !== N * kw || m.data.length !== m.rows * m.cols) {
    throw new Error(
      `A kernel of shape [${shape.join(", ")}] needs a ${C * kh}×${N * kw} matrix (C·kh × N·kw), got ${m.rows}×${m.cols}.`,
    );
  }
  const data = new Float64Array(kh * kw * C * N);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < C; c++) {
        const d = ((i * kw + j) * C + c) * N;
        const r = (c * kh + i) * m.cols + j;
        for (let n = 0; n < N; n++) data[d + n] = m.data[r + n * kw];
      }
    }
  }
  return { data, shape: [kh, kw, C, N] };
}

/**
 * The conv pair of a factorisation M ≈ A·Bᵀ of a kernel's matrix (A: (C·kh)×K, B: (N·kw)×K): the kh×1
 * vertical kernel [kh, 1, C, K] with taps A[c·kh + i, k] and the 1×kw horizontal kernel [1, kw, K, N]
 * with taps B[n·kw + j, k]. `scale[k]` (e.g. √σ_k) multiplies column k of both.
 */
export function factorsToKernels(
  a: Matrix,
  b: Matrix,
  shape: readonly [number, number, number, number],
  scale?: ArrayLike<number>,
): { vertical: HostKernel; horizontal: HostKernel } {
  const [kh, kw, C, N] = shape;
  const K = a.cols;
  if (a.rows !== C * kh || b.rows !== N * kw || b.cols !== K) {
    throw new Error(`Factors ${a.rows}×${a.cols} and ${b.rows}×${b.cols} do not fit a kernel [${shape.join(", ")}] (need ${C * kh}×K and ${N * kw}×K).`);
  }
  const vertical = new Float64Array(kh * C * K);
  const horizontal = new Float64Array(kw * K * N);
  for (let k = 0; k < K; k++) {
    const f = scale ? scale[k] : 1;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) vertical[(i * C + c) * K + k] = a.data[(c * kh + i) * K + k] * f;
    }
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < kw; j++) horizontal[(j * K + k) * N + n] = b.data[(n * kw + j) * K + k] * f;
    }
  }
  return { vertical: { data: vertical, shape: [kh, 1, C, K] }, horizontal: { data: horizontal, shape: [1, kw, K, N] } };
}

/** Inverse of `factorsToKernels` (no scale): the factor matrices A ((C·kh)×K) and B ((N·kw)×K) of a V/H pair. */
export function kernelsToFactors(vertical: HostKernel, horizontal: HostKernel): { a: Matrix; b: Matrix } {
  const [kh, , C, K] = vertical.shape;
  const [, kw, K2, N] = horizontal.shape;
  if (vertical.shape[1] !== 1 || horizontal.shape[0] !== 1 || K !== K2) {
    throw new Error(`Expected vertical [kh, 1, C, K] and horizontal [1, kw, K, N] kernels, got [${vertical.shape.join(", ")}] and [${horizontal.shape.join(", ")}].`);
  }
  const a = new Float64Array(C * kh * K);
  const b = new Float64Array(N * kw * K);
  for (let k = 0; k < K; k++) {
    for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) a[(c * kh + i) * K + k] = vertical.data[(i * C + c) * K + k];
    for (let n = 0; n < N; n++) for (let j = 0; j < kw; j++) b[(n * kw + j) * K + k] = horizontal.data[(j * K + k) * N + n];
  }
  return { a: { data: a, rows: C * kh, cols: K }, b: { data: b, rows: N * kw, cols: K } };
}
