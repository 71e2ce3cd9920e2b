import { Matrix, transpose } from "./matrix";
import { bidiagonalSvd } from "./svd-bdsdc";
import { bidiagonalQr } from "./svd-bdsqr";
import { bidiagonalize } from "./svd-bidiagonal";
import { applyReflectors } from "./svd-householder";
import { BAND, bandToBidiagonal, reduceToBand } from "./svd-band";
import { parallelScope, sharedFloat64, workArray } from "./svd-parallel";
import { svdKernel } from "../util/svd-kernel";

/**
 * Singular value decomposition A = U·diag(σ)·Vᵀ of a dense m×n float64 matrix: all min(m, n) singular
 * values (descending) and the top-K left and right singular vectors.
 *
 * Algorithm (LAPACK's dgesdd path for m ≈ n: dgebrd + dbdsdc + dormbr), for row-major typed arrays
 * (flop counts for m ≥ n; when m < n the transpose is factorised):
 * 1. A is scaled by 1/max|a| (no overflow/underflow in squares).
 * 2. Householder bidiagonalisation A = Q·B·Pᵀ, B upper bidiagonal, blocked (svd-bidiagonal.ts):
 *    4mn² − 4n³/3 flops, half of them in matrix products.
 * 3. Values only: implicit-shift QR on B (svd-bdsqr.ts), O(n²) — `singularValues` costs about step 2, which
 *    for n ≥ 128 is done in two stages instead, dense → band → bidiagonal (svd-band.ts), nearly all in matrix products.
 *    With vectors: divide and conquer on B (svd-bdsdc.ts) gives σ and all of B's singular vectors
 *    U_B, V_B: ≈ 8n³/3 flops on random matrices (less with deflation), nearly all in matrix products.
 * 4. U = Q·[U_B; 0] and V = P·V_B for the K wanted columns, the reflectors applied in blocks as
 *    matrix products (svd-householder.ts): ≈ (4mn − 2n²)·K + 2n²·K flops.
 * The matrix products (svd-gemm.ts) are register-blocked for V8's scalar code and dominate the time;
 * for matrices of 2¹⁶ entries or more they run on every core (svd-parallel.ts, worker threads), with
 * the same bits as on one thread.
 * When a faster kernel is installed (src/util/svd-kernel.ts: on the tensorflow backend, TensorFlow's own
 * float64 `Svd`), svdFactorize hands the whole factorisation to it; LOWRANK_SVD=project keeps this one.
 * Accuracy: backward stable — every σ is correct to about n·ε·σ_max (ε = 2.2e-16), and U, V are
 * orthonormal to about n·ε; tiny singular values (≪ ε·σ_max) are therefore only accurate in absolute
 * terms, like any normwise-stable SVD (LAPACK dgesdd has the same guarantee).
 */
export interface SvdResult {
  /** All min(m, n) singular values, descending, ≥ 0. */
  singularValues: Float64Array;
  /** m×K, column t = left singular vector of σ_t. */
  u: Matrix;
  /** n×K, column t = right singular vector of σ_t. */
  v: Matrix;
  /** Number of singular vector pairs returned. */
  k: number;
}

function checkInput(a: Matrix): void {
  if (!a || !(a.data instanceof Float64Array) || !Number.isInteger(a.rows) || !Number.isInteger(a.cols) || a.rows < 0 || a.cols < 0) {
    throw new Error("svd expects a Matrix { data: Float64Array (row-major), rows, cols }.");
  }
  if (a.data.length !== a.rows * a.cols) {
    throw new Error(`svd: a ${a.rows}×${a.cols} matrix needs ${a.rows * a.cols} values, got ${a.data.length}.`);
  }
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) {
      throw new Error(`svd: the matrix contains a non-finite value (${a.data[i]}) at row ${Math.floor(i / a.cols)}, column ${i % a.cols}.`);
    }
  }
}

/** All singular values now, singular vectors for any K later without redoing steps 1–3. */
export interface SvdFactorization {
  /** All min(m, n) singular values, descending, ≥ 0. */
  singularValues: Float64Array;
  rows: number;
  cols: number;
  /** The leading k left (m×k) and right (n×k) singular vectors, 0 ≤ k ≤ min(m, n). */
  vectors(k: number): { u: Matrix; v: Matrix };
}

/** Asked for U, V of a factorization made with `withVectors: false`. */
const NO_VECTORS = "svd: this factorization was made without singular vectors; factorize again with vectors.";

/** Smallest n for which values-only takes the two-stage reduction (measured: RESULTS.md, SVD). */
const TWO_STAGE_FROM = 4 * BAND;

/** Steps 1–3 for a tall-or-square matrix (m ≥ n), already checked; `withVectors` keeps B's vectors. */
function factorizeTall(a: Matrix, withVectors: boolean): SvdFactorization {
  const m = a.rows;
  const n = a.cols;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) scale = Math.max(scale, Math.abs(a.data[i]));
  const sv = new Float64Array(n);
  if (n === 0 || scale === 0) {
    // Zero matrix: any orthonormal columns are singular vectors.
    return {
      singularValues: sv,
      rows: m,
      cols: n,
      vectors: (k) => {
        const u = new Float64Array(m * k);
        const v = new Float64Array(n * k);
        for (let t = 0; t < k; t++) {
          u[t * k + t] = 1;
          v[t * k + t] = 1;
        }
        return { u: { data: u, rows: m, cols: k }, v: { data: v, rows: n, cols: k } };
      },
    };
  }
  // Below this size a worker's wake-up costs more than its share of the work.
  const w = m * n >= 1 << 16 ? sharedFloat64(a.data.length) : new Float64Array(a.data.length);
  const inv = 1 / scale;
  for (let i = 0; i < w.length; i++) w[i] = a.data[i] * inv;
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const tauQ = new Float64Array(n);
  const tauP = new Float64Array(n);
  // Values only, beyond a few bands: the two-stage reduction (svd-band.ts), nearly all matrix products.
  if (withVectors || n < TWO_STAGE_FROM) parallelScope(() => bidiagonalize(w, m, n, d, e, tauQ, tauP));
  else {
    parallelScope(() => reduceToBand(w, m, n, BAND));
    bandToBidiagonal(w, n, n, BAND, d, e);
  }
  // Vectors: all of B's by divide and conquer (σ from the same run); values only: QR, O(n²).
  let bVectors: { u: Float64Array; v: Float64Array; order: Int32Array } | null = null;
  if (withVectors) {
    const r = parallelScope(() => bidiagonalSvd(d, e, n));
    for (let t = 0; t < n; t++) sv[t] = r.sigma[r.order[t]] * scale;
    bVectors = r;
  } else {
    bidiagonalQr(d, e, n, null, null);
    for (let i = 0; i < n; i++) d[i] = Math.abs(d[i]);
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
    for (let t = 0; t < n; t++) sv[t] = d[order[t]] * scale;
  }

  let leftVectors: Float64Array | undefined;
  let rightVectors: Float64Array | undefined;
  const vectors = (k: number) => parallelScope(() => {
    const u = workArray(m * k);
    const v = workArray(n * k);
    if (k > 0) {
      if (!bVectors) throw new Error(NO_VECTORS);
      // The K leading columns of U_B and V_B (rows n..m-1 of u stay zero: U = Q·[U_B; 0]) …
      const { u: ub, v: vb, order } = bVectors;
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < k; t++) {
          u[i * k + t] = ub[i * n + order[t]];
          v[i * k + t] = vb[i * n + order[t]];
        }
      }
      // … then back through the reflectors: U = H_0·…·H_{n-1}·[U_B; 0] and V = G_0·…·G_{n-3}·V_B.
      if (!leftVectors) {
        // Reflector r as row r: the below-diagonal part of column r of w, transposed in tiles.
        leftVectors = workArray(n * m);
        const T = 32;
        for (let i0 = 0; i0 < m; i0 += T) {
          for (let r0 = 0; r0 < n; r0 += T) {
            for (let i = i0; i < Math.min(i0 + T, m); i++) {
              for (let r = r0; r < Math.min(r0 + T, n, i); r++) leftVectors[r * m + i] = w[i * n + r];
            }
          }
        }
        for (let r = 0; r < n; r++) leftVectors[r * m + r] = 1;
        rightVectors = workArray(n * n);
        for (let r = 0; r + 2 < n; r++) {
          rightVectors[r * n + r + 1] = 1;
          for (let j = r + 2; j < n; j++) rightVectors[r * n + j] = w[r * n + j];
        }
      }
      applyReflectors(u, m, k, leftVectors, tauQ, n - 1, 0);
      applyReflectors(v, n, k, rightVectors!, tauP, n - 3, 0);
    }
    // Callers get ordinary (unshared) arrays.
    return { u: { data: new Float64Array(u), rows: m, cols: k }, v: { data: new Float64Array(v), rows: n, cols: k } };
  });
  return { singularValues: sv, rows: m, cols: n, vectors };
}

/** The first k of the p columns of a row-major rows×p matrix (none when `m` is absent and k = 0). */
function leadingColumns(m: Matrix | undefined, rows: number, p: number, k: number): Matrix {
  const out = new Float64Array(rows * k);
  if (m) for (let i = 0; i < rows; i++) out.set(m.data.subarray(i * p, i * p + k), i * k);
  return { data: out, rows, cols: k };
}

/**
 * Factorise `a` once (all singular values at once) and get the leading singular vectors for any K
 * from `vectors(k)`, e.g. for a rank sweep: only the vector stage is repeated. `a` is not modified.
 * `withVectors: false` skips B's singular vectors (and their memory) when only values are wanted.
 */
export function svdFactorize(a: Matrix, options: { withVectors?: boolean } = {}): SvdFactorization {
  checkInput(a);
  const withVectors = options.withVectors ?? true;
  const p = Math.min(a.rows, a.cols);
  const checkK = (k: number) => {
    if (!Number.isInteger(k) || k < 0 || k > p) {
      throw new Error(`svd: the number of singular vectors must be an integer in 0..${p} for a ${a.rows}×${a.cols} matrix, got ${k}.`);
    }
  };
  const kernel = p > 0 ? svdKernel() : undefined;
  const fast = kernel?.svd(a, withVectors);
  if (fast) {
    const { u, v } = fast;
    if (withVectors && (!u || !v)) throw new Error(`svd: the installed kernel (${kernel!.name}) returned no singular vectors.`);
    return {
      singularValues: fast.singularValues,
      rows: a.rows,
      cols: a.cols,
      vectors: (k) => {
        checkK(k);
        if (k > 0 && !withVectors) throw new Error(NO_VECTORS);
        return { u: leadingColumns(u, a.rows, p, k), v: leadingColumns(v, a.cols, p, k) };
      },
    };
  }
  if (a.rows >= a.cols) {
    const f = factorizeTall(a, withVectors);
    return { ...f, vectors: (k) => (checkK(k), f.vectors(k)) };
  }
  const f = factorizeTall(transpose(a), withVectors);
  return {
    singularValues: f.singularValues,
    rows: a.rows,
    cols: a.cols,
    vectors: (k) => {
      checkK(k);
      const r = f.vectors(k);
      return { u: r.v, v: r.u };
    },
  };
}

/**
 * SVD of `a` with all singular values and the `k` leading singular vector pairs
 * (default: all min(m, n)). `a` is not modified.
 */
export function svd(a: Matrix, k?: number): SvdResult {
  checkInput(a);
  const p = Math.min(a.rows, a.cols);
  const want = k ?? p;
  if (!Number.isInteger(want) || want < 0 || want > p) {
    throw new Error(`svd: the number of singular vectors must be an integer in 0..${p} for a ${a.rows}×${a.cols} matrix, got ${k}.`);
  }
  const f = svdFactorize(a, { withVectors: want > 0 });
  const { u, v } = f.vectors(want);
  return { singularValues: f.singularValues, u, v, k: want };
}

/** All singular values of `a`, descending (no vectors: about the cost of the bidiagonalisation). */
export function singularValues(a: Matrix): Float64Array {
  return svdFactorize(a, { withVectors: false }).singularValues;
}
