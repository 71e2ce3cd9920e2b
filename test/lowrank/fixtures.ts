/** Shared helpers for the lowrank tests (not a test file). */
import { Matrix, matMul, transpose } from "../../src/lowrank/matrix";
import { HostKernel } from "../../src/lowrank/host-kernel";

/** Deterministic uniform(−0.5, 0.5) stream (LCG), so failures reproduce. */
export function uniforms(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

/** Roughly standard normal values (Box–Muller on the LCG). */
export function normals(n: number, seed: number): Float64Array {
  const u = uniforms(2 * n, seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = u[2 * i] + 0.5 || 1e-12;
    const b = u[2 * i + 1] + 0.5;
    out[i] = Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  }
  return out;
}

export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  return { data: normals(rows * cols, seed), rows, cols };
}

export function randomKernel(shape: [number, number, number, number], seed: number): HostKernel {
  return { data: Float32Array.from(normals(shape[0] * shape[1] * shape[2] * shape[3], seed), (x) => x * 0.2), shape };
}

/** n×k matrix with orthonormal columns: modified Gram–Schmidt, twice (independent of the SVD code). */
export function randomOrthonormal(n: number, k: number, seed: number): Matrix {
  const a = randomMatrix(n, k, seed);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a.data[i * k + j] * a.data[i * k + p];
        for (let i = 0; i < n; i++) a.data[i * k + j] -= dot * a.data[i * k + p];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += a.data[i * k + j] ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) a.data[i * k + j] /= norm;
    }
  }
  return a;
}

/** Q1·diag(σ)·Q2ᵀ with random orthonormal Q1 (m×p), Q2 (n×p), p = σ.length. */
export function matrixWithSpectrum(m: number, n: number, sigma: ArrayLike<number>, seed: number): Matrix {
  const p = sigma.length;
  const q1 = randomOrthonormal(m, p, seed);
  const q2 = randomOrthonormal(n, p, seed + 1000);
  for (let i = 0; i < m; i++) for (let t = 0; t < p; t++) q1.data[i * p + t] *= sigma[t];
  return matMul(q1, transpose(q2));
}

/** max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max |QᵀQ − I| over the columns of q. */
export function orthogonalityError(q: Matrix): number {
  const g = matMul(transpose(q), q);
  let e = 0;
  for (let i = 0; i < q.cols; i++) for (let j = 0; j < q.cols; j++) e = Math.max(e, Math.abs(g.data[i * q.cols + j] - (i === j ? 1 : 0)));
  return e;
}

/** U·diag(σ[:k])·Vᵀ. */
export function reconstruct(u: Matrix, sigma: ArrayLike<number>, v: Matrix): Matrix {
  const k = u.cols;
  const us: Matrix = { data: new Float64Array(u.data), rows: u.rows, cols: k };
  for (let i = 0; i < u.rows; i++) for (let t = 0; t < k; t++) us.data[i * k + t] *= sigma[t];
  return matMul(us, transpose(v));
}

/**
 * Eigenvalues of a symmetric matrix by cyclic Jacobi rotations: a slow, simple, independent reference
 * for σ² = eig(AᵀA) on small well-conditioned matrices.
 */
export function symmetricEigenvalues(s: Matrix): number[] {
  const n = s.rows;
  const a = Float64Array.from(s.data);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - sn * akq;
          a[k * n + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - sn * aqk;
          a[q * n + k] = sn * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]).sort((x, y) => y - x);
}
