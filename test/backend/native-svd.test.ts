import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { nativeSvd } from "../../src/backend/native-svd";
import { singularValues, svd, svdFactorize } from "../../src/lowrank/svd";
import { setSvdKernel, svdKernel } from "../../src/util/svd-kernel";
import { matrixWithSpectrum, maxAbsDiff, orthogonalityError, randomMatrix, reconstruct } from "../lowrank/fixtures";

const EPS = 2.220446049250313e-16;

/** The project's own SVD, with the kernel set aside for the call. */
function ownSvd<T>(fn: () => T): T {
  const kernel = setSvdKernel(undefined);
  try {
    return fn();
  } finally {
    setSvdKernel(kernel);
  }
}

test("on the tensorflow backend the SVD runs on TensorFlow's float64 kernel, bit-exact in and out", async () => {
  await initBackend("tensorflow", { quiet: true });
  assert.match(svdKernel()?.name ?? "none", /TensorFlow Svd/);
  const before = tf.memory().numTensors;
  const shapes: [number, number][] = [[1, 1], [1, 7], [7, 1], [5, 3], [3, 5], [64, 17], [17, 64], [100, 90], [70, 150], [200, 200]];
  shapes.forEach(([m, n], idx) => {
    const a = randomMatrix(m, n, 300 + idx);
    const copy = Float64Array.from(a.data);
    const r = svd(a);
    const p = Math.min(m, n);
    assert.deepEqual([r.singularValues.length, r.u.rows, r.u.cols, r.v.rows, r.v.cols], [p, m, p, n, p]);
    const tol = 30 * Math.max(m, n) * EPS;
    assert.ok(maxAbsDiff(reconstruct(r.u, r.singularValues, r.v).data, a.data) / r.singularValues[0] < tol, `${m}×${n}: U·S·Vᵀ ≠ A`);
    assert.ok(orthogonalityError(r.u) < tol && orthogonalityError(r.v) < tol, `${m}×${n}: U, V not orthonormal`);
    for (let i = 1; i < p; i++) assert.ok(r.singularValues[i] <= r.singularValues[i - 1], `${m}×${n}: σ not descending at ${i}`);
    // The same σ as the project's own SVD, to float64 rounding.
    const own = ownSvd(() => singularValues(a));
    assert.ok(maxAbsDiff(own, r.singularValues) < tol * r.singularValues[0], `${m}×${n}: σ differ from the project's SVD`);
    assert.deepEqual(a.data, copy, "input untouched");
  });
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
});

test("native SVD: a spectrum from 1 to 1e-12, repeated values and zeros, the zero matrix, values only, leading K", async () => {
  await initBackend("tensorflow", { quiet: true });
  const n = 40;
  const sigma = Array.from({ length: n }, (_, i) => 10 ** (-12 * (i / (n - 1))));
  const graded = svd(matrixWithSpectrum(50, n, sigma, 11));
  assert.ok(maxAbsDiff(graded.singularValues, sigma) < 20 * n * EPS, "graded spectrum");
  const repeated = [3, 3, 3, 1, 1, 1e-8, 1e-8, 0, 0];
  assert.ok(maxAbsDiff(singularValues(matrixWithSpectrum(9, 15, repeated, 21)), repeated) < 1e-14, "repeated values and zeros");
  assert.deepEqual(Array.from(svd({ data: new Float64Array(12), rows: 4, cols: 3 }).singularValues), [0, 0, 0]);
  const a = randomMatrix(40, 30, 9);
  const f = svdFactorize(a);
  const top = f.vectors(5);
  const full = f.vectors(30);
  for (let i = 0; i < 40; i++) for (let t = 0; t < 5; t++) assert.equal(top.u.data[i * 5 + t], full.u.data[i * 30 + t]);
  assert.equal(f.vectors(0).u.cols, 0);
  assert.throws(() => svdFactorize(a, { withVectors: false }).vectors(3), /without singular vectors/);
  assert.throws(() => f.vectors(31), /0\.\.30/);
});

test("the native kernel declines off the tensorflow backend, and LOWRANK_SVD=project keeps the project's own", async () => {
  await initBackend("tensorflow", { quiet: true });
  process.env.LOWRANK_SVD = "project";
  try {
    assert.equal(svdKernel(), undefined);
  } finally {
    delete process.env.LOWRANK_SVD;
  }
  await initBackend("cpu", { quiet: true });
  try {
    assert.equal(nativeSvd(randomMatrix(3, 3, 1), true), undefined);
    const r = svd(randomMatrix(6, 4, 2)); // the project's own, through the declined kernel
    assert.ok(orthogonalityError(r.u) < 1e-14);
  } finally {
    await initBackend("tensorflow", { quiet: true });
  }
});
