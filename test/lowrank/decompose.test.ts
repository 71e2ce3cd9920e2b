import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decomposeKernel,
  decomposePointwise,
  factorizeKernel,
  kernelEnergy,
  reconstructKernel,
  singularValuesOfKernel,
  type HostKernel,
} from "../../src/lowrank/decompose";
import { kernelToMatrix } from "../../src/lowrank/kernel-matrix";
import { singularValues } from "../../src/lowrank/svd";
import { maxAbs, maxAbsDiff, normals, randomKernel } from "./fixtures";

function squaredDistance(a: HostKernel, b: HostKernel): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
  return s;
}

test("full rank reconstructs the kernel exactly (d = 3, 5 and non-square)", () => {
  for (const shape of [[3, 3, 4, 6], [5, 5, 3, 2], [3, 5, 2, 3], [1, 3, 4, 4]] as [number, number, number, number][]) {
    const w = randomKernel(shape, 3);
    const full = Math.min(shape[2] * shape[0], shape[3] * shape[1]);
    const d = decomposeKernel(w, full);
    assert.deepEqual(d.vertical.shape, [shape[0], 1, shape[2], full]);
    assert.deepEqual(d.horizontal.shape, [1, shape[1], full, shape[3]]);
    const back = reconstructKernel(d.vertical, d.horizontal);
    assert.deepEqual(back.shape, shape);
    const rel = maxAbsDiff(back.data, w.data) / maxAbs(w.data);
    assert.ok(rel <= 1e-5, `[${shape}] relative error ${rel}`);
    assert.ok(d.residual <= 1e-20 * kernelEnergy(w) + 1e-300, `residual ${d.residual}`);
  }
});

test("residual = Σ discarded σ² = ‖W − reconstruct‖², for every rank", () => {
  const w = randomKernel([3, 3, 5, 4], 5);
  const sigma = singularValuesOfKernel(w);
  assert.equal(sigma.length, 12);
  for (let k = 1; k <= 12; k++) {
    const d = decomposeKernel(w, k);
    assert.deepEqual(Array.from(d.singularValues), Array.from(sigma));
    let tail = 0;
    for (let t = k; t < sigma.length; t++) tail += sigma[t] ** 2;
    const direct = squaredDistance(w, reconstructKernel(d.vertical, d.horizontal));
    if (k < 12) {
      assert.ok(Math.abs(d.residual / tail - 1) <= 1e-5, `K=${k}: residual ${d.residual} vs Σσ² ${tail}`);
      assert.ok(Math.abs(direct / tail - 1) <= 1e-5, `K=${k}: ‖W − W̃‖² ${direct} vs Σσ² ${tail}`);
    } else {
      assert.ok(direct <= 1e-12 * kernelEnergy(w));
    }
  }
});

test("factors are U·√S and V·√S: their columns are orthogonal with squared norms σ_k", () => {
  const w = randomKernel([3, 3, 4, 5], 8);
  const d = decomposeKernel(w, 6);
  const [kh, , C, K] = d.vertical.shape;
  const [, kw, , N] = d.horizontal.shape;
  const gram = (get: (row: number, k: number) => number, rows: number) =>
    Array.from({ length: K }, (_, a) => Array.from({ length: K }, (_, b) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += get(r, a) * get(r, b);
      return s;
    }));
  const gv = gram((r, k) => d.vertical.data[r * K + k], kh * C); // rows (i, c) in any order
  const gh = gram((r, k) => {
    const j = Math.floor(r / N);
    const n = r % N;
    return d.horizontal.data[(j * K + k) * N + n];
  }, kw * N);
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      const expected = a === b ? d.singularValues[a] : 0;
      assert.ok(Math.abs(gv[a][b] - expected) < 1e-12, `vertical Gram [${a},${b}]`);
      assert.ok(Math.abs(gh[a][b] - expected) < 1e-12, `horizontal Gram [${a},${b}]`);
    }
  }
});

test("optimality: random perturbations of the factors never lower the residual", () => {
  const w = randomKernel([3, 3, 4, 4], 13);
  for (const k of [1, 3, 7]) {
    const d = decomposeKernel(w, k);
    for (let trial = 0; trial < 40; trial++) {
      const scale = [1e-6, 1e-3, 1e-1][trial % 3];
      const nv = normals(d.vertical.data.length, 1000 + trial);
      const nh = normals(d.horizontal.data.length, 2000 + trial);
      const v = { data: d.vertical.data.map((x, i) => x + scale * nv[i]), shape: d.vertical.shape };
      const h = { data: d.horizontal.data.map((x, i) => (trial % 2 ? x + scale * nh[i] : x)), shape: d.horizontal.shape };
      const r = squaredDistance(w, reconstructKernel(v, h));
      assert.ok(r >= d.residual * (1 - 1e-9), `K=${k} trial ${trial}: perturbed residual ${r} < optimal ${d.residual}`);
    }
  }
});

test("factorizeKernel: one SVD, any rank, identical to decomposeKernel", () => {
  const w = randomKernel([3, 3, 6, 5], 31);
  const f = factorizeKernel(w);
  assert.deepEqual(Array.from(f.singularValues), Array.from(singularValuesOfKernel(w)));
  for (const k of [1, 4, 15]) {
    const a = f.decompose(k);
    const b = decomposeKernel(w, k);
    assert.deepEqual(Array.from(a.vertical.data), Array.from(b.vertical.data));
    assert.deepEqual(Array.from(a.horizontal.data), Array.from(b.horizontal.data));
    assert.equal(a.residual, b.residual);
  }
  assert.throws(() => f.decompose(16), /integer in 1\.\.15 for a 3×3 conv 6→5/);
  assert.throws(() => factorizeKernel(randomKernel([1, 1, 2, 2], 1)), /decomposePointwise/);
});

test("singularValuesOfKernel is the spectrum of the kernel matrix", () => {
  const w = randomKernel([5, 5, 2, 3], 21);
  assert.deepEqual(Array.from(singularValuesOfKernel(w)), Array.from(singularValues(kernelToMatrix(w))));
  const total = singularValuesOfKernel(w).reduce((s, x) => s + x * x, 0);
  assert.ok(Math.abs(total / kernelEnergy(w) - 1) < 1e-12, "Σσ² = ‖W‖²_F");
});

test("1×1 kernels: refused by decomposeKernel, split by decomposePointwise", () => {
  const w = randomKernel([1, 1, 6, 4], 2);
  assert.throws(() => decomposeKernel(w, 2), /1×1 conv 6→4.*Use decomposePointwise\(kernel, rank\)/);
  const d = decomposePointwise(w, 4);
  assert.deepEqual(d.vertical.shape, [1, 1, 6, 4]);
  assert.deepEqual(d.horizontal.shape, [1, 1, 4, 4]);
  assert.ok(maxAbsDiff(reconstructKernel(d.vertical, d.horizontal).data, w.data) < 1e-6);
  const low = decomposePointwise(w, 2);
  const tail = low.singularValues[2] ** 2 + low.singularValues[3] ** 2;
  assert.ok(Math.abs(low.residual / tail - 1) < 1e-12);
  assert.throws(() => decomposePointwise(randomKernel([3, 3, 2, 2], 1), 1), /needs a 1×1 kernel, got a 3×3 conv 2→2.*decomposeKernel/);
});

test("bad ranks and kernels give clear errors", () => {
  const w = randomKernel([3, 3, 4, 8], 1);
  assert.throws(() => decomposeKernel(w, 0), /integer in 1\.\.12 for a 3×3 conv 4→8 \(kernel matrix 12×24\), got 0/);
  assert.throws(() => decomposeKernel(w, 13), /1\.\.12 .* got 13/);
  assert.throws(() => decomposeKernel(w, 2.5), /got 2\.5/);
  assert.throws(() => decomposeKernel({ data: new Float32Array(3), shape: [3, 3, 4, 8] }, 1), /288 values/);
  const nan = randomKernel([3, 3, 1, 1], 1);
  nan.data[4] = NaN;
  assert.throws(() => decomposeKernel(nan, 1), /non-finite value at index 4/);
  const d = decomposeKernel(w, 2);
  assert.throws(() => reconstructKernel(d.vertical, decomposeKernel(w, 3).horizontal), /same K/);
});
