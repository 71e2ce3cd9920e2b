import { test } from "node:test";
import assert from "node:assert/strict";
import { filterGradPlan, inputGradPlan, type AxisGeometry } from "../../src/backend/wasm-kernels/conv-geometry";

// One spatial axis, plain arrays: the direct gradients from the forward definition
// y[o] = Σ_t x[o·s + t − p] · w[t], against the correlations the plans describe.

function randomArray(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

function outSize(inSize: number, filterSize: number, stride: number, padding: "same" | "valid"): { out: number; padBefore: number } {
  if (padding === "valid") return { out: Math.floor((inSize - filterSize) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + filterSize - inSize, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Stride-1 correlation of `input` (cropped, then zero-padded) with `kernel`, first `keep` outputs. */
function correlate(input: number[], kernel: number[], plan: { cropBefore: number; padBefore: number; padAfter: number; keep: number }, kernelDilation = 1): number[] {
  const padded = [...new Array(plan.padBefore).fill(0), ...input.slice(plan.cropBefore), ...new Array(plan.padAfter).fill(0)];
  const span = (kernel.length - 1) * kernelDilation + 1;
  const n = padded.length - span + 1;
  assert.ok(n >= plan.keep, `correlation gives ${n} outputs, fewer than the ${plan.keep} needed`);
  return Array.from({ length: plan.keep }, (_, o) => kernel.reduce((acc, k, t) => acc + padded[o + t * kernelDilation] * k, 0));
}

const cases: Array<[number, number, number, "same" | "valid"]> = [];
for (const inSize of [1, 5, 8, 9])
  for (const filterSize of [1, 2, 3, 5])
    for (const stride of [1, 2, 3])
      for (const padding of ["same", "valid"] as const) if (padding === "same" || filterSize <= inSize) cases.push([inSize, filterSize, stride, padding]);

test("filterGradPlan reproduces the weight gradient for every size, stride and padding", () => {
  for (const [inSize, filterSize, stride, padding] of cases) {
    const { out, padBefore } = outSize(inSize, filterSize, stride, padding);
    const g: AxisGeometry = { inSize, outSize: out, filterSize, stride, padBefore };
    const x = randomArray(inSize, inSize * 7 + filterSize);
    const dy = randomArray(out, stride * 13 + filterSize);
    const direct = Array.from({ length: filterSize }, (_, t) => {
      let acc = 0;
      for (let o = 0; o < out; o++) {
        const k = o * stride + t - padBefore;
        if (k >= 0 && k < inSize) acc += x[k] * dy[o];
      }
      return acc;
    });
    const viaPlan = correlate(x, dy, filterGradPlan(g), stride);
    viaPlan.forEach((v, t) => assert.ok(Math.abs(v - direct[t]) < 1e-12, `${JSON.stringify(g)}: tap ${t} ${v} ≠ ${direct[t]}`));
  }
});

test("inputGradPlan reproduces the input gradient, with or without trailing dilation zeros", () => {
  for (const [inSize, filterSize, stride, padding] of cases) {
    const { out, padBefore } = outSize(inSize, filterSize, stride, padding);
    const g: AxisGeometry = { inSize, outSize: out, filterSize, stride, padBefore };
    const w = randomArray(filterSize, filterSize * 3 + inSize);
    const dy = randomArray(out, out * 5 + stride);
    const direct = Array.from({ length: inSize }, (_, h) => {
      let acc = 0;
      for (let o = 0; o < out; o++) {
        const t = h - o * stride + padBefore;
        if (t >= 0 && t < filterSize) acc += dy[o] * w[t];
      }
      return acc;
    });
    for (const trailing of [0, stride - 1]) {
      const dilated = new Array((out - 1) * stride + 1 + trailing).fill(0);
      dy.forEach((v, o) => (dilated[o * stride] = v));
      const viaPlan = correlate(dilated, [...w].reverse(), inputGradPlan(g, dilated.length));
      viaPlan.forEach((v, h) => assert.ok(Math.abs(v - direct[h]) < 1e-12, `${JSON.stringify(g)} trailing ${trailing}: row ${h} ${v} ≠ ${direct[h]}`));
    }
  }
});

test("inputGradPlan crops when the forward padding exceeds the filter (explicit padding)", () => {
  // Padding 3 before a 2-tap filter: the correlation must drop the first two dilated elements.
  const g: AxisGeometry = { inSize: 4, outSize: 6, filterSize: 2, stride: 1, padBefore: 3 };
  const plan = inputGradPlan(g, 6);
  assert.equal(plan.cropBefore, 2);
  assert.equal(plan.padBefore, 0);
  const w = [0.5, -2];
  const dy = [1, 2, 3, 4, 5, 6];
  const direct = Array.from({ length: 4 }, (_, h) => dy.reduce((acc, v, o) => {
    const t = h - o + 3;
    return t >= 0 && t < 2 ? acc + v * w[t] : acc;
  }, 0));
  assert.deepEqual(correlate(dy, [...w].reverse(), plan), direct);
});

test("bad geometry is rejected with a message naming the problem", () => {
  assert.throws(() => filterGradPlan({ inSize: 0, outSize: 1, filterSize: 1, stride: 1, padBefore: 0 }), /positive integers/);
  assert.throws(() => inputGradPlan({ inSize: 5, outSize: 3, filterSize: 3, stride: 2, padBefore: 0 }, 4), /smaller than 5/);
});
