import * as tf from "@tensorflow/tfjs";
import { IMAGE_BYTES, IMAGE_SIZE, CHANNELS, NUM_CLASSES } from "./format";
import type { Rgb } from "./stats";
import { renderImage } from "./augment";

/** One part of the data set (train, validation or test). */
export interface Cifar10Split {
  /** [n, 32, 32, 3] float32, normalised with the training mean/std. Made on first use (then kept until dispose). */
  readonly xs: tf.Tensor4D;
  /** [n, 10] float32 one-hot labels. Made on first use. */
  readonly ys: tf.Tensor2D;
  readonly labels: Int32Array;
  readonly size: number;
  /** Where each example sits in the file-order set it came from (train or test), when known. */
  readonly sourceIndices?: Int32Array;
}

/** What a split keeps on the CPU side: raw bytes (4× smaller than floats) plus the normalisation. */
export interface SplitSource {
  /** Channel-major uint8 images, 3,072 bytes each (the file layout). */
  pixels: Uint8Array;
  labels: Int32Array;
  mean: Float32Array;
  invStd: Float32Array;
}

const sources = new WeakMap<Cifar10Split, SplitSource>();

class StoredSplit implements Cifar10Split {
  readonly labels: Int32Array;
  readonly size: number;
  readonly sourceIndices?: Int32Array;
  #xs: tf.Tensor4D | undefined;
  #ys: tf.Tensor2D | undefined;
  #disposed = false;

  constructor(
    private readonly source: SplitSource,
    sourceIndices?: Int32Array,
  ) {
    this.labels = source.labels;
    this.size = source.labels.length;
    if (sourceIndices) this.sourceIndices = sourceIndices;
    Object.defineProperty(this, "source", { enumerable: false }); // keep notebook printouts short
  }

  get xs(): tf.Tensor4D {
    this.#checkAlive();
    // keep(): the tensor belongs to the split, even when first touched inside someone's tf.tidy.
    this.#xs ??= tf.keep(tf.tensor4d(renderAll(this.source), [this.size, IMAGE_SIZE, IMAGE_SIZE, CHANNELS], "float32"));
    return this.#xs;
  }

  get ys(): tf.Tensor2D {
    this.#checkAlive();
    this.#ys ??= tf.keep(tf.tensor2d(oneHot(this.labels), [this.size, NUM_CLASSES], "float32"));
    return this.#ys;
  }

  dispose(): void {
    this.#xs?.dispose();
    this.#ys?.dispose();
    this.#xs = this.#ys = undefined;
    this.#disposed = true;
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error("This CIFAR-10 split was disposed: load the data again with loadCifar10().");
  }
}

function renderAll(source: SplitSource): Float32Array {
  const n = source.labels.length;
  const out = new Float32Array(n * IMAGE_BYTES);
  for (let i = 0; i < n; i++) renderImage(source.pixels, i * IMAGE_BYTES, out, i * IMAGE_BYTES, source.mean, source.invStd);
  return out;
}

/** One-hot rows for `labels`, as a flat float32 array. */
export function oneHot(labels: ArrayLike<number>, classes = NUM_CLASSES): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

/** Copy the images at `indices` out of a channel-major image array. */
export function selectImages(pixels: Uint8Array, indices: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(indices.length * IMAGE_BYTES);
  for (let k = 0; k < indices.length; k++) {
    const at = indices[k] * IMAGE_BYTES;
    out.set(pixels.subarray(at, at + IMAGE_BYTES), k * IMAGE_BYTES);
  }
  return out;
}

/**
 * A split over channel-major uint8 images (CIFAR's file layout, 3,072 bytes each), normalised with
 * `mean`/`std` (raw 0..255 units). Also for synthetic data in tests. Call `dispose()` when done.
 */
export function createSplit(
  pixels: Uint8Array,
  labels: ArrayLike<number>,
  mean: Rgb,
  std: Rgb,
  sourceIndices?: Int32Array,
): Cifar10Split & { dispose(): void } {
  if (pixels.length !== labels.length * IMAGE_BYTES) {
    throw new Error(`createSplit: ${pixels.length} pixel bytes do not match ${labels.length} labels (${IMAGE_BYTES} bytes per 32×32×3 image).`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= NUM_CLASSES) {
      throw new Error(`createSplit: label ${labels[i]} at position ${i} is outside 0..${NUM_CLASSES - 1}.`);
    }
  }
  if (std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) {
    throw new Error(`createSplit: mean ${mean.join(", ")} / std ${std.join(", ")} must be finite with std > 0.`);
  }
  const source: SplitSource = {
    pixels,
    labels: Int32Array.from(labels),
    mean: Float32Array.from(mean),
    invStd: Float32Array.from(std, (s) => 1 / s),
  };
  if (sourceIndices && sourceIndices.length !== labels.length) {
    throw new Error(`createSplit: ${sourceIndices.length} source indices for ${labels.length} labels.`);
  }
  const split = new StoredSplit(source, sourceIndices);
  sources.set(split, source);
  return split;
}

/** The CPU-side data behind a split made by `createSplit`/`loadCifar10`. */
export function splitSource(split: Cifar10Split): SplitSource {
  const source = sources.get(split);
  if (!source) throw new Error("This split was not made by loadCifar10() or createSplit(): batches() needs the CPU-side copy they keep.");
  return source;
}
