import { gemm } from "./svd-gemm";
import { givens } from "./svd-bdsqr";
import { reflector } from "./svd-bidiagonal";
import { formT, NB as T_STRIDE } from "./svd-householder";
import { parallelGemm, sharedFloat64 } from "./svd-parallel";

/**
 * Two-stage bidiagonalisation for singular values only (the route of LAPACK's dgesvd_2stage): the
 * one-stage reduction (svd-bidiagonal.ts) spends half its flops in matrix–vector products, which run at
 * scalar speed here; this one spends nearly all of them in matrix products.
 * 1. `reduceToBand`: dense m×n (m ≥ n) → upper band of width b by Householder QR of each column panel and LQ of
 *    each row panel, every update of the rest of the matrix applied as block reflectors (I − V·T·Vᵀ, two
 *    matrix products each): ≈ 4mn² − 4n³/3 flops, as many as one stage.
 * 2. `bandToBidiagonal`: the band → bidiagonal by Givens rotations, each entry outside the bidiagonal
 *    zeroed and the bulge it creates chased down the band: ≈ 6·b·n² flops on a copy of the band that
 *    stays in cache.
 * The singular values of the result are those of A (orthogonal transformations only).
 */

/** Band width: wider panels make longer matrix products in stage 1 and proportionally more work in stage 2. */
export const BAND = 32;

/**
 * Reduce the row-major m×n `w` (m ≥ n) in place to upper band form: afterwards w[i, j] = 0 unless
 * i ≤ j ≤ i + b (rows ≥ n are zero). The updates run on every core when `w` is in shared memory.
 */
export function reduceToBand(w: Float64Array, m: number, n: number, b = BAND): void {
  if (b > T_STRIDE) throw new Error(`reduceToBand: band width ${b} exceeds ${T_STRIDE}.`);
  const alloc = (length: number) => (w.buffer instanceof SharedArrayBuffer ? sharedFloat64(length) : new Float64Array(length));
  const vectors = alloc(b * Math.max(m, n)); // reflector q as row q (zeros before its unit entry)
  const prod = alloc(Math.max(b * n, m * b)); // Vᵀ·A (b×cols) or A·V (rows×b)
  const prodT = alloc(Math.max(b * n, m * b));
  const tau = new Float64Array(b);
  const first = new Int32Array(b);
  const t = new Float64Array(T_STRIDE * T_STRIDE);
  const dots = new Float64Array(T_STRIDE);
  const sums = new Float64Array(n);
  for (let k0 = 0; k0 < n; k0 += b) {
    const nb = Math.min(b, n - k0);
    const rows = m - k0;
    const c0 = k0 + nb;
    const cols = n - c0;
    // QR of the column panel w[k0:, k0:c0]: A = Q·R, Q = H_0·…·H_{nb−1}.
    vectors.fill(0, 0, nb * rows);
    for (let j = 0; j < nb; j++) {
      const p = k0 + j;
      const v = j * rows;
      const tj = (tau[j] = moveReflector(w, p * n + p, m - p - 1, n, vectors, v + j));
      first[j] = j;
      // The panel's later columns: w[p:, p+1:c0] −= τ·v·(vᵀ·w[p:, p+1:c0]).
      if (tj !== 0 && p + 1 < c0) {
        sums.fill(0, p + 1, c0);
        for (let r = p; r < m; r++) {
          const vr = vectors[v + r - k0];
          if (vr !== 0) for (let c = p + 1, o = r * n; c < c0; c++) sums[c] += vr * w[o + c];
        }
        for (let r = p; r < m; r++) {
          const f = tj * vectors[v + r - k0];
          if (f !== 0) for (let c = p + 1, o = r * n; c < c0; c++) w[o + c] -= f * sums[c];
        }
      }
    }
    if (cols === 0) break;
    // w[k0:, c0:] ← Qᵀ·w[k0:, c0:] = (I − V·Tᵀ·Vᵀ)·w[k0:, c0:].
    formT(vectors, rows, tau, 0, nb, first, t, dots);
    prod.fill(0, 0, nb * cols);
    prodT.fill(0, 0, nb * cols);
    parallelGemm(nb, cols, rows, 1, vectors, 0, rows, 1, w, k0 * n + c0, n, 1, prod, 0, cols);
    gemm(nb, cols, nb, 1, t, 0, 1, T_STRIDE, prod, 0, cols, 1, prodT, 0, cols);
    parallelGemm(rows, cols, nb, -1, vectors, 0, 1, rows, prodT, 0, cols, 1, w, k0 * n + c0, n);

    // LQ of the row panel w[k0:c0, c0:]: it becomes [L 0], L lower triangular; A·G_0·…·G_{r−1}.
    const nr = Math.min(nb, cols);
    vectors.fill(0, 0, nr * cols);
    for (let q = 0; q < nr; q++) {
      const i = k0 + q;
      const c = c0 + q;
      const v = q * cols;
      const tq = (tau[q] = moveReflector(w, i * n + c, n - c - 1, 1, vectors, v + q));
      first[q] = q;
      // The panel's later rows: w[i+1:c0, c:] −= τ·(w[i+1:c0, c:]·v)·vᵀ.
      if (tq === 0) continue;
      for (let r = i + 1; r < c0; r++) {
        const o = r * n;
        let s = 0;
        for (let x = c; x < n; x++) s += w[o + x] * vectors[v + x - c0];
        const f = tq * s;
        if (f !== 0) for (let x = c; x < n; x++) w[o + x] -= f * vectors[v + x - c0];
      }
    }
    // w[c0:, c0:] ← w[c0:, c0:]·(I − V·T·Vᵀ), V's columns the LQ reflectors.
    const below = m - c0;
    formT(vectors, cols, tau, 0, nr, first, t, dots);
    prod.fill(0, 0, below * nr);
    prodT.fill(0, 0, below * nr);
    parallelGemm(below, nr, cols, 1, w, c0 * n + c0, n, 1, vectors, 0, 1, cols, prod, 0, nr);
    gemm(below, nr, nr, 1, prod, 0, nr, 1, t, 0, T_STRIDE, 1, prodT, 0, nr);
    parallelGemm(below, cols, nr, -1, prodT, 0, nr, 1, vectors, 0, cols, 1, w, c0 * n + c0, n);
  }
}

/**
 * The reflector that maps w[at] and the `count` entries after it (`stride` apart) to [β, 0…]: β stays at
 * w[at], the rest of w's entries become 0, and v = [1, tail] goes to vectors[to…]. Returns τ.
 */
function moveReflector(w: Float64Array, at: number, count: number, stride: number, vectors: Float64Array, to: number): number {
  const [tau, beta] = reflector(w, at, at + stride, count, stride);
  vectors[to] = 1;
  for (let i = 1, j = at + stride; i <= count; i++, j += stride) {
    vectors[to + i] = w[j];
    w[j] = 0;
  }
  w[at] = beta;
  return tau;
}

/**
 * The upper band (width b) in the top n×n of the row-major `w` (row length `ldw`) → upper bidiagonal
 * (d, e) with the same singular values. Row i of the band is copied to ab[i·W + (j − i + 1)] for
 * i − 1 ≤ j ≤ i + b + 1, W = b + 3: the one sub-diagonal bulge and the one entry beyond the band that the
 * chase creates fit.
 */
export function bandToBidiagonal(w: Float64Array, n: number, ldw: number, b: number, d: Float64Array, e: Float64Array): void {
  const W = b + 3;
  const ab = new Float64Array(n * W);
  for (let i = 0; i < n; i++) for (let j = i; j <= Math.min(i + b, n - 1); j++) ab[i * W + j - i + 1] = w[i * ldw + j];
  const at = (i: number, j: number) => i * W + j - i + 1;
  const rot = new Float64Array(3);
  // Right rotation of columns (c − 1, c) over rows lo..hi, chosen to zero entry (zr, c).
  const rotateColumns = (c: number, zr: number, lo: number, hi: number) => {
    const y = ab[at(zr, c)];
    if (y === 0) return;
    givens(ab[at(zr, c - 1)], y, rot);
    const cs = rot[0];
    const sn = rot[1];
    for (let i = lo; i <= hi; i++) {
      const p = i * W + c - i; // (i, c − 1)
      const a1 = ab[p];
      const a2 = ab[p + 1];
      ab[p] = cs * a1 + sn * a2;
      ab[p + 1] = cs * a2 - sn * a1;
    }
    ab[at(zr, c)] = 0;
  };
  // Left rotation of rows (r − 1, r) over columns r − 1..hi, chosen to zero the bulge (r, r − 1).
  const rotateRows = (r: number, hi: number) => {
    const y = ab[at(r, r - 1)];
    if (y === 0) return;
    givens(ab[at(r - 1, r - 1)], y, rot);
    const cs = rot[0];
    const sn = rot[1];
    for (let j = r - 1; j <= hi; j++) {
      const p1 = (r - 1) * W + j - r + 2;
      const p2 = r * W + j - r + 1;
      const a1 = ab[p1];
      const a2 = ab[p2];
      ab[p1] = cs * a1 + sn * a2;
      ab[p2] = cs * a2 - sn * a1;
    }
    ab[at(r, r - 1)] = 0;
  };
  for (let i = 0; i + 2 < n; i++) {
    for (let j = Math.min(i + b, n - 1); j >= i + 2; j--) {
      if (ab[at(i, j)] === 0) continue;
      rotateColumns(j, i, i, j);
      // Chase the bulge at (r, r − 1) down the band.
      for (let r = j; ; ) {
        rotateRows(r, Math.min(r + b, n - 1));
        const c = r + b;
        if (c > n - 1) break;
        rotateColumns(c, r - 1, r - 1, c);
        r = c;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    d[i] = ab[at(i, i)];
    if (i + 1 < n) e[i] = ab[at(i, i + 1)];
  }
}
