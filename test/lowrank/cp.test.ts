import { test } from "node:test";
import assert from "node:assert/strict";
import { kernelEnergy, type HostKernel } from "../../src/lowrank";
import { cp, cpCost, cpDecompose, cpMaxRank, cpReconstruct } from "../../src/lowrank/methods/cp";

const rand = (seed: number) => {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
};

/** A kernel that is exactly CP rank R. */
function cpKernel([kh, kw, C, N]: [number, number, number, number], R: number, seed: number): HostKernel {
  const r = rand(seed);
  const f = [kh, kw, C, N].map((d) => Array.from({ length: d * R }, r));
  const data = new Float64Array(kh * kw * C * N);
  let i = 0;
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let c = 0; c < C; c++) for (let n = 0; n < N; n++, i++) {
    for (let t = 0; t < R; t++) data[i] += f[0][a * R + t] * f[1][b * R + t] * f[2][c * R + t] * f[3][n * R + t];
  }
  return { data, shape: [kh, kw, C, N] };
}

const distance2 = (a: HostKernel, b: HostKernel) => Array.from(a.data).reduce((s, x, i) => s + (x - b.data[i]) ** 2, 0);

test("cp: ALS recovers a kernel of CP rank R at rank R; the reported residual is ‖W − W̃‖²; more rank never hurts much", () => {
  const w = cpKernel([3, 3, 6, 5], 4, 1);
  const f = cpDecompose(w, 4, { maxIterations: 500, tolerance: 1e-14 });
  assert.ok(f.residual < 1e-8 * kernelEnergy(w), `residual ${f.residual} of ${kernelEnergy(w)}`);
  assert.ok(Math.abs(distance2(cpReconstruct(f), w) - f.residual) < 1e-9 * kernelEnergy(w));
  assert.deepEqual([f.first.shape, f.vertical.shape, f.horizontal.shape, f.last.shape], [[1, 1, 6, 4], [3, 1, 4, 1], [1, 3, 4, 1], [1, 1, 4, 5]]);
  const low = cpDecompose(w, 2, { maxIterations: 300 });
  assert.ok(low.residual > f.residual && low.residual < kernelEnergy(w));
});

test("cp: a fit stopped by its sweep cap says it did not converge; bad ranks are refused with the range", () => {
  const w = cpKernel([3, 3, 6, 5], 4, 2);
  const f = cpDecompose(w, 3, { maxIterations: 1 });
  assert.deepEqual([f.fit.iterations, f.fit.converged], [1, false]);
  const size = { kh: 3, kw: 3, inC: 6, outC: 5 };
  assert.equal(cpMaxRank(size), Math.floor((9 * 30) / 17));
  assert.throws(() => cp.checkRank(size, 0, "conv1"), /conv1.*integer in \[1, 15\]/);
  assert.throws(() => cp.checkRank(size, 16), /above 15 the CP layers cost more/);
  assert.match(cp.refusal({ kh: 1, kw: 1, inC: 4, outC: 4 }) ?? "", /svd method/);
});

test("cp cost: the four convs per image, below the dense conv's up to the largest rank", () => {
  const spec = { kh: 3, kw: 3, inC: 16, outC: 32, inH: 8, inW: 8, strideH: 1, strideW: 1, padding: "same" as const };
  const c = cpCost(spec, 10);
  assert.equal(c.macs, 64 * 16 * 10 + 64 * 3 * 10 + 64 * 3 * 10 + 64 * 10 * 32);
  const strided = cpCost({ ...spec, strideH: 2, strideW: 2 }, 10);
  assert.equal(strided.macs, 64 * 16 * 10 + 8 * 8 * 3 * 10 + 4 * 8 * 3 * 10 + 16 * 10 * 32, "depthwise at stride 1, then subsampled");
  assert.equal(c.params, 16 * 10 + 3 * 10 + 3 * 10 + 10 * 32);
  assert.ok(cpCost(spec, cpMaxRank(spec)).macs <= 64 * 9 * 16 * 32);
});
