import { Cifar10DataError } from "./errors";
import { readCifar10Raw } from "./raw";
import type { Checksums } from "./verify";
import type { Cifar10Raw } from "./raw";
import { resolveCifar10Dir } from "./locate";
import { downloadCifar10 } from "./download";
import { channelMeanStd } from "./stats";
import type { Rgb } from "./stats";
import { createRng } from "./prng";
import { pickBalanced, range } from "./subset";
import { createSplit, selectImages } from "./split";
import type { Cifar10Split } from "./split";

export interface Cifar10Options {
  /** Folder of the batches; default env CIFAR10_DIR, else `<repo>/data/cifar-10-batches-bin`. */
  dir?: string;
  /** Download (and check) the official archive when the files are missing or damaged. */
  download?: boolean;
  /** Use a seeded class-balanced subset of the training set (quick profile). */
  trainLimit?: number;
  /** Likewise for the test set. */
  testLimit?: number;
  /** Carve a seeded, class-balanced validation split off the (limited) training set. Default 0: none. */
  validationSize?: number;
  /** Seeds the subsets and the validation split. Default 0. */
  seed?: number;
  /** No download messages. */
  quiet?: boolean;
  /** Archive a download fetches, and its MD5; default the official ones (tests serve their own). */
  url?: string;
  md5?: string;
  /** Expected SHA-256 of each batch's contents: default the official ones; false skips (synthetic data). */
  checksums?: Checksums;
}

export interface Cifar10 {
  train: Cifar10Split;
  validation?: Cifar10Split;
  test: Cifar10Split;
  classNames: readonly string[];
  /** Of the raw 0..255 pixels of the full 50,000-image training set, per channel R, G, B. */
  mean: Rgb;
  std: Rgb;
  dir: string;
  /** Free every tensor the splits made. */
  dispose(): void;
}

// Independent PRNG streams per use of the seed.
const TRAIN_LIMIT_STREAM = 11;
const TEST_LIMIT_STREAM = 12;
const VALIDATION_STREAM = 13;

// The statistics of a raw training set, so building several splits from one read costs one pass.
const statsCache = new WeakMap<Uint8Array, { mean: Rgb; std: Rgb }>();

function trainStats(pixels: Uint8Array): { mean: Rgb; std: Rgb } {
  let stats = statsCache.get(pixels);
  if (!stats) statsCache.set(pixels, (stats = channelMeanStd(pixels)));
  return { mean: [...stats.mean], std: [...stats.std] };
}

function checkCount(name: string, value: number | undefined, max: number, min: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Option ${name} = ${value} is out of range: use a whole number from ${min} to ${max}.`);
  }
}

/** Build the splits from already-read raw data (lets tests and notebooks read the files once). */
export function cifar10FromRaw(raw: Cifar10Raw, options: Cifar10Options = {}): Cifar10 {
  const { seed = 0, validationSize = 0 } = options;
  createRng(seed); // a bad seed fails here, with its own message
  const nTrain = raw.train.labels.length;
  const nTest = raw.test.labels.length;
  checkCount("trainLimit", options.trainLimit, nTrain, 1);
  checkCount("testLimit", options.testLimit, nTest, 1);
  const trainCount = options.trainLimit ?? nTrain;
  checkCount("validationSize", validationSize, trainCount - 1, 0);

  // Statistics always come from the full training set, so a quick run normalises exactly like a full one.
  const { mean, std } = trainStats(raw.train.pixels);

  let trainIdx = range(nTrain);
  if (trainCount < nTrain) trainIdx = pickBalanced(raw.train.labels, trainIdx, trainCount, createRng(seed, TRAIN_LIMIT_STREAM)).picked;
  let validationIdx: Int32Array | undefined;
  if (validationSize > 0) {
    const { picked, rest } = pickBalanced(raw.train.labels, trainIdx, validationSize, createRng(seed, VALIDATION_STREAM));
    validationIdx = picked;
    trainIdx = rest;
  }
  let testIdx = range(nTest);
  if (options.testLimit !== undefined && options.testLimit < nTest) {
    testIdx = pickBalanced(raw.test.labels, testIdx, options.testLimit, createRng(seed, TEST_LIMIT_STREAM)).picked;
  }

  const make = (set: Cifar10Raw["train"], idx: Int32Array) =>
    createSplit(selectImages(set.pixels, idx), Int32Array.from(idx, (i) => set.labels[i]), mean, std, idx);
  const train = make(raw.train, trainIdx);
  const validation = validationIdx ? make(raw.train, validationIdx) : undefined;
  const test = make(raw.test, testIdx);
  const result: Cifar10 = {
    train,
    test,
    classNames: raw.classNames,
    mean,
    std,
    dir: raw.dir,
    dispose: () => {
      train.dispose();
      validation?.dispose();
      test.dispose();
    },
  };
  if (validation) result.validation = validation;
  return result;
}

/**
 * Load CIFAR-10 (binary version, plain or .gz) as normalised NHWC float32 tensors with one-hot labels.
 * With `download: true`, missing or damaged files are replaced by the official archive first.
 */
export async function loadCifar10(options: Cifar10Options = {}): Promise<Cifar10> {
  const dir = resolveCifar10Dir(options.dir);
  let raw: Cifar10Raw;
  try {
    raw = readCifar10Raw(dir, options.checksums);
  } catch (err) {
    if (!options.download || !(err instanceof Cifar10DataError)) throw err;
    await downloadCifar10({ dir, quiet: options.quiet, url: options.url, md5: options.md5, checksums: options.checksums, force: true }); // already known to be missing or damaged
    raw = readCifar10Raw(dir, options.checksums);
  }
  return cifar10FromRaw(raw, options);
}
