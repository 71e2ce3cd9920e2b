import { parallelGemm, sharedFloat64 } from "./svd-parallel";

/** Panel width. The share of flops in matrix products (half) does not grow with it; the per-step
 * corrections with the panel's U, V, X, Y do. */
const NB = 16;

/**
 * Householder bidiagonalisation A = Q·B·Pᵀ of a row-major m×n float64 matrix (m ≥ n), blocked as LAPACK's
 * dgebrd/dlabrd. A panel of NB columns and rows is reduced with the updates of the rest of the matrix
 * deferred: they are kept as A ← A − U·Yᵀ − X·V (U, V the panel's reflector vectors, X, Y their
 * images), so each step needs only two matrix–vector products with the untouched trailing matrix
 * (Aᵀ·u and A·v, read-only, several rows per pass), and after the panel the trailing matrix gets both
 * updates as two matrix products. Half of the ≈ 4mn² − 4n³/3 flops are then in the products. The products
 * run on every core (svd-parallel.ts) when `w` is in shared memory; the matrix–vector products do not:
 * on a large matrix they are bound by memory bandwidth, which a second core does not add.
 *
 * On return (as the unblocked algorithm would leave it) d/e hold B's diagonal/superdiagonal, the left
 * reflector k is H_k = I − tauQ[k]·u·uᵀ with u = [1, w[k+1.., k]] (rows k..), the right one
 * G_k = I − tauP[k]·v·vᵀ with v = [1, w[k, k+2..]] (columns k+1..). Where a reflector is applied
 * (τ ≠ 0) the resulting diagonal or superdiagonal entry is positive.
 */
export function bidiagonalize(w: Float64Array, m: number, n: number, d: Float64Array, e: Float64Array, tauQ: Float64Array, tauP: Float64Array): void {
  // X and Y go where w is: in shared memory, the trailing updates run on every core.
  const alloc = (length: number) => (w.buffer instanceof SharedArrayBuffer ? sharedFloat64(length) : new Float64Array(length));
  const x = alloc(m * NB); // X, row r at r·NB
  const y = alloc(n * NB); // Y, row c at c·NB
  const work = { col: new Float64Array(m), vec: new Float64Array(Math.max(m, n)), s1: new Float64Array(NB), s2: new Float64Array(NB) };
  for (let k0 = 0; k0 < n; k0 += NB) {
    const nb = Math.min(NB, n - k0);
    panel(w, m, n, k0, nb, d, e, tauQ, tauP, x, y, work);
    const r0 = k0 + nb;
    if (r0 >= n) break;
    // A[r0:, r0:] −= U·Yᵀ + X·V.
    parallelGemm(m - r0, n - r0, nb, -1, w, r0 * n + k0, n, 1, y, r0 * NB, 1, NB, w, r0 * n + r0, n);
    parallelGemm(m - r0, n - r0, nb, -1, x, r0 * NB, NB, 1, w, k0 * n + r0, n, 1, w, r0 * n + r0, n);
  }
  // The panels leave the unit entries of u and v in w.
  for (let p = 0; p < n; p++) {
    w[p * n + p] = d[p];
    if (p + 1 < n) w[p * n + p + 1] = e[p];
  }
}

interface Work {
  col: Float64Array;
  vec: Float64Array;
  s1: Float64Array;
  s2: Float64Array;
}

/** Reduce rows and columns k0..k0+nb−1, filling X and Y; the unit entries of u and v are left as 1 in w. */
function panel(w: Float64Array, m: number, n: number, k0: number, nb: number, d: Float64Array, e: Float64Array, tauQ: Float64Array, tauP: Float64Array, x: Float64Array, y: Float64Array, work: Work): void {
  const { col: u, vec, s1, s2 } = work;
  for (let i = 0; i < nb; i++) {
    const p = k0 + i;
    // Column p of A − U·Yᵀ − X·V.
    for (let q = 0; q < i; q++) s2[q] = w[(k0 + q) * n + p];
    const yp = p * NB;
    for (let r = p; r < m; r++) {
      const ro = r * n + k0;
      const xo = r * NB;
      let s = 0;
      for (let q = 0; q < i; q++) s += w[ro + q] * y[yp + q] + x[xo + q] * s2[q];
      w[r * n + p] -= s;
    }
    // Left reflector for column p.
    const [tq, dp] = reflector(w, p * n + p, (p + 1) * n + p, m - p - 1, n);
    d[p] = dp;
    tauQ[p] = tq;
    w[p * n + p] = 1;
    if (p === n - 1) break;

    // Y[:, i] = τ·(Aᵀu − Y·(Uᵀu) − Vᵀ·(Xᵀu)) over columns p+1..; the same pass over columns k0..p−1
    // gives Uᵀu.
    for (let r = p; r < m; r++) u[r] = w[r * n + p];
    vec.fill(0, k0, n);
    rowCombination(w, n, u, p, m, k0, n, vec);
    for (let q = 0; q < i; q++) {
      let s = 0;
      for (let r = p; r < m; r++) s += x[r * NB + q] * u[r];
      s2[q] = s;
    }
    for (let q = 0; q < i; q++) {
      const o = (k0 + q) * n;
      const f = s2[q];
      for (let c = p + 1; c < n; c++) vec[c] -= w[o + c] * f;
    }
    for (let c = p + 1; c < n; c++) {
      let s = vec[c];
      const yo = c * NB;
      for (let q = 0; q < i; q++) s -= y[yo + q] * vec[k0 + q];
      y[yo + i] = tq * s;
    }
    // Row p of A − U·Yᵀ − X·V (with the new column of Y).
    const po = p * n;
    for (let c = p + 1; c < n; c++) {
      const yo = c * NB;
      let s = 0;
      for (let q = 0; q <= i; q++) s += w[po + k0 + q] * y[yo + q];
      w[po + c] -= s;
    }
    for (let q = 0; q < i; q++) {
      const o = (k0 + q) * n;
      const f = x[p * NB + q];
      for (let c = p + 1; c < n; c++) w[po + c] -= f * w[o + c];
    }
    // Right reflector for row p.
    const [tp, ep] = reflector(w, po + p + 1, po + p + 2, n - p - 2, 1);
    e[p] = ep;
    tauP[p] = tp;
    w[po + p + 1] = 1;

    // X[:, i] = τ·(A·v − U·(Yᵀv) − X·(V·v)) over rows p+1..
    const v = w.subarray(po + p + 1, po + n); // v[c − p − 1]
    s1.fill(0);
    for (let c = p + 1; c < n; c++) {
      const yo = c * NB;
      const vc = v[c - p - 1];
      for (let q = 0; q <= i; q++) s1[q] += y[yo + q] * vc;
    }
    for (let q = 0; q < i; q++) {
      const o = (k0 + q) * n;
      let s = 0;
      for (let c = p + 1; c < n; c++) s += w[o + c] * v[c - p - 1];
      s2[q] = s;
    }
    rowDots(w, n, v, p + 1, p + 1, m, vec);
    for (let r = p + 1; r < m; r++) {
      const ro = r * n + k0;
      const xo = r * NB;
      let s = vec[r];
      for (let q = 0; q <= i; q++) s -= w[ro + q] * s1[q];
      for (let q = 0; q < i; q++) s -= x[xo + q] * s2[q];
      x[xo + i] = tp * s;
    }
  }
}

/**
 * Householder reflector H = I − τ·v·vᵀ, v = [1, x/v₀], that maps [α, x] to [β, 0] (LAPACK's dlarfg with
 * β ≥ 0): α is w[alphaAt], x the `count` entries of w from `at`, `stride` apart, scaled in place to
 * v's tail. Returns [τ, β]; τ = 0 (H = I) when x is already zero.
 */
export function reflector(w: Float64Array, alphaAt: number, at: number, count: number, stride: number): [number, number] {
  let sigma2 = 0;
  for (let i = 0, j = at; i < count; i++, j += stride) sigma2 += w[j] * w[j];
  const alpha = w[alphaAt];
  if (sigma2 === 0) return [0, alpha];
  const mu = Math.sqrt(alpha * alpha + sigma2);
  const v0 = alpha <= 0 ? alpha - mu : -sigma2 / (alpha + mu);
  const inv = 1 / v0;
  for (let i = 0, j = at; i < count; i++, j += stride) w[j] *= inv;
  return [(2 * v0 * v0) / (sigma2 + v0 * v0), mu];
}

/** out[c] += Σ_{r0 ≤ r < r1} coef[r]·w[r, c] for c0 ≤ c < c1: eight rows per pass over out. */
function rowCombination(w: Float64Array, n: number, coef: Float64Array, r0: number, r1: number, c0: number, c1: number, out: Float64Array): void {
  let r = r0;
  for (; r + 7 < r1; r += 8) {
    const a0 = coef[r], a1 = coef[r + 1], a2 = coef[r + 2], a3 = coef[r + 3];
    const a4 = coef[r + 4], a5 = coef[r + 5], a6 = coef[r + 6], a7 = coef[r + 7];
    const o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n, o4 = o3 + n, o5 = o4 + n, o6 = o5 + n, o7 = o6 + n;
    for (let c = c0; c < c1; c++) {
      out[c] += a0 * w[o0 + c] + a1 * w[o1 + c] + (a2 * w[o2 + c] + a3 * w[o3 + c]) + (a4 * w[o4 + c] + a5 * w[o5 + c]) + (a6 * w[o6 + c] + a7 * w[o7 + c]);
    }
  }
  for (; r < r1; r++) {
    const a0 = coef[r];
    const o0 = r * n;
    for (let c = c0; c < c1; c++) out[c] += a0 * w[o0 + c];
  }
}

/** out[r] = Σ_j w[r, c0 + j]·v[j] for r0 ≤ r < r1 (v has n − c0 entries): four rows per pass over v. */
function rowDots(w: Float64Array, n: number, v: Float64Array, c0: number, r0: number, r1: number, out: Float64Array): void {
  const len = n - c0;
  let r = r0;
  for (; r + 3 < r1; r += 4) {
    const o0 = r * n + c0, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < len; j++) {
      const vj = v[j];
      s0 += w[o0 + j] * vj;
      s1 += w[o1 + j] * vj;
      s2 += w[o2 + j] * vj;
      s3 += w[o3 + j] * vj;
    }
    out[r] = s0;
    out[r + 1] = s1;
    out[r + 2] = s2;
    out[r + 3] = s3;
  }
  for (; r < r1; r++) {
    const o0 = r * n + c0;
    let s0 = 0;
    for (let j = 0; j < len; j++) s0 += w[o0 + j] * v[j];
    out[r] = s0;
  }
}
