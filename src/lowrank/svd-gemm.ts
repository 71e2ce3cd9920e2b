/**
 * Dense float64 matrix product for the SVD's blocked stages: C += α·A·B with A, B given by offset and
 * row/column strides (so transposes and sub-blocks need no copies by the caller) and C row-major.
 *
 * Written for V8's scalar code (no SIMD): B is packed into 4-column micro-panels of KC rows that stay in
 * L2, A into 3-row micro-panels that stay in L1, and a 3×4 block of C is kept in 12 local variables
 * while the inner loop runs over KC — 7 loads for 12 multiply–adds. 3×4 rather than 4×4: 12
 * accumulators and the 3 values of A fit x64's 16 floating-point registers, 4×4 spills. Packing also
 * turns any stride into unit stride and pads the edges with zeros, so the kernel has no edge cases.
 */

const KC = 256; // depth of a packed panel (a 3×KC micro-panel of A is 6 KB: L1)
const NC = 256; // columns of B packed at once (KC×NC is 512 KB: L2)

// Packing buffers, reused by every call (the SVD is synchronous, so calls never overlap).
const packA = new Float64Array(3 * KC);
const packB = new Float64Array(KC * NC);

/** What `gemm` reads besides its arguments, as source: a worker thread (svd-parallel.ts) gets its own. */
export const GEMM_WORKER_GLOBALS = `const KC = ${KC}, NC = ${NC}; const packA = new Float64Array(3 * KC); const packB = new Float64Array(KC * NC);`;

/**
 * c[cOff + i·ldc + j] += alpha · Σ_p A(i, p)·B(p, j) for i < m, j < n, p < k, where
 * A(i, p) = a[aOff + i·aRs + p·aCs] and B(p, j) = b[bOff + p·bRs + j·bCs].
 */
export function gemm(
  m: number, n: number, k: number, alpha: number,
  a: Float64Array, aOff: number, aRs: number, aCs: number,
  b: Float64Array, bOff: number, bRs: number, bCs: number,
  c: Float64Array, cOff: number, ldc: number,
): void {
  if (m <= 0 || n <= 0 || k <= 0 || alpha === 0) return;
  const ap = packA;
  const bp = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const nq = (nc + 3) >> 2;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // B block → micro-panels: bp[(q·kc + p)·4 + t] = B(pc + p, jc + 4q + t), zero-padded.
      for (let q = 0; q < nq; q++) {
        const j0 = jc + 4 * q;
        const w = Math.min(4, n - j0);
        let o = q * kc * 4;
        let src = bOff + pc * bRs + j0 * bCs;
        if (w === 4) {
          for (let p = 0; p < kc; p++, o += 4, src += bRs) {
            bp[o] = b[src];
            bp[o + 1] = b[src + bCs];
            bp[o + 2] = b[src + 2 * bCs];
            bp[o + 3] = b[src + 3 * bCs];
          }
        } else {
          for (let p = 0; p < kc; p++, o += 4, src += bRs) {
            for (let t = 0; t < 4; t++) bp[o + t] = t < w ? b[src + t * bCs] : 0;
          }
        }
      }
      for (let ic = 0; ic < m; ic += 3) {
        const h = Math.min(3, m - ic);
        // A rows ic..ic+2, depth pc.. → ap[p·3 + r], zero-padded.
        let src = aOff + ic * aRs + pc * aCs;
        if (h === 3) {
          for (let p = 0, o = 0; p < kc; p++, o += 3, src += aCs) {
            ap[o] = a[src];
            ap[o + 1] = a[src + aRs];
            ap[o + 2] = a[src + 2 * aRs];
          }
        } else {
          for (let p = 0, o = 0; p < kc; p++, o += 3, src += aCs) {
            for (let r = 0; r < 3; r++) ap[o + r] = r < h ? a[src + r * aRs] : 0;
          }
        }
        for (let q = 0; q < nq; q++) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
          for (let p = 0, ao = 0, bo = q * kc * 4; p < kc; p++, ao += 3, bo += 4) {
            const a0 = ap[ao], a1 = ap[ao + 1], a2 = ap[ao + 2];
            const b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          }
          const j0 = jc + 4 * q;
          const w = Math.min(4, n - j0);
          const o = cOff + ic * ldc + j0;
          if (h === 3 && w === 4) {
            c[o] += alpha * c00; c[o + 1] += alpha * c01; c[o + 2] += alpha * c02; c[o + 3] += alpha * c03;
            const o1 = o + ldc;
            c[o1] += alpha * c10; c[o1 + 1] += alpha * c11; c[o1 + 2] += alpha * c12; c[o1 + 3] += alpha * c13;
            const o2 = o1 + ldc;
            c[o2] += alpha * c20; c[o2 + 1] += alpha * c21; c[o2 + 2] += alpha * c22; c[o2 + 3] += alpha * c23;
          } else {
            const acc = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23];
            for (let r = 0; r < h; r++) for (let t = 0; t < w; t++) c[o + r * ldc + t] += alpha * acc[r * 4 + t];
          }
        }
      }
    }
  }
}
