import { test } from "node:test";
import assert from "node:assert/strict";
import { singularValues, svd, svdFactorize } from "../../src/lowrank/svd";
import { bidiagonalSvd } from "../../src/lowrank/svd-bdsdc";
import { gemm } from "../../src/lowrank/svd-gemm";
import { matMul, transpose, zeros } from "../../src/lowrank/matrix";
import {
  matrixWithSpectrum,
  maxAbs,
  maxAbsDiff,
  orthogonalityError,
  randomMatrix,
  reconstruct,
  symmetricEigenvalues,
} from "./fixtures";

const EPS = 2.220446049250313e-16;

function assertDescendingNonNegative(s: Float64Array): void {
  for (let i = 0; i < s.length; i++) {
    assert.ok(s[i] >= 0, `σ[${i}] = ${s[i]} < 0`);
    if (i > 0) assert.ok(s[i] <= s[i - 1], `σ not descending at ${i}: ${s[i - 1]} < ${s[i]}`);
  }
}

test("random matrices of every shape: U·S·Vᵀ = A and orthonormal U, V to float64 rounding", () => {
  const shapes: [number, number][] = [[1, 1], [1, 7], [7, 1], [2, 2], [5, 3], [3, 5], [30, 30], [64, 17], [17, 64], [48, 48], [100, 90], [70, 150]];
  shapes.forEach(([m, n], idx) => {
    const a = randomMatrix(m, n, 100 + idx);
    const r = svd(a);
    const p = Math.min(m, n);
    assert.equal(r.k, p);
    assert.equal(r.singularValues.length, p);
    assert.deepEqual([r.u.rows, r.u.cols, r.v.rows, r.v.cols], [m, p, n, p]);
    assertDescendingNonNegative(r.singularValues);
    const tol = 30 * Math.max(m, n) * EPS;
    const err = maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) / r.singularValues[0];
    assert.ok(err < tol, `${m}×${n}: reconstruction error ${err} ≥ ${tol}`);
    assert.ok(orthogonalityError(r.u) < tol, `${m}×${n}: UᵀU − I = ${orthogonalityError(r.u)}`);
    assert.ok(orthogonalityError(r.v) < tol, `${m}×${n}: VᵀV − I = ${orthogonalityError(r.v)}`);
    assert.equal(a.data.length, m * n, "input untouched");
  });
});

test("singular values agree with an independent method: √eig(AᵀA) by Jacobi rotations", () => {
  const a = randomMatrix(20, 12, 7);
  const reference = symmetricEigenvalues(matMul(transpose(a), a)).map(Math.sqrt);
  const s = singularValues(a);
  const err = maxAbsDiff(s, reference) / s[0];
  assert.ok(err < 1e-12, `relative difference ${err}`);
});

test("ill-conditioned: a spectrum from 1 down to 1e-12 is recovered to about n·ε·σ_max", () => {
  const n = 40;
  const sigma = Array.from({ length: n }, (_, i) => 10 ** (-12 * (i / (n - 1))));
  const a = matrixWithSpectrum(50, n, sigma, 11);
  const r = svd(a);
  const absErr = maxAbsDiff(r.singularValues, sigma);
  assert.ok(absErr < 20 * n * EPS, `max |σ − σ_true| = ${absErr}`);
  // The large ones are relatively accurate too.
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(r.singularValues[i] / sigma[i] - 1) < 1e-12, `σ[${i}] relative error`);
  assert.ok(maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) < 20 * n * EPS);
  assert.ok(orthogonalityError(r.u) < 20 * n * EPS);
  assert.ok(orthogonalityError(r.v) < 20 * n * EPS);
});

test("repeated singular values, exact zeros and a wide matrix", () => {
  const sigma = [3, 3, 3, 1, 1, 1e-8, 1e-8, 0, 0];
  const a = matrixWithSpectrum(9, 15, sigma, 21);
  const r = svd(a);
  assert.ok(maxAbsDiff(r.singularValues, sigma) < 1e-14, `σ = ${Array.from(r.singularValues)}`);
  assert.ok(orthogonalityError(r.u) < 1e-13);
  assert.ok(orthogonalityError(r.v) < 1e-13);
  assert.ok(maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) < 1e-14);
});

test("rank one: x·yᵀ has σ₁ = ‖x‖·‖y‖ and the rest zero", () => {
  const x = randomMatrix(12, 1, 3);
  const y = randomMatrix(1, 8, 4);
  const a = matMul(x, y);
  const s = singularValues(a);
  const nx = Math.hypot(...x.data);
  const ny = Math.hypot(...y.data);
  assert.ok(Math.abs(s[0] - nx * ny) < 1e-13 * nx * ny);
  assert.ok(maxAbs(s.subarray(1)) < 1e-14 * s[0]);
});

test("zero matrix: σ = 0 with orthonormal vectors", () => {
  const r = svd(zeros(4, 3));
  assert.deepEqual(Array.from(r.singularValues), [0, 0, 0]);
  assert.equal(orthogonalityError(r.u), 0);
  assert.equal(orthogonalityError(r.v), 0);
});

test("graded rows and a zero column are handled", () => {
  const a = randomMatrix(10, 6, 5);
  for (let i = 0; i < 10; i++) for (let j = 0; j < 6; j++) a.data[i * 6 + j] *= 10 ** (-i);
  for (let i = 0; i < 10; i++) a.data[i * 6 + 2] = 0;
  const r = svd(a);
  assert.ok(maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) < 200 * EPS * r.singularValues[0]);
  assert.ok(orthogonalityError(r.v) < 1e-13);
  assert.ok(r.singularValues[5] < 1e-15 * r.singularValues[0], "the zero column gives a zero singular value");
});

test("top-K vectors are the leading K of the full decomposition; σ are always all returned", () => {
  const a = randomMatrix(40, 30, 9);
  const full = svd(a);
  const top = svd(a, 5);
  assert.equal(top.k, 5);
  assert.deepEqual(Array.from(top.singularValues), Array.from(full.singularValues));
  for (let t = 0; t < 5; t++) {
    // Same column up to sign.
    const col = (m: typeof full.u, k: number) => Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + k]);
    const a1 = col(top.u, t);
    const b1 = col(full.u, t);
    const sign = Math.sign(a1.reduce((s, x, i) => s + x * b1[i], 0));
    assert.ok(maxAbsDiff(a1, b1.map((x) => x * sign)) < 1e-12, `u column ${t}`);
  }
  // Best rank-K approximation error = ‖A − A_K‖²_F = Σ_{t≥K} σ_t².
  const approx = reconstruct(top.u, top.singularValues, top.v);
  let err = 0;
  for (let i = 0; i < a.data.length; i++) err += (a.data[i] - approx.data[i]) ** 2;
  let tail = 0;
  for (let t = 5; t < full.singularValues.length; t++) tail += full.singularValues[t] ** 2;
  assert.ok(Math.abs(err / tail - 1) < 1e-12);
  assert.equal(svd(a, 0).u.cols, 0);
});

test("svdFactorize: values once, vectors for any K equal to svd(a, K)", () => {
  for (const [m, n] of [[30, 20], [20, 30]]) {
    const a = randomMatrix(m, n, 17);
    const f = svdFactorize(a);
    assert.deepEqual([f.rows, f.cols], [m, n]);
    for (const k of [0, 3, 20]) {
      const direct = svd(a, k);
      const later = f.vectors(k);
      assert.deepEqual(Array.from(later.u.data), Array.from(direct.u.data));
      assert.deepEqual(Array.from(later.v.data), Array.from(direct.v.data));
      assert.deepEqual([later.u.rows, later.u.cols, later.v.rows, later.v.cols], [m, k, n, k]);
    }
    assert.throws(() => f.vectors(21), /integer in 0\.\.20/);
  }
  const valuesOnly = svdFactorize(randomMatrix(4, 4, 1), { withVectors: false });
  assert.equal(valuesOnly.vectors(0).u.cols, 0);
  assert.throws(() => valuesOnly.vectors(2), /made without singular vectors/);
});

test("bad input gives a clear error", () => {
  const a = randomMatrix(3, 3, 1);
  assert.throws(() => svd(a, 4), /integer in 0\.\.3 for a 3×3 matrix, got 4/);
  assert.throws(() => svd(a, 1.5), /integer in 0\.\.3/);
  assert.throws(() => svd({ data: new Float64Array(5), rows: 2, cols: 3 }), /2×3 matrix needs 6 values, got 5/);
  const bad = randomMatrix(2, 2, 1);
  bad.data[3] = NaN;
  assert.throws(() => svd(bad), /non-finite value \(NaN\) at row 1, column 1/);
  assert.throws(() => svd({ data: [1, 2] as unknown as Float64Array, rows: 1, cols: 2 }), /Float64Array/);
});

test("blocked stages at sizes with several panels and merge levels: 260×200, 200×260, 400×40", () => {
  for (const [m, n] of [[260, 200], [200, 260], [400, 40]]) {
    const a = randomMatrix(m, n, 31);
    const r = svd(a);
    const tol = 30 * Math.max(m, n) * EPS;
    assertDescendingNonNegative(r.singularValues);
    const err = maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) / r.singularValues[0];
    assert.ok(err < tol, `${m}×${n}: reconstruction error ${err}`);
    assert.ok(orthogonalityError(r.u) < tol, `${m}×${n}: UᵀU − I = ${orthogonalityError(r.u)}`);
    assert.ok(orthogonalityError(r.v) < tol, `${m}×${n}: VᵀV − I = ${orthogonalityError(r.v)}`);
    // Values alone (two-stage reduction here, n ≥ 128, then QR on B) agree with the divide-and-conquer values.
    const s = singularValues(a);
    assert.ok(maxAbsDiff(s, r.singularValues) < tol * r.singularValues[0], "values-only vs with vectors");
  }
});

test("clusters and repeats at a size where divide and conquer deflates across its halves", () => {
  const n = 150;
  // Repeats (exact and within 1e-15), a tight cluster, and a graded tail down to 1e-14.
  const sigma = Array.from({ length: n }, (_, i) => (i < 40 ? 2 : i < 60 ? 1 + (i - 40) * 1e-15 : i < 100 ? 0.5 + (i - 60) * 1e-9 : 10 ** (-14 * ((i - 100) / 49))));
  sigma.sort((x, y) => y - x);
  const a = matrixWithSpectrum(170, n, sigma, 41);
  const r = svd(a);
  const tol = 30 * 170 * EPS;
  assert.ok(maxAbsDiff(r.singularValues, sigma) < tol, `max |σ − σ_true| = ${maxAbsDiff(r.singularValues, sigma)}`);
  assert.ok(orthogonalityError(r.u) < tol, `UᵀU − I = ${orthogonalityError(r.u)}`);
  assert.ok(orthogonalityError(r.v) < tol, `VᵀV − I = ${orthogonalityError(r.v)}`);
  assert.ok(maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) < tol);
});

test("bidiagonal divide and conquer: zero diagonal entries, split off-diagonals and grading", () => {
  const n = 130;
  const cases: [string, Float64Array, Float64Array][] = [
    ["zeros on the diagonal", Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 5))), Float64Array.from({ length: n - 1 }, () => 1)],
    ["zero off-diagonals", Float64Array.from({ length: n }, (_, i) => 1 + (i % 3)), Float64Array.from({ length: n - 1 }, (_, i) => (i % 9 === 0 ? 0 : 0.5))],
    ["graded", Float64Array.from({ length: n }, (_, i) => 10 ** (-i / 10)), Float64Array.from({ length: n - 1 }, (_, i) => 0.7 * 10 ** (-i / 10))],
    ["constant", new Float64Array(n).fill(1), new Float64Array(n - 1).fill(1)],
  ];
  for (const [label, d, e] of cases) {
    const { sigma, u, v, order } = bidiagonalSvd(d, e, n);
    assertDescendingNonNegative(Float64Array.from(order, (j) => sigma[j]));
    assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i), "order is a permutation");
    let res = 0;
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < n; i++) {
        const bv = d[i] * v[i * n + t] + (i < n - 1 ? e[i] * v[(i + 1) * n + t] : 0);
        res = Math.max(res, Math.abs(bv - sigma[t] * u[i * n + t]));
      }
    }
    assert.ok(res < 20 * n * EPS * sigma[order[0]], `${label}: ‖B·v − σ·u‖ = ${res}`);
    assert.ok(orthogonalityError({ data: u, rows: n, cols: n }) < 20 * n * EPS, `${label}: U not orthonormal`);
    assert.ok(orthogonalityError({ data: v, rows: n, cols: n }) < 20 * n * EPS, `${label}: V not orthonormal`);
  }
});

test("gemm: C += α·op(A)·op(B) with strides, transposes and edge sizes", () => {
  for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [33, 65, 300], [4, 9, 513], [300, 6, 2]]) {
    const a = randomMatrix(m, k, m + n + k);
    const b = randomMatrix(k, n, m * n + k);
    const expected = matMul(a, b);
    const at = transpose(a);
    const bt = transpose(b);
    // Plain, A transposed in storage, B transposed in storage, into a wider C at an offset.
    const c1 = new Float64Array(m * n);
    gemm(m, n, k, 1, a.data, 0, k, 1, b.data, 0, n, 1, c1, 0, n);
    const c2 = new Float64Array(m * n);
    gemm(m, n, k, 1, at.data, 0, 1, m, bt.data, 0, 1, k, c2, 0, n);
    const ld = n + 3;
    const c3 = new Float64Array((m + 1) * ld).fill(1);
    gemm(m, n, k, -2, a.data, 0, k, 1, b.data, 0, n, 1, c3, ld + 2, ld);
    const scale = k * 10;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const x = expected.data[i * n + j];
        assert.ok(Math.abs(c1[i * n + j] - x) < 1e-14 * scale, `${m}×${n}×${k} plain`);
        assert.ok(Math.abs(c2[i * n + j] - x) < 1e-14 * scale, `${m}×${n}×${k} transposed`);
        assert.ok(Math.abs(c3[(i + 1) * ld + j + 2] - (1 - 2 * x)) < 1e-14 * scale, `${m}×${n}×${k} offset`);
      }
    }
    assert.equal(c3[0], 1, "outside the block untouched");
  }
});

test("timing: 192×192 (a 64→64 3×3 layer) full SVD", () => {
  const a = randomMatrix(192, 192, 2);
  const t0 = performance.now();
  const r = svd(a);
  const ms = performance.now() - t0;
  const t1 = performance.now();
  singularValues(a);
  const msValues = performance.now() - t1;
  console.log(`# svd 192×192: ${ms.toFixed(0)} ms with all vectors, ${msValues.toFixed(0)} ms values only`);
  assert.ok(orthogonalityError(r.u) < 1e-12);
});
