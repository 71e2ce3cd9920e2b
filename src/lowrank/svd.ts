import { Matrix, transpose } from "./matrix";

/**
 * Singular value decomposition A = U·diag(σ)·Vᵀ of a dense m×n float64 matrix: all min(m, n) singular
 * values (descending) and the top-K left and right singular vectors.
 *
 * Algorithm (Golub–Kahan–Reinsch, as in LAPACK's dgebd2 + dbdsqr, written for contiguous typed arrays):
 * 1. A is scaled by 1/max|a| (no overflow/underflow in squares) and, when m < n, transposed.
 * 2. Householder bidiagonalisation A = Q·B·Pᵀ (B upper bidiagonal), row-major with unit-stride inner
 *    loops: ≈ 4mn² − 4n³/3 flops (8/3·n³ when square).
 * 3. Implicit-shift (Wilkinson) Golub–Kahan QR sweeps on B, deflating from the bottom; a zero diagonal
 *    is chased out with rotations. Values only: O(n²). Every rotation is appended to a log (indices,
 *    cos, sin) instead of being applied to n×n matrices.
 * 4. Vectors: the K selected columns of U_B and V_B are obtained by replaying the logs backwards on K
 *    unit vectors (6 flops per rotation and column; ≈ 0.9·n² rotations per side on random matrices),
 *    then mapped back through the Householder reflectors (≈ 2·K·n² flops per side when square). So the
 *    vector work is proportional to K, and `singularValues` costs about the bidiagonalisation alone.
 *    For cache and V8's scalar code: columns go in blocks of 64, each joins the replay only from the
 *    last rotation touching its row, chains of 4 rotations of a sweep are applied in one pass, and the
 *    reflectors meet 4 (transposed, contiguous) columns at a time.
 * Measured on the project's 2-core machine (shared, so ±50%): 192² ≈ 0.05 s values only / 0.1–0.2 s
 * all vectors; 384² ≈ 0.15–0.25 s / 0.5–0.9 s; 768² ≈ 1.1–1.5 s / 2–3.5 s at K = 192 / 5–8 s full.
 * Accuracy: backward stable — every σ is correct to about n·ε·σ_max (ε = 2.2e-16), and U, V are
 * orthonormal to about n·ε; tiny singular values (≪ ε·σ_max) are therefore only accurate in absolute
 * terms, like any normwise-stable SVD (LAPACK dgesvd has the same guarantee).
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

const EPS = 2.220446049250313e-16;
/** Columns of U and V processed together in the vector stages (an n×64 float64 block is ≤ 0.4 MB for n ≤ 768). */
const CHUNK = 64;

/** A growable list of plane rotations (a, b, cos, sin), as applied in order. */
class RotationLog {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  c = new Float64Array(1024);
  s = new Float64Array(1024);
  length = 0;

  push(a: number, b: number, c: number, s: number): void {
    if (this.length === this.a.length) this.grow();
    const i = this.length++;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    this.s[i] = s;
  }

  private grow(): void {
    const size = this.a.length * 2;
    const a = new Int32Array(size);
    a.set(this.a);
    const b = new Int32Array(size);
    b.set(this.b);
    const c = new Float64Array(size);
    c.set(this.c);
    const s = new Float64Array(size);
    s.set(this.s);
    this.a = a;
    this.b = b;
    this.c = c;
    this.s = s;
  }

  /**
   * out[:, t] = G_1·G_2·…·G_last·(value[t]·e_{row[t]}) for t < k, where G acting on rows (a, b) is
   * [[c, −s], [s, c]] (the rotations were applied to B as transposes on the left, or on the right);
   * `out` is the row-major n×k result. A column is still a unit vector for every rotation after the
   * last one touching its row, so it joins the replay (going backwards) only from there: columns are
   * kept ordered by that moment, and each rotation updates only the active prefix.
   */
  replayUnitColumns(n: number, k: number, row: Int32Array, value: Float64Array, out: Float64Array): void {
    const { a: la, b: lb, c: lc, s: ls } = this;
    const last = new Int32Array(n).fill(-1);
    for (let r = 0; r < this.length; r++) {
      last[la[r]] = r;
      last[lb[r]] = r;
    }
    const slots = Array.from({ length: k }, (_, t) => t).sort((p, q) => last[row[q]] - last[row[p]]);
    // Columns in chunks of CHUNK, so the n×CHUNK block being rotated stays in cache.
    for (let p0 = 0; p0 < k; p0 += CHUNK) {
      const w = Math.min(CHUNK, k - p0);
      const x = new Float64Array(n * w);
      for (let p = 0; p < w; p++) x[row[slots[p0 + p]] * w + p] = value[slots[p0 + p]];
      let active = 0;
      let r = last[row[slots[p0]]];
      while (r >= 0) {
        // Four rotations forming a chain (j+3, j+4), (j+2, j+3), (j+1, j+2), (j, j+1) — a stretch of a
        // QR sweep — are applied in one pass: 5 loads and stores per column instead of 16.
        const j = la[r] - 3;
        if (
          r >= 3 && lb[r] === j + 4 &&
          la[r - 1] === j + 2 && lb[r - 1] === j + 3 &&
          la[r - 2] === j + 1 && lb[r - 2] === j + 2 &&
          la[r - 3] === j && lb[r - 3] === j + 1
        ) {
          // Columns not yet active are unit vectors these rotations do not touch: including them is exact.
          while (active < w && last[row[slots[p0 + active]]] >= r - 3) active++;
          const c1 = lc[r], s1 = ls[r], c2 = lc[r - 1], s2 = ls[r - 1];
          const c3 = lc[r - 2], s3 = ls[r - 2], c4 = lc[r - 3], s4 = ls[r - 3];
          const r0 = j * w, r1 = r0 + w, r2 = r1 + w, r3 = r2 + w, r4 = r3 + w;
          for (let t = 0; t < active; t++) {
            const x3 = x[r3 + t];
            const x4 = x[r4 + t];
            x[r4 + t] = s1 * x3 + c1 * x4;
            let y = c1 * x3 - s1 * x4;
            const x2 = x[r2 + t];
            x[r3 + t] = s2 * x2 + c2 * y;
            y = c2 * x2 - s2 * y;
            const x1 = x[r1 + t];
            x[r2 + t] = s3 * x1 + c3 * y;
            y = c3 * x1 - s3 * y;
            const x0 = x[r0 + t];
            x[r1 + t] = s4 * x0 + c4 * y;
            x[r0 + t] = c4 * x0 - s4 * y;
          }
          r -= 4;
          continue;
        }
        while (active < w && last[row[slots[p0 + active]]] >= r) active++;
        const a = la[r] * w;
        const b = lb[r] * w;
        const c = lc[r];
        const s = ls[r];
        for (let t = 0; t < active; t++) {
          const xa = x[a + t];
          const xb = x[b + t];
          x[a + t] = c * xa - s * xb;
          x[b + t] = s * xa + c * xb;
        }
        r--;
      }
      for (let i = 0; i < n; i++) {
        for (let p = 0; p < w; p++) out[i * k + slots[p0 + p]] = x[i * w + p];
      }
    }
  }
}

/** Rotation [c s; −s c] with c·f + s·g = r, −s·f + c·g = 0. Writes into `rot`. */
function givens(f: number, g: number, rot: Float64Array): void {
  if (g === 0) {
    rot[0] = 1;
    rot[1] = 0;
    rot[2] = f;
    return;
  }
  if (f === 0) {
    rot[0] = 0;
    rot[1] = 1;
    rot[2] = g;
    return;
  }
  let r = Math.sqrt(f * f + g * g);
  if (!(r > 1e-150 && r < 1e150)) r = Math.hypot(f, g); // squares under/overflowed
  rot[0] = f / r;
  rot[1] = g / r;
  rot[2] = r;
}

/**
 * Householder bidiagonalisation of the m×n (m ≥ n) row-major `w`, in place. On return d/e hold the
 * diagonal/superdiagonal of B; the left reflector k is v = [1, w[k+1.., k]] with tauQ[k], the right one
 * v = [1, w[k, k+2..]] (on indices k+1..) with tauP[k].
 *
 * One sweep over the trailing rows per step: while row i is in cache it gets the left update of step k,
 * the right update of step k, and contributes to vᵀ·W for step k+1's left reflector (whose vector is a
 * multiple of the updated column k+1, so that product can be accumulated before its scale is known).
 */
function bidiagonalize(w: Float64Array, m: number, n: number, d: Float64Array, e: Float64Array, tauQ: Float64Array, tauP: Float64Array): void {
  const acc = new Float64Array(n); // tau_q·vᵀ·W of the current left reflector (columns k+1..)
  const y = new Float64Array(n); // Σ_i W[i, k+1]·W[i, :] for the next one
  const u = new Float64Array(n); // the current right reflector vector (indices k+2..)
  // Left reflector of column 0 (the one step that needs its own pass).
  let sigma2 = 0;
  y.fill(0);
  for (let i = 1; i < m; i++) {
    const x = w[i * n];
    if (x === 0) continue;
    sigma2 += x * x;
    const row = i * n;
    for (let j = 1; j < n; j++) y[j] += x * w[row + j];
  }
  leftReflector(w, m, n, 0, sigma2, y, acc, d, tauQ);
  for (let k = 0; k < n; k++) {
    if (k === n - 1) break;
    // Row k gets its left update (v_k = 1), then yields the right reflector.
    const rk = k * n;
    for (let j = k + 1; j < n; j++) w[rk + j] -= acc[j];
    let rs2 = 0;
    for (let j = k + 2; j < n; j++) rs2 += w[rk + j] * w[rk + j];
    const beta = w[rk + k + 1];
    let tauR = 0;
    if (rs2 === 0) {
      e[k] = beta;
    } else {
      const mu = Math.sqrt(beta * beta + rs2);
      const v0 = beta <= 0 ? beta - mu : -rs2 / (beta + mu);
      tauR = (2 * v0 * v0) / (rs2 + v0 * v0);
      const inv = 1 / v0;
      for (let j = k + 2; j < n; j++) w[rk + j] *= inv;
      e[k] = mu;
      w[rk + k + 1] = mu;
    }
    tauP[k] = tauR;
    for (let j = k + 2; j < n; j++) u[j] = w[rk + j];
    // Fused pass over rows k+1..m-1; the loops are unrolled by two (≈1.5× faster in V8).
    let s2 = 0;
    y.fill(0);
    const j0 = k + 2;
    const jEnd = j0 + ((n - j0) & ~1);
    for (let i = k + 1; i < m; i++) {
      const row = i * n;
      const vi = w[row + k];
      // Left update of step k fused with z = W[i, k+1:]·u.
      let first = w[row + k + 1] - vi * acc[k + 1];
      let z0 = first;
      let z1 = 0;
      let j = j0;
      for (; j < jEnd; j += 2) {
        const t0 = w[row + j] - vi * acc[j];
        const t1 = w[row + j + 1] - vi * acc[j + 1];
        w[row + j] = t0;
        w[row + j + 1] = t1;
        z0 += t0 * u[j];
        z1 += t1 * u[j + 1];
      }
      for (; j < n; j++) {
        const t0 = w[row + j] - vi * acc[j];
        w[row + j] = t0;
        z0 += t0 * u[j];
      }
      const z = tauR * (z0 + z1);
      first -= z;
      w[row + k + 1] = first;
      // Right update of step k fused with y += W[i, k+1]·W[i, k+2:] for step k+1 (rows i ≥ k+2).
      const x = i >= k + 2 ? first : 0;
      s2 += x * x;
      j = j0;
      for (; j < jEnd; j += 2) {
        const t0 = w[row + j] - z * u[j];
        const t1 = w[row + j + 1] - z * u[j + 1];
        w[row + j] = t0;
        w[row + j + 1] = t1;
        y[j] += x * t0;
        y[j + 1] += x * t1;
      }
      for (; j < n; j++) {
        const t0 = w[row + j] - z * u[j];
        w[row + j] = t0;
        y[j] += x * t0;
      }
    }
    leftReflector(w, m, n, k + 1, s2, y, acc, d, tauQ);
  }
}

/**
 * Left reflector of column k from σ² = Σ_{i>k} W[i,k]² and y = Σ_{i>k} W[i,k]·W[i,:]: stores v below
 * the diagonal, d[k], tauQ[k], and acc[j] = tau·(vᵀ·W)[j] for j > k.
 */
function leftReflector(w: Float64Array, m: number, n: number, k: number, sigma2: number, y: Float64Array, acc: Float64Array, d: Float64Array, tauQ: Float64Array): void {
  const kk = k * n + k;
  const alpha = w[kk];
  if (sigma2 === 0) {
    tauQ[k] = 0;
    d[k] = alpha;
    acc.fill(0);
    return;
  }
  const mu = Math.sqrt(alpha * alpha + sigma2);
  const v0 = alpha <= 0 ? alpha - mu : -sigma2 / (alpha + mu);
  const tau = (2 * v0 * v0) / (sigma2 + v0 * v0);
  const inv = 1 / v0;
  for (let i = k + 1; i < m; i++) w[i * n + k] *= inv;
  tauQ[k] = tau;
  d[k] = mu;
  w[kk] = mu;
  const rk = k * n;
  for (let j = k + 1; j < n; j++) acc[j] = tau * (w[rk + j] + y[j] * inv);
}

/**
 * Diagonalise the upper bidiagonal (d, e) with implicit-shift QR, logging the left rotations in `logU`
 * and the right ones in `logV` (either may be null when vectors are not wanted). d may end negative.
 */
function bidiagonalQr(d: Float64Array, e: Float64Array, n: number, logU: RotationLog | null, logV: RotationLog | null): void {
  let bnorm = 0;
  for (let i = 0; i < n; i++) bnorm = Math.max(bnorm, Math.abs(d[i]) + (i < n - 1 ? Math.abs(e[i]) : 0));
  if (bnorm === 0) return;
  const tolAbs = EPS * bnorm;
  const negligible = (i: number): boolean => {
    const ei = Math.abs(e[i]);
    return ei <= tolAbs || ei <= EPS * (Math.abs(d[i]) + Math.abs(d[i + 1]));
  };
  const rot = new Float64Array(3);
  const maxSweeps = 60 * n + 100;
  let sweeps = 0;
  let hi = n - 1;
  while (hi > 0) {
    if (negligible(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !negligible(lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0;
    // A (near-)zero diagonal entry: rotate its superdiagonal away so the block splits.
    let zeroAt = -1;
    for (let i = hi; i >= lo; i--) {
      if (Math.abs(d[i]) <= tolAbs) {
        zeroAt = i;
        break;
      }
    }
    if (zeroAt >= 0) {
      d[zeroAt] = 0;
      if (zeroAt < hi) {
        // Chase e[zeroAt] along row zeroAt with left rotations of rows (j, zeroAt).
        let f = e[zeroAt];
        e[zeroAt] = 0;
        for (let j = zeroAt + 1; j <= hi; j++) {
          givens(d[j], f, rot);
          const c = rot[0];
          const s = rot[1];
          d[j] = rot[2];
          logU?.push(j, zeroAt, c, s);
          if (j < hi) {
            f = -s * e[j];
            e[j] = c * e[j];
          }
        }
      } else {
        // d[hi] = 0: chase e[hi-1] up column hi with right rotations of columns (j, hi).
        let f = e[hi - 1];
        e[hi - 1] = 0;
        for (let j = hi - 1; j >= lo; j--) {
          givens(d[j], f, rot);
          const c = rot[0];
          const s = rot[1];
          d[j] = rot[2];
          logV?.push(j, hi, c, s);
          if (j > lo) {
            f = -s * e[j - 1];
            e[j - 1] = c * e[j - 1];
          }
        }
      }
      continue;
    }
    if (++sweeps > maxSweeps) {
      throw new Error(`SVD did not converge after ${maxSweeps} QR sweeps (n = ${n}); the input may contain extreme values.`);
    }
    // Wilkinson shift: eigenvalue of the trailing 2×2 of BᵀB closest to its last diagonal entry.
    const dm = d[hi - 1];
    const dn = d[hi];
    const em = e[hi - 1];
    const el = hi - 1 > lo ? e[hi - 2] : 0;
    const t11 = dm * dm + el * el;
    const t12 = dm * em;
    const t22 = dn * dn + em * em;
    const delta = (t11 - t22) / 2;
    const root = Math.hypot(delta, t12);
    const mu = t22 - (t12 * t12) / (delta + (delta >= 0 ? root : -root));
    let y = d[lo] * d[lo] - mu;
    let z = d[lo] * e[lo];
    for (let k = lo; k < hi; k++) {
      givens(y, z, rot);
      let c = rot[0];
      let s = rot[1];
      if (k > lo) e[k - 1] = rot[2];
      const f = c * d[k] + s * e[k];
      e[k] = c * e[k] - s * d[k];
      const g = s * d[k + 1];
      d[k + 1] = c * d[k + 1];
      logV?.push(k, k + 1, c, s);
      givens(f, g, rot);
      c = rot[0];
      s = rot[1];
      d[k] = rot[2];
      const ek = e[k];
      e[k] = c * ek + s * d[k + 1];
      d[k + 1] = c * d[k + 1] - s * ek;
      if (k < hi - 1) {
        z = s * e[k + 1];
        e[k + 1] = c * e[k + 1];
        y = e[k];
      }
      logU?.push(k, k + 1, c, s);
    }
  }
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

/** Steps 1–3 for a tall-or-square matrix (m ≥ n), already checked; `withVectors` keeps the logs. */
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
  const w = new Float64Array(a.data.length);
  const inv = 1 / scale;
  for (let i = 0; i < w.length; i++) w[i] = a.data[i] * inv;
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const tauQ = new Float64Array(n);
  const tauP = new Float64Array(n);
  bidiagonalize(w, m, n, d, e, tauQ, tauP);
  const logU = withVectors ? new RotationLog() : null;
  const logV = withVectors ? new RotationLog() : null;
  bidiagonalQr(d, e, n, logU, logV);

  const sign = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sign[i] = d[i] < 0 ? -1 : 1;
    d[i] = Math.abs(d[i]);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
  for (let t = 0; t < n; t++) sv[t] = d[order[t]] * scale;

  let leftVectors: Float64Array | undefined;
  let rightVectors: Float64Array | undefined;
  const vectors = (k: number) => {
    const u = new Float64Array(m * k);
    const v = new Float64Array(n * k);
    if (k > 0) {
      if (!logU || !logV) throw new Error("svd: this factorization was made without singular vectors.");
      // Columns of U_B and V_B for the K largest values, then back through the reflectors.
      const startRow = Int32Array.from({ length: k }, (_, t) => order[t]);
      const ones = new Float64Array(k).fill(1);
      const signs = Float64Array.from({ length: k }, (_, t) => sign[order[t]]);
      logU.replayUnitColumns(n, k, startRow, ones, u); // rows n..m-1 of u stay zero: U = Q·[U_B; 0]
      logV.replayUnitColumns(n, k, startRow, signs, v);
      // U = H_0·…·H_{n-1}·[U_B; 0] and V = G_0·…·G_{n-3}·V_B, applied from the last reflector back.
      if (!leftVectors) {
        leftVectors = new Float64Array(n * m);
        for (let r = 0; r < n; r++) {
          leftVectors[r * m + r] = 1;
          for (let i = r + 1; i < m; i++) leftVectors[r * m + i] = w[i * n + r];
        }
        rightVectors = new Float64Array(n * n);
        for (let r = 0; r + 2 < n; r++) {
          rightVectors[r * n + r + 1] = 1;
          for (let j = r + 2; j < n; j++) rightVectors[r * n + j] = w[r * n + j];
        }
      }
      applyReflectors(u, m, k, leftVectors, tauQ, n - 1, 0);
      applyReflectors(v, n, k, rightVectors!, tauP, n - 3, 0);
    }
    return { u: { data: u, rows: m, cols: k }, v: { data: v, rows: n, cols: k } };
  };
  return { singularValues: sv, rows: m, cols: n, vectors };
}

/**
 * y ← R_downTo·…·R_from·y for the rows×k row-major y and reflectors R_r = I − τ_r·v_r·v_rᵀ (v_r is row r
 * of `vectors`, rows long, zero before its first non-zero). Works on the transpose, four columns of y
 * at a time: those four (contiguous, in L1 cache) meet each reflector once, its entries loaded once
 * for four dot products and four updates.
 */
function applyReflectors(y: Float64Array, rows: number, k: number, vectors: Float64Array, tau: Float64Array, from: number, downTo: number): void {
  if (from < downTo || k === 0) return;
  const yt = new Float64Array(k * rows);
  for (let i = 0; i < rows; i++) for (let t = 0; t < k; t++) yt[t * rows + i] = y[i * k + t];
  const first = new Int32Array(from + 1);
  for (let r = downTo; r <= from; r++) {
    let f = 0;
    while (f < rows && vectors[r * rows + f] === 0) f++;
    first[r] = f;
  }
  let t = 0;
  for (; t + 3 < k; t += 4) {
    const o0 = t * rows;
    const o1 = o0 + rows;
    const o2 = o1 + rows;
    const o3 = o2 + rows;
    for (let r = from; r >= downTo; r--) {
      const tr = tau[r];
      if (tr === 0) continue;
      const vo = r * rows;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let i = first[r]; i < rows; i++) {
        const vi = vectors[vo + i];
        d0 += vi * yt[o0 + i];
        d1 += vi * yt[o1 + i];
        d2 += vi * yt[o2 + i];
        d3 += vi * yt[o3 + i];
      }
      d0 *= tr;
      d1 *= tr;
      d2 *= tr;
      d3 *= tr;
      for (let i = first[r]; i < rows; i++) {
        const vi = vectors[vo + i];
        yt[o0 + i] -= d0 * vi;
        yt[o1 + i] -= d1 * vi;
        yt[o2 + i] -= d2 * vi;
        yt[o3 + i] -= d3 * vi;
      }
    }
  }
  for (; t < k; t++) {
    const o = t * rows;
    for (let r = from; r >= downTo; r--) {
      const tr = tau[r];
      if (tr === 0) continue;
      const vo = r * rows;
      let d = 0;
      for (let i = first[r]; i < rows; i++) d += vectors[vo + i] * yt[o + i];
      d *= tr;
      for (let i = first[r]; i < rows; i++) yt[o + i] -= d * vectors[vo + i];
    }
  }
  for (let i = 0; i < rows; i++) for (let t2 = 0; t2 < k; t2++) y[i * k + t2] = yt[t2 * rows + i];
}

/**
 * Factorise `a` once (all singular values at once) and get the leading singular vectors for any K
 * from `vectors(k)`, e.g. for a rank sweep: only the vector stage is repeated. `a` is not modified.
 * `withVectors: false` saves the rotation logs' memory when only values are wanted.
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
