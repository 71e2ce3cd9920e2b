import { test } from "node:test";
import assert from "node:assert/strict";
import { kernelToMatrix, matrixToKernel } from "../../src/lowrank/kernel-matrix";
import { randomKernel } from "./fixtures";

test("M[c·kh + i, n·kw + j] = W[i, j, c, n] (HWIO), for a non-square kernel", () => {
  const shape: [number, number, number, number] = [2, 3, 4, 5];
  const w = randomKernel(shape, 1);
  const m = kernelToMatrix(w);
  assert.deepEqual([m.rows, m.cols], [4 * 2, 5 * 3]);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++)
      for (let c = 0; c < 4; c++)
        for (let n = 0; n < 5; n++) {
          assert.equal(m.data[(c * 2 + i) * m.cols + n * 3 + j], w.data[((i * 3 + j) * 4 + c) * 5 + n]);
        }
});

test("matrixToKernel inverts kernelToMatrix exactly", () => {
  for (const shape of [[3, 3, 2, 4], [5, 1, 3, 2], [1, 1, 6, 7]] as [number, number, number, number][]) {
    const w = randomKernel(shape, 2);
    const back = matrixToKernel(kernelToMatrix(w), shape);
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(Array.from(back.data), Array.from(w.data));
  }
});

test("bad shapes give a clear error", () => {
  assert.throws(() => kernelToMatrix({ data: new Float32Array(8), shape: [2, 2, 2, 2] }), /needs a Float32Array or Float64Array of 16 values/);
  assert.throws(() => kernelToMatrix({ data: new Float32Array(8), shape: [2, 2, 2] as unknown as [number, number, number, number] }), /4-D HWIO shape/);
  assert.throws(() => matrixToKernel({ data: new Float64Array(6), rows: 2, cols: 3 }, [3, 3, 1, 1]), /needs a 3×3 matrix/);
});
