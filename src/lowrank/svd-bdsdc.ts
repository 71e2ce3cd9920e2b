import { RotationLog, bidiagonalQr } from "./svd-bdsqr";
import { parallelGemm, workArray } from "./svd-parallel";

/**
 * Singular values and all singular vectors of an upper bidiagonal matrix by divide and conquer (Gu and
 * Eisenstat 1995; the scheme of LAPACK's dbdsdc/dlasd1–dlasd4).
 *
 * An n×(n+sqre) bidiagonal B (sqre ∈ {0, 1}) is split at row nl = ⌊n/2⌋ into an nl×(nl+1) upper part
 * B1, the coupling row (α = d[nl], β = e[nl]) and a lower part B2 (nr×(nr+sqre)). With the children's
 * SVDs, B = diag(U1, 1, U2)·M·diag(V1, V2)ᵀ, where M is, up to a permutation, the "arrow" matrix with
 * first row z (one entry per child singular value, plus one from the children's null vectors) and
 * diagonal (0, σ(B1), σ(B2)). Its singular values are the roots of the secular equation
 * 1 + Σ z_i² / (d_i² − σ²) = 0, one in each gap between consecutive d_i. Each root is found as an
 * offset from its nearer pole, so every difference σ_j² − d_i² is accurate; z is then recomputed from
 * the roots (Löwner's formula) so that the computed vectors are orthogonal to working precision. The
 * new vectors are the old ones times the arrow's, two matrix products per side per merge (≈ n³ flops
 * per side at the top, 4n³/3 over all levels on random matrices), which is where the time goes.
 * Deflation (z_i ≈ 0 or d_i ≈ d_j) keeps the problem well-separated and skips work.
 */

/** Subproblems this small are solved by QR with rotations accumulated in place. */
const LEAF = 24;
const ULP = 1.1102230246251565e-16; // 2^-53, unit roundoff
const EPS = 2.220446049250313e-16;

/** σ (any order), U n×n and V m×m (m = n + sqre; V's last column spans B's null space when sqre = 1). */
interface Part {
  sigma: Float64Array;
  u: Float64Array;
  v: Float64Array;
}

/**
 * SVD of the n×n upper bidiagonal (d, e): u and v n×n row-major, column j the left and right singular
 * vector of σ_j = sigma[j] (in no particular order); `order` lists the columns by descending σ (ties by
 * index). d and e are not modified.
 */
export function bidiagonalSvd(d: Float64Array, e: Float64Array, n: number): Part & { order: Int32Array } {
  const part = solve(d, e, 0, n, 0);
  const order = Int32Array.from(Array.from({ length: n }, (_, i) => i).sort((x, y) => part.sigma[y] - part.sigma[x] || x - y));
  return { ...part, order };
}

/** The n×(n+sqre) bidiagonal with diagonal d[off..] and superdiagonal e[off..] (n − 1 + sqre entries). */
function solve(d: Float64Array, e: Float64Array, off: number, n: number, sqre: number): Part {
  if (n <= LEAF) return leaf(d, e, off, n, sqre);
  const nl = n >> 1;
  const nr = n - nl - 1;
  const left = solve(d, e, off, nl, 1);
  const right = solve(d, e, off + nl + 1, nr, sqre);
  return merge(d[off + nl], e[off + nl], nl, nr, sqre, left, right);
}

/**
 * Small problems by QR. With sqre = 1 a zero row is appended (making it square): QR then removes the extra
 * column with right rotations only, so the appended row stays a unit left singular vector and drops out.
 */
function leaf(d: Float64Array, e: Float64Array, off: number, n: number, sqre: number): Part {
  const size = n + sqre;
  const dd = new Float64Array(size);
  const ee = new Float64Array(Math.max(size - 1, 0));
  for (let i = 0; i < n; i++) dd[i] = d[off + i];
  for (let i = 0; i < size - 1; i++) ee[i] = e[off + i];
  const logU = new RotationLog();
  const logV = new RotationLog();
  bidiagonalQr(dd, ee, size, logU, logV);
  const uFull = new Float64Array(size * size);
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    uFull[i * size + i] = 1;
    v[i * size + i] = 1;
  }
  logU.applyToColumns(uFull, size);
  logV.applyToColumns(v, size);
  const sigma = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (dd[i] < 0) for (let r = 0; r < size; r++) v[r * size + i] = -v[r * size + i];
    sigma[i] = Math.abs(dd[i]);
  }
  if (sqre === 0) return { sigma, u: uFull, v };
  const u = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let t = 0; t < n; t++) u[r * n + t] = uFull[r * size + t];
  return { sigma, u, v };
}

const TOP = 1; // a basis column non-zero only in the rows of the upper child (and the coupling row)
const DENSE = 2;
const BOTTOM = 3; // non-zero only in the rows of the lower child

function merge(alpha: number, beta: number, nl: number, nr: number, sqre: number, left: Part, right: Part): Part {
  const n = nl + nr + 1;
  const m = n + sqre;
  const m1 = nl + 1; // V1 is m1×m1; rows 0..nl of U and V are the "top" rows
  const m2 = nr + sqre; // V2 is m2×m2
  const { sigma: s1, u: u1, v: v1 } = left;
  const { sigma: s2, u: u2, v: v2 } = right;

  // Arrow index i: 0 = coupling row / combined null column, 1..nl = σ(B1), nl+1..n−1 = σ(B2).
  // Column i of qu (n×n) and qv (m×n) is the basis vector that the arrow's row/column i stands for.
  const qu = new Float64Array(n * n);
  const qv = new Float64Array(m * n);
  const z = new Float64Array(n);
  const dv = new Float64Array(n);
  const typeU = new Uint8Array(n);
  const typeV = new Uint8Array(n);
  qu[nl * n] = 1;
  for (let r = 0; r < nl; r++) for (let i = 0; i < nl; i++) qu[r * n + 1 + i] = u1[r * nl + i];
  for (let r = 0; r < nr; r++) for (let i = 0; i < nr; i++) qu[(m1 + r) * n + m1 + i] = u2[r * nr + i];
  for (let r = 0; r < m1; r++) for (let i = 0; i < nl; i++) qv[r * n + 1 + i] = v1[r * m1 + i];
  for (let r = 0; r < m2; r++) for (let i = 0; i < nr; i++) qv[(m1 + r) * n + m1 + i] = v2[r * m2 + i];
  for (let i = 0; i < nl; i++) {
    z[1 + i] = alpha * v1[nl * m1 + i];
    dv[1 + i] = s1[i];
    typeU[1 + i] = TOP;
    typeV[1 + i] = TOP;
  }
  for (let i = 0; i < nr; i++) {
    z[m1 + i] = beta * v2[i];
    dv[m1 + i] = s2[i];
    typeU[m1 + i] = BOTTOM;
    typeV[m1 + i] = BOTTOM;
  }
  // The children's null vectors meet the coupling row in one entry each: rotate them into one column.
  const p1 = alpha * v1[nl * m1 + nl];
  const p2 = sqre ? beta * v2[nr] : 0;
  const r0 = Math.hypot(p1, p2);
  const c0 = r0 === 0 ? 1 : p1 / r0;
  const s0 = r0 === 0 ? 0 : p2 / r0;
  for (let r = 0; r < m1; r++) qv[r * n] = c0 * v1[r * m1 + nl];
  if (sqre) for (let r = 0; r < m2; r++) qv[(m1 + r) * n] = s0 * v2[r * m2 + nr];
  z[0] = r0;
  typeU[0] = TOP;
  typeV[0] = sqre && s0 !== 0 ? DENSE : TOP;

  let scale = Math.max(Math.abs(alpha), Math.abs(beta));
  for (let i = 1; i < n; i++) scale = Math.max(scale, dv[i]);
  if (scale === 0) scale = 1;
  for (let i = 0; i < n; i++) {
    z[i] /= scale;
    dv[i] /= scale;
  }

  // Deflation, in ascending order of d (index 0, the pole at 0, stays first).
  const tol = 8 * ULP;
  if (Math.abs(z[0]) <= tol) z[0] = tol;
  const sorted = Array.from({ length: n - 1 }, (_, i) => i + 1).sort((x, y) => dv[x] - dv[y] || x - y);
  const kept: number[] = [0];
  const deflated: number[] = [];
  let prev = -1;
  for (const j of sorted) {
    if (Math.abs(z[j]) <= tol) {
      deflated.push(j);
      continue;
    }
    if (prev >= 0 && dv[j] - dv[prev] <= tol) {
      // Equal poles: a rotation of the two columns (the same on both sides, so the diagonal is unchanged
      // up to tol) zeroes z[prev], which then deflates.
      const r = Math.hypot(z[j], z[prev]);
      const c = z[j] / r;
      const s = -z[prev] / r;
      z[j] = r;
      z[prev] = 0;
      rotateColumns(qu, n, n, prev, j, c, s);
      rotateColumns(qv, m, n, prev, j, c, s);
      typeU[prev] = typeU[j] = typeU[prev] === typeU[j] ? typeU[j] : DENSE;
      typeV[prev] = typeV[j] = typeV[prev] === typeV[j] ? typeV[j] : DENSE;
      deflated.push(prev);
    } else if (prev >= 0) {
      kept.push(prev);
    }
    prev = j;
  }
  if (prev >= 0) kept.push(prev);

  const k = kept.length;
  const dk = new Float64Array(k);
  const zk = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    dk[i] = dv[kept[i]];
    zk[i] = z[kept[i]];
  }
  if (k > 1 && dk[1] <= tol / 2) dk[1] = tol / 2; // keep the first pole apart from the one at 0
  const arrow = secularSvd(dk, zk);

  // New vectors: columns 0..k−1 from the roots, then the deflated ones unchanged.
  const sigma = new Float64Array(n);
  const u = workArray(n * n);
  const v = workArray(m * m);
  for (let t = 0; t < k; t++) sigma[t] = arrow.sigma[t] * scale;
  combine(qu, n, kept, typeU, arrow.u, k, 0, m1, u, n);
  combine(qu, n, kept, typeU, arrow.u, k, m1, n, u, n);
  combine(qv, n, kept, typeV, arrow.v, k, 0, m1, v, m);
  combine(qv, n, kept, typeV, arrow.v, k, m1, m, v, m);
  const nd = deflated.length;
  for (let q = 0; q < nd; q++) sigma[k + q] = dv[deflated[q]] * scale;
  for (let r = 0; r < n; r++) for (let q = 0; q < nd; q++) u[r * n + k + q] = qu[r * n + deflated[q]];
  for (let r = 0; r < m; r++) for (let q = 0; q < nd; q++) v[r * m + k + q] = qv[r * n + deflated[q]];
  if (sqre) {
    // The rest of the null-column rotation: B's null vector.
    for (let r = 0; r < m1; r++) v[r * m + n] = -s0 * v1[r * m1 + nl];
    for (let r = 0; r < m2; r++) v[(m1 + r) * m + n] = c0 * v2[r * m2 + nr];
  }
  return { sigma, u, v };
}

/** Columns x = col a, y = col b of the rows×cols row-major q: x ← c·x + s·y, y ← c·y − s·x. */
function rotateColumns(q: Float64Array, rows: number, cols: number, a: number, b: number, c: number, s: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const x = q[o + a];
    const y = q[o + b];
    q[o + a] = c * x + s * y;
    q[o + b] = c * y - s * x;
  }
}

/**
 * out[r0..r1, 0..k) = q[r0..r1, kept]·w (w is k×k, row i for basis column kept[i]), using only the basis
 * columns that are non-zero in those rows (the top rows r0 = 0, or the bottom ones).
 */
function combine(q: Float64Array, cols: number, kept: number[], type: Uint8Array, w: Float64Array, k: number, r0: number, r1: number, out: Float64Array, ldo: number): void {
  const rows = r1 - r0;
  if (rows <= 0 || k === 0) return;
  const skip = r0 === 0 ? BOTTOM : TOP;
  const use: number[] = [];
  for (let i = 0; i < k; i++) if (type[kept[i]] !== skip) use.push(i);
  const p = use.length;
  if (p === 0) return;
  const a = workArray(rows * p);
  const b = workArray(p * k);
  for (let r = 0; r < rows; r++) {
    const src = (r0 + r) * cols;
    for (let t = 0; t < p; t++) a[r * p + t] = q[src + kept[use[t]]];
  }
  for (let t = 0; t < p; t++) b.set(w.subarray(use[t] * k, use[t] * k + k), t * k);
  parallelGemm(rows, k, p, 1, a, 0, p, 1, b, 0, k, 1, out, r0 * ldo, ldo);
}

/**
 * SVD of the k×k arrow matrix with first row z and diagonal d (d[0] = 0 < d[1] < … , gaps > 0, z ≠ 0):
 * σ ascending (σ_j ∈ (d_j, d_{j+1})), u and v k×k row-major (column j for σ_j).
 */
function secularSvd(d: Float64Array, z: Float64Array): Part {
  const k = d.length;
  const origin = new Int32Array(k);
  const tau = new Float64Array(k); // σ_j² = d[origin_j]² + tau_j
  const sigma = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const r = secularRoot(d, z, j);
    origin[j] = r.origin;
    tau[j] = r.tau;
    const dO = d[r.origin];
    sigma[j] = Math.sqrt(dO * dO + r.tau);
  }
  // σ_j² − d_i² = (d_o − d_i)(d_o + d_i) + τ_j: accurate, as τ_j is σ_j's offset from its nearer pole o.
  // Löwner: the z for which the computed σ are exact; the vectors built from it are orthogonal.
  const zh = new Float64Array(k);
  for (let i = 0; i < k; i++) zh[i] = 1;
  for (let j = 0; j < k; j++) {
    const dO = d[origin[j]];
    const tj = tau[j];
    // σ_j² − d_i² pairs with d_j² − d_i² for i > j and with d_{j+1}² − d_i² for i ≤ j (j < k − 1).
    for (let i = 0; i < k; i++) {
      const di = d[i];
      const num = (dO - di) * (dO + di) + tj;
      if (j === k - 1) zh[i] *= num;
      else {
        const p = i > j ? d[j] : d[j + 1];
        zh[i] *= num / ((p - di) * (p + di));
      }
    }
  }
  for (let i = 0; i < k; i++) {
    const mag = Math.sqrt(Math.abs(zh[i]));
    zh[i] = z[i] < 0 ? -mag : mag;
  }
  const u = new Float64Array(k * k);
  const v = new Float64Array(k * k);
  const cu = new Float64Array(k);
  const cv = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const dO = d[origin[j]];
    const tj = tau[j];
    let nu = 1;
    let nv = 0;
    for (let i = 0; i < k; i++) {
      const di = d[i];
      const x = -zh[i] / ((dO - di) * (dO + di) + tj);
      cv[i] = x;
      nv += x * x;
      const y = di * x;
      cu[i] = y;
      nu += y * y;
    }
    nu -= cu[0] * cu[0];
    cu[0] = -1;
    const iu = 1 / Math.sqrt(nu);
    const iv = 1 / Math.sqrt(nv);
    for (let i = 0; i < k; i++) {
      u[i * k + j] = cu[i] * iu;
      v[i * k + j] = cv[i] * iv;
    }
  }
  return { sigma, u, v };
}

/**
 * Root j of f(x) = 1 + Σ z_i² / (δ_i − x), δ_i = d_i² − d_o², where the origin o is the pole (j or j+1)
 * nearer to the root. Iterates with Li's "middle way": ψ (poles ≤ j) and φ (poles > j) are each modelled
 * as c + s/(δ − x) through their value and slope, and the model's root is taken; bisection on the
 * bracket whenever that step leaves it.
 */
function secularRoot(d: Float64Array, z: Float64Array, j: number): { origin: number; tau: number } {
  const k = d.length;
  let o: number;
  let lo: number;
  let hi: number;
  if (j < k - 1) {
    const dj = d[j];
    const mid = ((d[j + 1] - dj) * (d[j + 1] + dj)) / 2;
    let f = 1;
    for (let i = 0; i < k; i++) f += (z[i] * z[i]) / ((d[i] - dj) * (d[i] + dj) - mid);
    if (f >= 0) {
      o = j;
      lo = 0;
      hi = mid;
    } else {
      o = j + 1;
      lo = -mid;
      hi = 0;
    }
  } else {
    o = j;
    lo = 0;
    hi = 0;
    for (let i = 0; i < k; i++) hi += z[i] * z[i];
  }
  const dO = d[o];
  const deltaJ = (d[j] - dO) * (d[j] + dO);
  const deltaJ1 = j < k - 1 ? (d[j + 1] - dO) * (d[j + 1] + dO) : 0;
  let x = o === j ? hi : lo;
  for (let iter = 0; iter < 100; iter++) {
    let psi = 0;
    let dpsi = 0;
    let phi = 0;
    let dphi = 0;
    for (let i = 0; i <= j; i++) {
      const t = z[i] / ((d[i] - dO) * (d[i] + dO) - x);
      psi += z[i] * t;
      dpsi += t * t;
    }
    for (let i = j + 1; i < k; i++) {
      const t = z[i] / ((d[i] - dO) * (d[i] + dO) - x);
      phi += z[i] * t;
      dphi += t * t;
    }
    const w = 1 + psi + phi;
    if (!Number.isFinite(w)) break;
    if (w < 0) lo = x;
    else hi = x;
    if (Math.abs(w) <= EPS * (8 * (1 + Math.abs(psi) + Math.abs(phi)) + Math.abs(x) * (dpsi + dphi))) break;
    const a = deltaJ - x;
    let next: number;
    if (j < k - 1) {
      const b = deltaJ1 - x;
      const s = dpsi * a * a;
      const S = dphi * b * b;
      const C = w - dpsi * a - dphi * b;
      // C·(a − η)(b − η) + s·(b − η) + S·(a − η) = 0 has exactly one root η in (a, b).
      const qa = C;
      const qb = C * (a + b) + s + S;
      const qc = C * a * b + s * b + S * a;
      let eta: number;
      if (qa === 0) {
        eta = qc / qb;
      } else {
        const disc = Math.sqrt(Math.max(0, qb * qb - 4 * qa * qc));
        const q = qb >= 0 ? (qb + disc) / 2 : (qb - disc) / 2;
        const e1 = q / qa;
        eta = e1 > a && e1 < b ? e1 : qc / q;
      }
      next = x + eta;
    } else {
      const s = dpsi * a * a;
      const C = w - dpsi * a;
      next = C > 0 ? x + a + s / C : NaN;
    }
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (next === x || hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) break;
    x = next;
  }
  return { origin: o, tau: x };
}
