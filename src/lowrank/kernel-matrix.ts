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
