/**
 * Implicit-shift QR on an upper bidiagonal matrix (Golub–Kahan–Reinsch, as LAPACK's dbdsqr): Wilkinson
 * shifts, deflation from the bottom, a zero diagonal entry chased out with rotations. O(n²) flops for the
 * values; the rotations can be logged so that callers form the singular vectors of small problems.
 */

const EPS = 2.220446049250313e-16;

/** A growable list of plane rotations (a, b, cos, sin), as applied in order. With G on rows (a, b) =
 * [[c, −s], [s, c]], the singular vectors of B are the columns of G_0·G_1·…·G_last. */
export class RotationLog {
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

  /** m ← m·G_0·G_1·…·G_last for the size×size row-major m, G acting on columns (a, b) as [[c, −s], [s, c]]. */
  applyToColumns(m: Float64Array, size: number): void {
    for (let r = 0; r < this.length; r++) {
      const a = this.a[r], b = this.b[r], c = this.c[r], s = this.s[r];
      for (let i = 0, o = 0; i < size; i++, o += size) {
        const xa = m[o + a];
        const xb = m[o + b];
        m[o + a] = c * xa + s * xb;
        m[o + b] = c * xb - s * xa;
      }
    }
  }
}

/** Rotation [c s; −s c] with c·f + s·g = r, −s·f + c·g = 0. Writes into `rot`. */
export function givens(f: number, g: number, rot: Float64Array): void {
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
 * Diagonalise the upper bidiagonal (d, e) with implicit-shift QR, logging the left rotations in `logU`
 * and the right ones in `logV` (either may be null when vectors are not wanted). d may end negative.
 */
export function bidiagonalQr(d: Float64Array, e: Float64Array, n: number, logU: RotationLog | null, logV: RotationLog | null): void {
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
