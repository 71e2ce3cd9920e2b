import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/backend/wasm-kernels";
import { broadcastShapes } from "../../src/backend/wasm-kernels/tile";

// Each case computes the same thing through the public API on `cpu` (reference) and on `wasm`
// (project kernels), from the same random numbers, and compares element by element.

const TOLERANCE = 1e-4;

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

async function on<T>(backend: "cpu" | "wasm", run: () => T): Promise<T> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} did not start`);
  return run();
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "outputs differ in size");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Names of the kernels a function dispatched on the current backend. */
async function kernelsRun(f: () => tf.Tensor | tf.Tensor[]): Promise<Set<string>> {
  const info = await tf.profile(() => {
    const out = f();
    return out;
  });
  return new Set(info.kernelNames);
}

let registered: string[] = [];
before(async () => {
  assert.ok(await tf.setBackend("wasm"));
  registered = registerWasmKernels();
});

test("registers the missing weight gradient and the replacements, idempotently", () => {
  for (const name of ["Conv2DBackpropFilter", "Conv2DBackpropInput", "DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput", "Tile", "Sum", "Mean"]) assert.ok(registered.includes(name), `${name} not registered`);
  const first = tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc;
  assert.deepEqual(registerWasmKernels(), registered);
  assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc, first);
});

type Pad = "same" | "valid";
const kernels: Array<[number, number]> = [
  [3, 3],
  [3, 1],
  [1, 3],
  [1, 1],
  [5, 5],
];

for (const [fh, fw] of kernels) {
  for (const stride of [1, 2]) {
    for (const pad of ["same", "valid"] as Pad[]) {
      test(`conv2d gradients ${fh}×${fw}, stride ${stride}, ${pad}: wasm matches cpu`, async () => {
        const xShape: [number, number, number, number] = [2, 7, 8, 3];
        const wShape: [number, number, number, number] = [fh, fw, 3, 4];
        const xData = seeded(2 * 7 * 8 * 3, fh * 100 + fw * 10 + stride);
        const wData = seeded(fh * fw * 3 * 4, fh * 7 + fw * 3 + stride + (pad === "same" ? 1 : 0));
        const run = () => {
          const [dx, dw] = tf.tidy(() => {
            const x = tf.tensor4d(xData, xShape);
            const w = tf.tensor4d(wData, wShape);
            // A non-uniform upstream gradient, so every dy element matters.
            const loss = (a: tf.Tensor, b: tf.Tensor) => {
              const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
              return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
            };
            return tf.grads(loss)([x, w]);
          });
          const out = [dx.dataSync().slice(), dw.dataSync().slice()];
          tf.dispose([dx, dw]);
          return out;
        };
        const [dxCpu, dwCpu] = await on("cpu", run);
        const [dxWasm, dwWasm] = await on("wasm", run);
        assert.ok(maxAbsDiff(dwCpu, dwWasm) <= TOLERANCE, `weight gradient differs by ${maxAbsDiff(dwCpu, dwWasm)}`);
        assert.ok(maxAbsDiff(dxCpu, dxWasm) <= TOLERANCE, `input gradient differs by ${maxAbsDiff(dxCpu, dxWasm)}`);
        assert.ok(dwWasm.some((v) => v !== 0) && dxWasm.some((v) => v !== 0), "gradients are all zero");
      });
    }
  }
}

test("the project kernels really dispatch on wasm for a conv2d gradient", async () => {
  await tf.setBackend("wasm");
  const x = tf.randomNormal<tf.Rank.R4>([1, 6, 6, 2]);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, 2, 2]);
  const names = await kernelsRun(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same")))([x, w]));
  assert.ok(names.has("Conv2DBackpropFilter") && names.has("Conv2DBackpropInput"), `kernels run: ${[...names].join(", ")}`);
  tf.dispose([x, w]);
});

const tileCases: Array<{ shape: number[]; reps: number[]; dtype: "float32" | "int32" | "bool" }> = [
  { shape: [1, 1, 1, 5], reps: [3, 4, 2, 1], dtype: "float32" }, // the batch-norm gradient's pattern
  { shape: [2, 3], reps: [2, 3], dtype: "float32" },
  { shape: [3, 1, 2], reps: [1, 4, 2], dtype: "int32" },
  { shape: [2, 2, 1, 2, 3], reps: [2, 1, 3, 2, 1], dtype: "float32" },
  { shape: [4], reps: [1], dtype: "float32" },
  { shape: [2, 3], reps: [0, 2], dtype: "float32" },
  { shape: [2, 2], reps: [2, 3], dtype: "bool" },
  { shape: [2, 3, 2, 3, 2, 3], reps: [2, 3, 2, 3, 2, 3], dtype: "float32" }, // 12 axes once spread: too many to broadcast
];

for (const { shape, reps, dtype } of tileCases) {
  test(`tile [${shape}] × [${reps}] (${dtype}): wasm matches cpu exactly`, async () => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Array.from(seeded(size, size + reps.length), (v) => (dtype === "float32" ? v : dtype === "int32" ? Math.round(v * 100) : v > 0 ? 1 : 0));
    const run = () => tf.tidy(() => tf.tile(tf.tensor(data, shape, dtype), reps).dataSync().slice());
    const cpu = await on("cpu", run);
    const wasm = await on("wasm", run);
    assert.deepEqual(Array.from(wasm), Array.from(cpu));
  });
}

test("tile's broadcast shapes merge neighbouring axes of the same kind", () => {
  assert.deepEqual(broadcastShapes([1, 1, 1, 5], [3, 4, 2, 1]), { spreadShape: [1, 5], onesShape: [24, 1] });
  assert.deepEqual(broadcastShapes([2, 3], [2, 3]), { spreadShape: [1, 2, 1, 3], onesShape: [2, 1, 3, 1] });
  assert.deepEqual(broadcastShapes([2, 3], [1, 1]), { spreadShape: [6], onesShape: [1] });
  assert.deepEqual(broadcastShapes([1, 1], [1, 1]), { spreadShape: [1], onesShape: [1] });
});

test("tile dispatches the project kernel and keeps −0, infinities and NaN", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor2d([-0, Infinity, -Infinity, NaN], [2, 2]);
  const names = await kernelsRun(() => tf.tile(x, [2, 2]));
  assert.ok(names.has("Tile") && names.has("Multiply"), `kernels run: ${[...names].join(", ")}`);
  const out = tf.tile(x, [1, 2]);
  const v = Array.from(out.dataSync());
  assert.ok(Object.is(v[0], -0) && v[1] === Infinity && v[4] === -Infinity && Number.isNaN(v[7]), `got ${v}`);
  tf.dispose([x, out]);
});

const reduceCases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean; dtype?: "int32" }> = [
  { shape: [4, 3, 3, 5], axis: [0, 1, 2], keepDims: false }, // batch-norm statistics: the fast path
  { shape: [4, 3, 3, 5], axis: [2, 0, 1], keepDims: true },
  { shape: [6, 7], axis: 0, keepDims: false },
  { shape: [6, 7], axis: -2, keepDims: true },
  { shape: [2, 3, 4], axis: [0, 1], keepDims: false },
  { shape: [2, 3, 4], axis: [1, 2], keepDims: false }, // trailing axes: shipped kernel
  { shape: [2, 3, 4], axis: [0, 2], keepDims: true }, // not leading: shipped kernel
  { shape: [2, 3, 4], axis: [0, 1, 2], keepDims: false }, // everything: shipped kernel
  { shape: [5, 4], axis: 0, keepDims: false, dtype: "int32" }, // int32: shipped kernel
];

for (const kind of ["sum", "mean"] as const) {
  for (const { shape, axis, keepDims, dtype } of reduceCases) {
    test(`${kind} of [${shape}] over ${JSON.stringify(axis)}${keepDims ? " keepDims" : ""}${dtype ? ` (${dtype})` : ""}: wasm matches cpu`, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Array.from(seeded(size, size * 3 + shape.length), (v) => (dtype ? Math.round(v * 50) : v));
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor(data, shape, dtype ?? "float32");
          const out = kind === "sum" ? tf.sum(x, axis, keepDims) : tf.mean(x, axis, keepDims);
          return { shape: out.shape, values: Array.from(out.dataSync()) };
        });
      const cpu = await on("cpu", run);
      const wasm = await on("wasm", run);
      assert.deepEqual(wasm.shape, cpu.shape);
      assert.ok(maxAbsDiff(cpu.values, wasm.values) <= 1e-5, `differs by ${maxAbsDiff(cpu.values, wasm.values)}`);
    });
  }
}

test("a leading-axes sum dispatches as a matrix product", async () => {
  await tf.setBackend("wasm");
  const x = tf.randomNormal([8, 4, 4, 6]);
  const names = await kernelsRun(() => tf.sum(x, [0, 1, 2]));
  assert.ok(names.has("Sum") && names.has("BatchMatMul"), `kernels run: ${[...names].join(", ")}`);
  x.dispose();
});

test("batch-norm gradient (uses Tile) matches cpu", async () => {
  const xData = seeded(2 * 4 * 4 * 3, 99);
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xData, [2, 4, 4, 3]);
      const mean = tf.tensor1d([0.1, -0.2, 0.3]);
      const variance = tf.tensor1d([1.5, 0.5, 2]);
      const offset = tf.tensor1d([0.5, 0, -0.5]);
      const scale = tf.tensor1d([1, 2, -1]);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, mean, variance, offset, scale, 1e-3), tf.cos(a))))(x);
      return g.dataSync().slice();
    });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.ok(maxAbsDiff(cpu, wasm) <= TOLERANCE, `differs by ${maxAbsDiff(cpu, wasm)}`);
});

test("the kernels leave no tensors behind", async () => {
  await tf.setBackend("wasm");
  const x = tf.randomNormal<tf.Rank.R4>([2, 5, 5, 3]);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, 3, 2]);
  const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.tile(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same"), [1, 2, 1, 1])))([x, w]));
  tf.dispose(step());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(step());
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, w]);
});

test("NCHW and dilations are rejected with a clear error", async () => {
  await tf.setBackend("wasm");
  const x = tf.zeros([1, 4, 4, 2]);
  const dy = tf.zeros([1, 4, 4, 3]);
  const w = tf.zeros([3, 3, 2, 3]);
  assert.throws(
    () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 2, 3] }),
    /dataFormat 'NCHW' is not supported; use NHWC/,
  );
  assert.throws(
    () => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { strides: 1, pad: "same", dataFormat: "NHWC", inputShape: [1, 4, 4, 2], dilations: 2 }),
    /dilations 2×2 are not supported/,
  );
  tf.dispose([x, dy, w]);
});

test("a small conv net trains one step with model.fit on wasm", async () => {
  await tf.setBackend("wasm");
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: "same", useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: "relu" }),
      tf.layers.conv2d({ filters: 4, kernelSize: [3, 1], strides: 2, padding: "valid" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const xs = tf.randomNormal([8, 8, 8, 3]);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0], "int32"), 2);
  const weightsBefore = model.layers[0].getWeights()[0].dataSync().slice();
  const history = await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.ok(losses.every(Number.isFinite), `loss ${losses}`);
  const weightsAfter = model.layers[0].getWeights()[0].dataSync();
  assert.ok(maxAbsDiff(weightsBefore, weightsAfter) > 0, "the first conv's weights did not change");
  tf.dispose([xs, ys]);
  model.dispose();
});

for (const [fh, fw] of [[3, 1], [1, 3], [3, 3]] as const) {
  for (const pad of ["same", "valid"] as Pad[]) {
    test(`depthwise conv gradients ${fh}×${fw}, stride 1, ${pad} (CP layers): wasm matches cpu`, async () => {
      const xShape: [number, number, number, number] = [2, 7, 6, 5];
      const wShape: [number, number, number, number] = [fh, fw, 5, 1];
      const xData = seeded(2 * 7 * 6 * 5, fh * 31 + fw);
      const wData = seeded(fh * fw * 5, fh + fw * 17 + (pad === "same" ? 1 : 0));
      const run = () => {
        const [dx, dw] = tf.tidy(() => {
          const loss = (a: tf.Tensor, b: tf.Tensor) => {
            const y = tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad);
            return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
          };
          return tf.grads(loss)([tf.tensor4d(xData, xShape), tf.tensor4d(wData, wShape)]);
        });
        const out = [dx.dataSync().slice(), dw.dataSync().slice()];
        tf.dispose([dx, dw]);
        return out;
      };
      const [dxCpu, dwCpu] = await on("cpu", run);
      const [dxWasm, dwWasm] = await on("wasm", run);
      assert.ok(maxAbsDiff(dwCpu, dwWasm) <= TOLERANCE, `filter gradient differs by ${maxAbsDiff(dwCpu, dwWasm)}`);
      assert.ok(maxAbsDiff(dxCpu, dxWasm) <= TOLERANCE, `input gradient differs by ${maxAbsDiff(dxCpu, dxWasm)}`);
      assert.ok(dwWasm.some((v) => v !== 0) && dxWasm.some((v) => v !== 0), "gradients are all zero");
    });
  }
}

test("depthwise gradients on wasm refuse what they do not handle, saying which backend can", async () => {
  await tf.setBackend("wasm");
  const x = tf.randomNormal<tf.Rank.R4>([1, 6, 6, 2]);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, 2, 1]);
  assert.throws(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")))([x, w]), /only stride 1 .*tensorflow or cpu backend/);
  tf.dispose([x, w]);
});
