import * as tf from "@tensorflow/tfjs";
import { CHANNELS, IMAGE_BYTES, IMAGE_SIZE, NUM_CLASSES } from "./format";
import { createRng, shuffleInPlace } from "./prng";
import { range } from "./subset";
import { IDENTITY, randomPlacement, renderImage } from "./augment";
import { oneHot, splitSource } from "./split";
import type { Cifar10Split } from "./split";

export interface BatchOptions {
  batchSize: number;
  /** Visit the examples in a seeded random order (default false: split order). */
  shuffle?: boolean;
  /** Random 4-pixel-padded crop and horizontal flip per example (default false). */
  augment?: boolean;
  /** Seeds order and augmentation (default 0); pass an epoch-dependent seed for a fresh epoch. */
  seed?: number;
}

export interface Cifar10Batch {
  /** [b, 32, 32, 3] float32, normalised (and augmented if asked). The caller disposes it. */
  xs: tf.Tensor4D;
  /** [b, 10] float32 one-hot. The caller disposes it. */
  ys: tf.Tensor2D;
  labels: Int32Array;
  /** Positions of these examples in the split. */
  indices: Int32Array;
}

// Separate PRNG streams, so turning augmentation on does not change the order (and vice versa).
const ORDER_STREAM = 1;
const AUGMENT_STREAM = 2;

/**
 * One epoch over `split` in batches (the last may be smaller), each example exactly once. Each batch's
 * tensors are built on demand from the split's uint8 copy, so at most one batch of augmented data exists.
 */
export function batches(split: Cifar10Split, options: BatchOptions): Generator<Cifar10Batch> {
  const { batchSize, shuffle = false, augment = false, seed = 0 } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`batchSize must be a positive whole number, got ${batchSize}.`);
  }
  const source = splitSource(split);
  const order = range(source.labels.length);
  if (shuffle) shuffleInPlace(order, createRng(seed, ORDER_STREAM));
  const rng = createRng(seed, AUGMENT_STREAM); // validates the seed now, not at the first next()
  return generate();

  function* generate(): Generator<Cifar10Batch> {
    for (let start = 0; start < order.length; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      const b = indices.length;
      const images = new Float32Array(b * IMAGE_BYTES);
      const labels = new Int32Array(b);
      for (let k = 0; k < b; k++) {
        const i = indices[k];
        labels[k] = source.labels[i];
        const placement = augment ? randomPlacement(rng) : IDENTITY;
        renderImage(source.pixels, i * IMAGE_BYTES, images, k * IMAGE_BYTES, source.mean, source.invStd, placement);
      }
      const xs = tf.tensor4d(images, [b, IMAGE_SIZE, IMAGE_SIZE, CHANNELS], "float32");
      const ys = tf.tensor2d(oneHot(labels), [b, NUM_CLASSES], "float32");
      yield { xs, ys, labels, indices };
    }
  }
}
