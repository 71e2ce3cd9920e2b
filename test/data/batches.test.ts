import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { batches } from "../../src/data/batches";
import type { Cifar10Batch } from "../../src/data/batches";
import { createSplit } from "../../src/data/split";
import type { Cifar10Split } from "../../src/data/split";
import { renderImage } from "../../src/data/augment";
import type { Placement } from "../../src/data/augment";
import { createRng } from "../../src/data/prng";

const N = 53;
const MEAN: [number, number, number] = [120, 110, 100];
const STD: [number, number, number] = [60, 50, 40];
let pixels: Uint8Array;
let labels: Int32Array;
let split: Cifar10Split & { dispose(): void };

before(async () => {
  await initBackend(undefined, { quiet: true });
  const rng = createRng(9);
  // Random pixels, but never 0-valued after normalisation, so padding is recognisable.
  pixels = Uint8Array.from({ length: N * 3072 }, () => 1 + rng.int(255));
  labels = Int32Array.from({ length: N }, () => rng.int(10));
  split = createSplit(pixels, labels, MEAN, STD);
});

/** Run a whole epoch, keeping plain copies of each batch and disposing its tensors. */
function epoch(s: Cifar10Split, options: Parameters<typeof batches>[1]) {
  const out: { xs: Float32Array; ys: Float32Array; labels: Int32Array; indices: Int32Array; shape: number[] }[] = [];
  for (const b of batches(s, options) as Iterable<Cifar10Batch>) {
    out.push({ xs: b.xs.dataSync() as Float32Array, ys: b.ys.dataSync() as Float32Array, labels: b.labels, indices: b.indices, shape: b.xs.shape });
    b.xs.dispose();
    b.ys.dispose();
  }
  return out;
}

const normalised = (i: number, p: Placement = { dy: 0, dx: 0, flip: false }) => {
  const out = new Float32Array(3072);
  // Same float32 constants as the split keeps.
  renderImage(pixels, i * 3072, out, 0, Float32Array.from(MEAN), Float32Array.from(STD, (s) => 1 / s), p);
  return out;
};

test("an epoch covers every example exactly once, in batches of the asked size", () => {
  const got = epoch(split, { batchSize: 16, shuffle: true, seed: 3 });
  assert.deepEqual(got.map((b) => b.shape[0]), [16, 16, 16, 5]);
  const seen = got.flatMap((b) => [...b.indices]).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
  assert.notDeepEqual(got.flatMap((b) => [...b.indices]), seen, "shuffled order");
});

test("without augmentation a batch holds the normalised examples and one-hot labels", () => {
  const got = epoch(split, { batchSize: 20 });
  assert.deepEqual(got.flatMap((b) => [...b.indices]), Array.from({ length: N }, (_, i) => i), "split order by default");
  const all = split.xs.dataSync();
  for (const b of got) {
    b.indices.forEach((i, k) => {
      assert.deepEqual(b.xs.subarray(k * 3072, (k + 1) * 3072), normalised(i));
      assert.deepEqual(b.xs.subarray(k * 3072, (k + 1) * 3072), all.subarray(i * 3072, (i + 1) * 3072));
      assert.equal(b.labels[k], labels[i]);
      const row = Array.from(b.ys.subarray(k * 10, (k + 1) * 10));
      assert.deepEqual(row, row.map((_, c) => (c === labels[i] ? 1 : 0)));
    });
  }
});

test("order and augmentation are deterministic for a seed and differ across seeds", () => {
  const a = epoch(split, { batchSize: 16, shuffle: true, augment: true, seed: 1 });
  const b = epoch(split, { batchSize: 16, shuffle: true, augment: true, seed: 1 });
  const c = epoch(split, { batchSize: 16, shuffle: true, augment: true, seed: 2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((x) => x.indices), c.map((x) => x.indices));
  // Same order (no shuffle), other seed: the images themselves differ.
  const d = epoch(split, { batchSize: 64, augment: true, seed: 1 });
  const e = epoch(split, { batchSize: 64, augment: true, seed: 2 });
  assert.notDeepEqual(d[0].xs, e[0].xs);
  // Turning augmentation on does not change the order.
  const plain = epoch(split, { batchSize: 16, shuffle: true, seed: 1 });
  assert.deepEqual(plain.map((x) => x.indices), a.map((x) => x.indices));
});

test("augmented images are shifted (padding 0) and/or mirrored copies of the normalised originals", () => {
  const [only] = epoch(split, { batchSize: N, augment: true, seed: 7 });
  const placements: Placement[] = [];
  for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) for (const flip of [false, true]) placements.push({ dy, dx, flip });
  const used: Placement[] = [];
  only.indices.forEach((i, k) => {
    const img = only.xs.subarray(k * 3072, (k + 1) * 3072);
    const match = placements.find((p) => normalised(i, p).every((v, j) => v === img[j]));
    assert.ok(match, `example ${i} is not a crop/flip of its original`);
    used.push(match);
  });
  assert.ok(used.some((p) => p.flip) && used.some((p) => !p.flip), "both flipped and unflipped examples");
  assert.ok(used.some((p) => p.dy !== 0 || p.dx !== 0), "some examples are shifted");
});

test("tensor count does not grow across an epoch; split tensors go with dispose()", () => {
  const s = createSplit(pixels, labels, MEAN, STD);
  const start = tf.memory().numTensors;
  for (let e = 0; e < 2; e++) {
    for (const b of batches(s, { batchSize: 8, shuffle: true, augment: true, seed: e })) {
      tf.tidy(() => b.xs.mean().add(b.ys.sum()).dataSync());
      b.xs.dispose();
      b.ys.dispose();
    }
    assert.equal(tf.memory().numTensors, start, `after epoch ${e}`);
  }
  tf.tidy(() => {
    s.xs.add(1); // xs made inside a tidy still survives it
  });
  assert.equal(s.xs.isDisposed, false);
  assert.equal(tf.memory().numTensors, start + 1);
  s.dispose();
  assert.equal(tf.memory().numTensors, start);
  assert.throws(() => s.xs, /disposed/);
});

test("bad batch options and foreign splits are refused", () => {
  assert.throws(() => batches(split, { batchSize: 0 }), /batchSize must be a positive whole number, got 0/);
  assert.throws(() => batches(split, { batchSize: 4, seed: 0.5 }), /Seed 0.5 is not an integer/);
  const foreign = { xs: split.xs, ys: split.ys, labels, size: N };
  assert.throws(() => batches(foreign, { batchSize: 4 }), /not made by loadCifar10\(\) or createSplit\(\)/);
});

test("createSplit checks its input", () => {
  assert.throws(() => createSplit(new Uint8Array(100), [1], MEAN, STD), /100 pixel bytes do not match 1 labels/);
  assert.throws(() => createSplit(new Uint8Array(3072), [10], MEAN, STD), /label 10 at position 0 is outside 0\.\.9/);
  assert.throws(() => createSplit(new Uint8Array(3072), [1], MEAN, [1, 0, 1]), /std > 0/);
});
