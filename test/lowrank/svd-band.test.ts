import { test } from "node:test";
import assert from "node:assert/strict";
import { bandToBidiagonal, reduceToBand } from "../../src/lowrank/svd-band";
import { bidiagonalQr } from "../../src/lowrank/svd-bdsqr";
import { matrixWithSpectrum, maxAbsDiff, randomMatrix } from "./fixtures";

const EPS = 2.220446049250313e-16;

/** Singular values by the two stages alone (descending). */
function twoStageValues(data: Float64Array, m: number, n: number, b: number): { values: Float64Array; band: Float64Array } {
  const w = new Float64Array(data);
  reduceToBand(w, m, n, b);
  const band = new Float64Array(w);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  bandToBidiagonal(w, n, n, b, d, e);
  bidiagonalQr(d, e, n, null, null);
  return { values: Float64Array.from(d, Math.abs).sort().reverse(), band };
}

test("reduceToBand leaves an upper band of the stated width (zeros elsewhere, rows ≥ n included)", () => {
  for (const [m, n, b] of [[60, 45, 8], [45, 45, 16], [37, 37, 32], [90, 12, 32]] as const) {
    const { band } = twoStageValues(randomMatrix(m, n, m + n).data, m, n, b);
    let outside = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (j < i || j > i + b) outside = Math.max(outside, Math.abs(band[i * n + j]));
    assert.equal(outside, 0, `${m}×${n}, b = ${b}`);
  }
});

test("two-stage singular values equal the known spectrum to about n·ε·σ_max, at widths that split and do not split n", () => {
  for (const [m, n, b] of [[80, 64, 8], [64, 64, 32], [101, 77, 16], [50, 50, 32], [40, 7, 4], [3, 3, 2]] as const) {
    const sigma = Array.from({ length: n }, (_, i) => 10 ** (-8 * (i / Math.max(n - 1, 1))));
    const a = matrixWithSpectrum(m, n, sigma, m * 7 + n);
    const { values } = twoStageValues(a.data, m, n, b);
    const err = maxAbsDiff(values, sigma);
    assert.ok(err < 20 * n * EPS, `${m}×${n}, b = ${b}: max |σ − σ_true| = ${err}`);
  }
});

test("two-stage: repeated values, exact zeros (rank deficient) and a zero column", () => {
  const n = 70;
  const sigma = Array.from({ length: n }, (_, i) => (i < 10 ? 3 : i < 50 ? 1 : 0));
  const a = matrixWithSpectrum(90, n, sigma, 5);
  assert.ok(maxAbsDiff(twoStageValues(a.data, 90, n, 16).values, sigma) < 50 * n * EPS);
  const z = randomMatrix(50, 40, 9);
  for (let i = 0; i < 50; i++) z.data[i * 40 + 17] = 0;
  const one = twoStageValues(z.data, 50, 40, 8).values;
  assert.equal(one.length, 40);
  assert.ok(one[39] < 1e-13, `σ_min of a matrix with a zero column: ${one[39]}`);
});
