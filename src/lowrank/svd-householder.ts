import { gemm } from "./svd-gemm";
import { parallelGemm, workArray } from "./svd-parallel";

/** Reflectors per block: larger blocks mean longer matrix products but more work forming T (its row stride). */
export const NB = 48;

/**
 * y ← R_downTo·…·R_from·y for the rows×k row-major y and reflectors R_r = I − τ_r·v_r·v_rᵀ (v_r is row r
 * of `vectors`, rows long, zero before its first non-zero).
 *
 * Blocked as LAPACK's dormbr/dlarfb: NB consecutive reflectors are merged into I − V·T·Vᵀ (compact WY,
 * T upper triangular as in dlarft), applied as Y − V·(T·(Vᵀ·Y)): two matrix products with the same
 * ≈ 4·rows·k flops per reflector as one at a time, but at matrix-product speed.
 */
export function applyReflectors(y: Float64Array, rows: number, k: number, vectors: Float64Array, tau: Float64Array, from: number, downTo: number): void {
  if (from < downTo || k === 0) return;
  const first = new Int32Array(from + 1);
  for (let r = downTo; r <= from; r++) {
    let f = 0;
    while (f < rows && vectors[r * rows + f] === 0) f++;
    first[r] = f;
  }
  const t = new Float64Array(NB * NB);
  const w = workArray(NB * k);
  const tw = workArray(NB * k);
  const dots = new Float64Array(NB);
  for (let b1 = from; b1 >= downTo; b1 -= NB) {
    const b0 = Math.max(downTo, b1 - NB + 1);
    const nb = b1 - b0 + 1;
    // Rows before the block's first non-zero are untouched (later reflectors start later).
    let f0 = rows;
    for (let r = b0; r <= b1; r++) f0 = Math.min(f0, first[r]);
    const len = rows - f0;
    if (len <= 0) continue;
    formT(vectors, rows, tau, b0, nb, first, t, dots);
    // W = Vᵀ·Y (nb×k), TW = T·W, Y −= V·TW.
    w.fill(0, 0, nb * k);
    tw.fill(0, 0, nb * k);
    parallelGemm(nb, k, len, 1, vectors, b0 * rows + f0, rows, 1, y, f0 * k, k, 1, w, 0, k);
    gemm(nb, k, nb, 1, t, 0, NB, 1, w, 0, k, 1, tw, 0, k);
    parallelGemm(len, k, nb, -1, vectors, b0 * rows + f0, 1, rows, tw, 0, k, 1, y, f0 * k, k);
  }
}

/**
 * T (NB-strided, upper triangular) with H_b0·…·H_{b0+nb−1} = I − V·T·Vᵀ:
 * T[i, i] = τ_i, T[0..i, i] = −τ_i·T[0..i, 0..i]·(V[:, 0..i]ᵀ·v_i).
 */
export function formT(vectors: Float64Array, rows: number, tau: Float64Array, b0: number, nb: number, first: Int32Array, t: Float64Array, dots: Float64Array): void {
  t.fill(0);
  for (let i = 0; i < nb; i++) {
    const ti = tau[b0 + i];
    t[i * NB + i] = ti;
    if (ti === 0 || i === 0) continue;
    const vi = (b0 + i) * rows;
    const fi = first[b0 + i];
    for (let p = 0; p < i; p++) {
      const vp = (b0 + p) * rows;
      let s = 0;
      for (let x = fi; x < rows; x++) s += vectors[vp + x] * vectors[vi + x];
      dots[p] = s;
    }
    for (let p = 0; p < i; p++) {
      let s = 0;
      for (let q = p; q < i; q++) s += t[p * NB + q] * dots[q];
      t[p * NB + i] = -ti * s;
    }
  }
}
