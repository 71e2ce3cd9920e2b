import { test } from "node:test";
import assert from "node:assert/strict";
import { convCost, kernelEnergy, type HostKernel } from "../../src/lowrank";
import { tucker2, tucker2Cost, tucker2Decompose, tucker2Reconstruct } from "../../src/lowrank/methods";

function randomKernel(shape: [number, number, number, number], seed: number): HostKernel {
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return { data: Float64Array.from({ length: shape.reduce((a, b) => a * b) }, rand), shape };
}

const distance2 = (a: HostKernel, b: HostKernel) => Array.from(a.data).reduce((s, x, i) => s + (x - b.data[i]) ** 2, 0);

test("tucker2: full ranks [C, N] reconstruct the kernel exactly; the reported residual is ‖W − W̃‖²", () => {
  const w = randomKernel([3, 3, 5, 7], 1);
  const full = tucker2Decompose(w, [5, 7]);
  assert.ok(distance2(tucker2Reconstruct(full), w) < 1e-20 * kernelEnergy(w) + 1e-24);
  assert.ok(full.residual < 1e-10 * kernelEnergy(w));
  for (const rank of [[2, 3], [5, 1], [1, 7]] as const) {
    const f = tucker2Decompose(w, rank);
    assert.deepEqual([f.first.shape, f.core.shape, f.last.shape], [[1, 1, 5, rank[0]], [3, 3, rank[0], rank[1]], [1, 1, rank[1], 7]]);
    const d = distance2(tucker2Reconstruct(f), w);
    assert.ok(Math.abs(d - f.residual) < 1e-9 * kernelEnergy(w), `[${rank}]: residual ${f.residual} vs ‖W − W̃‖² ${d}`);
  }
});

test("tucker2: HOOI never does worse than HOSVD, and its factors stay orthonormal", () => {
  const w = randomKernel([3, 3, 8, 6], 2);
  const hosvd = tucker2Decompose(w, [3, 2]);
  const hooi = tucker2Decompose(w, [3, 2], { hooiIterations: 5 });
  assert.ok(hooi.residual <= hosvd.residual * (1 + 1e-12), `${hooi.residual} > ${hosvd.residual}`);
  const u = hooi.first.data;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let c = 0; c < 8; c++) dot += u[c * 3 + a] * u[c * 3 + b];
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-10);
    }
  }
  assert.ok(Math.abs(distance2(tucker2Reconstruct(hooi), w) - hooi.residual) < 1e-9 * kernelEnergy(w));
});

test("tucker2: rank bounds, refusals and cost", () => {
  const size = { kh: 3, kw: 3, inC: 16, outC: 32 };
  assert.throws(() => tucker2.checkRank(size, 4, "conv2"), /conv2.*two ranks \[R1, R2\]/);
  assert.throws(() => tucker2.checkRank(size, [17, 4]), /1 ≤ R1 ≤ 16 and 1 ≤ R2 ≤ 32, got \[17, 4\]/);
  assert.match(tucker2.refusal({ kh: 1, kw: 1, inC: 4, outC: 4 }) ?? "", /1×1 conv.*decomposePointwise/);
  assert.deepEqual(tucker2.maxRank(size), [16, 32]);
  const ranks = tucker2.ranks(size);
  assert.deepEqual([ranks[0], ranks[ranks.length - 1]], [[1, 2], [16, 32]]);
  const spec = { ...size, inH: 8, inW: 8, strideH: 2, strideW: 2, padding: "same" as const };
  const c = tucker2Cost(spec, [4, 8]);
  assert.equal(c.macs, 8 * 8 * 16 * 4 + 4 * 4 * 9 * 4 * 8 + 4 * 4 * 8 * 32);
  assert.equal(c.params, 16 * 4 + 9 * 4 * 8 + 8 * 32);
  assert.ok(convCost(spec).macs / c.macs > 1);
});
