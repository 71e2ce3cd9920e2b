// Checks against the real CIFAR-10 files (../shared/data next to the repository, or CIFAR10_DIR).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { readCifar10Raw } from "../../src/data/raw";
import type { Cifar10Raw } from "../../src/data/raw";
import { CIFAR10_CLASSES } from "../../src/data/classes";
import { cifar10FromRaw, loadCifar10 } from "../../src/data/cifar10";
import type { Cifar10 } from "../../src/data/cifar10";
import { batches } from "../../src/data/batches";

const DIR = process.env.CIFAR10_DIR ?? resolve(__dirname, "../../../shared/data/cifar-10-batches-bin");
let raw: Cifar10Raw;
let full: Cifar10;

before(async () => {
  await initBackend(undefined, { quiet: true });
  raw = readCifar10Raw(DIR); // the one read of the files in this test file
  full = cifar10FromRaw(raw);
});
after(() => full?.dispose());

const classCounts = (labels: ArrayLike<number>) => {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
};

test("50,000 training and 10,000 test images, 5,000 / 1,000 per class, known first test labels", () => {
  assert.equal(raw.train.labels.length, 50_000);
  assert.equal(raw.train.pixels.length, 50_000 * 3072);
  assert.equal(raw.test.labels.length, 10_000);
  assert.deepEqual(classCounts(raw.train.labels), new Array(10).fill(5000));
  assert.deepEqual(classCounts(raw.test.labels), new Array(10).fill(1000));
  assert.deepEqual([...raw.test.labels.subarray(0, 5)], [3, 8, 8, 0, 6]);
  assert.deepEqual(raw.classNames, CIFAR10_CLASSES);
  assert.equal(CIFAR10_CLASSES[0], "airplane");
  assert.equal(CIFAR10_CLASSES[9], "truck");
});

test("per-channel means of raw training pixels are 125.3, 123.0, 113.9", () => {
  // Straight from the channel-major bytes, independently of channelMeanStd.
  const sums = [0, 0, 0];
  const px = raw.train.pixels;
  for (let at = 0; at < px.length; at += 3072) {
    for (let c = 0; c < 3; c++) for (let p = at + c * 1024; p < at + (c + 1) * 1024; p++) sums[c] += px[p];
  }
  const means = sums.map((s) => s / (50_000 * 1024));
  [125.3, 123.0, 113.9].forEach((want, c) => {
    assert.ok(Math.abs(means[c] - want) < 0.05, `channel ${c}: ${means[c]}`);
    assert.ok(Math.abs(full.mean[c] - means[c]) < 1e-9);
  });
  full.std.forEach((s) => assert.ok(s > 50 && s < 80, `std ${s}`));
});

test("the normalised training tensor has per-channel mean ≈ 0 and std ≈ 1", () => {
  const { train } = full;
  assert.deepEqual(train.xs.shape, [50_000, 32, 32, 3]);
  assert.equal(train.xs.dtype, "float32");
  // Per-image moments in TF (in slices, to keep memory down), combined in float64 here: a one-shot
  // float32 reduction over 51M values drifts by several percent.
  const imageMeans = new Float64Array(50_000 * 3);
  const imageVars = new Float64Array(50_000 * 3);
  for (let start = 0; start < 50_000; start += 5000) {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(train.xs.slice([start, 0, 0, 0], [5000, 32, 32, 3]), [1, 2]);
      imageMeans.set(mean.dataSync(), start * 3);
      imageVars.set(variance.dataSync(), start * 3);
    });
  }
  for (let c = 0; c < 3; c++) {
    let m = 0;
    let within = 0;
    let sq = 0;
    for (let i = 0; i < 50_000; i++) {
      m += imageMeans[i * 3 + c];
      within += imageVars[i * 3 + c];
      sq += imageMeans[i * 3 + c] ** 2;
    }
    m /= 50_000;
    const variance = within / 50_000 + sq / 50_000 - m * m; // law of total variance, equal-sized images
    assert.ok(Math.abs(m) < 1e-3, `channel ${c} mean ${m}`);
    assert.ok(Math.abs(Math.sqrt(variance) - 1) < 1e-3, `channel ${c} std ${Math.sqrt(variance)}`);
  }
  // The first test image: pixel (0, 0) in normalised HWC equals the raw R, G, B bytes normalised.
  const first = tf.tidy(() => full.test.xs.slice([0, 0, 0, 0], [1, 1, 1, 3]).dataSync());
  [0, 1, 2].forEach((c) => assert.ok(Math.abs(first[c] - (raw.test.pixels[c * 1024] - full.mean[c]) / full.std[c]) < 1e-5));
  assert.deepEqual(Array.from(tf.tidy(() => full.test.ys.slice([0, 0], [1, 10]).dataSync())), [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
});

test("limits and the validation split are class-balanced, disjoint, and seeded", () => {
  const options = { trainLimit: 1000, testLimit: 200, validationSize: 100, seed: 1 };
  const a = cifar10FromRaw(raw, options);
  const b = cifar10FromRaw(raw, options);
  const c = cifar10FromRaw(raw, { ...options, seed: 2 });
  try {
    assert.equal(a.train.size, 900);
    assert.equal(a.validation?.size, 100);
    assert.equal(a.test.size, 200);
    assert.deepEqual(classCounts(a.train.labels), new Array(10).fill(90));
    assert.deepEqual(classCounts(a.validation!.labels), new Array(10).fill(10));
    assert.deepEqual(classCounts(a.test.labels), new Array(10).fill(20));
    // Labels match the raw set at the recorded positions; train and validation do not overlap.
    a.train.sourceIndices!.forEach((i, k) => assert.equal(a.train.labels[k], raw.train.labels[i]));
    const trainSet = new Set(a.train.sourceIndices);
    assert.ok(a.validation!.sourceIndices!.every((i) => !trainSet.has(i)));
    // Statistics always come from all 50,000 training images.
    assert.deepEqual(a.mean, full.mean);
    // Same seed, same split; another seed, another one.
    assert.deepEqual(a.train.sourceIndices, b.train.sourceIndices);
    assert.deepEqual(a.validation!.sourceIndices, b.validation!.sourceIndices);
    assert.deepEqual(a.test.sourceIndices, b.test.sourceIndices);
    assert.notDeepEqual(a.train.sourceIndices, c.train.sourceIndices);
    assert.notDeepEqual(a.validation!.sourceIndices, c.validation!.sourceIndices);
    assert.notDeepEqual(a.test.sourceIndices, c.test.sourceIndices);
    // Without a validation size there is no validation split.
    assert.equal(cifar10FromRaw(raw, { trainLimit: 10 }).validation, undefined);
  } finally {
    [a, b, c].forEach((d) => d.dispose());
  }
});

test("bad options are refused with the allowed range", () => {
  assert.throws(() => cifar10FromRaw(raw, { trainLimit: 0 }), /trainLimit = 0 is out of range: use a whole number from 1 to 50000/);
  assert.throws(() => cifar10FromRaw(raw, { testLimit: 20_000 }), /testLimit = 20000 is out of range/);
  assert.throws(() => cifar10FromRaw(raw, { trainLimit: 100, validationSize: 100 }), /validationSize = 100 is out of range: use a whole number from 0 to 99/);
  assert.throws(() => cifar10FromRaw(raw, { seed: 0.1 }), /Seed 0.1 is not an integer/);
});

test("loadCifar10 reads the folder from CIFAR10_DIR and batches of real data leave no tensors behind", async () => {
  const saved = process.env.CIFAR10_DIR;
  process.env.CIFAR10_DIR = DIR;
  let data: Cifar10 | undefined;
  try {
    data = await loadCifar10({ trainLimit: 100, testLimit: 50, seed: 3 });
  } finally {
    if (saved === undefined) delete process.env.CIFAR10_DIR;
    else process.env.CIFAR10_DIR = saved;
  }
  assert.equal(data.dir, resolve(DIR));
  assert.equal(data.train.size, 100);
  assert.deepEqual(data.classNames, CIFAR10_CLASSES);
  const start = tf.memory().numTensors;
  let seen = 0;
  for (const batch of batches(data.train, { batchSize: 32, shuffle: true, augment: true, seed: 1 })) {
    seen += batch.xs.shape[0];
    batch.xs.dispose();
    batch.ys.dispose();
  }
  assert.equal(seen, 100);
  assert.equal(tf.memory().numTensors, start);
  data.dispose();
});
