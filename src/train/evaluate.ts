import * as tf from "@tensorflow/tfjs";

/** What evaluation needs of a data split (a Cifar10Split has it). */
export interface LabeledTensors {
  xs: tf.Tensor4D;
  /** One-hot labels [n, classes]. */
  ys: tf.Tensor2D;
}

export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  /** Fraction correct, in [0, 1]. */
  accuracy: number;
}

/** True when the model ends in a softmax (outputs probabilities); the zoo's models output logits. */
export function outputsProbabilities(model: tf.LayersModel): boolean {
  const last = model.outputLayers?.[0] ?? model.layers[model.layers.length - 1];
  return last?.getConfig().activation === "softmax";
}

/** Mean cross-entropy of a batch for either output kind. */
export function crossEntropy(ys: tf.Tensor, out: tf.Tensor, probabilities: boolean): tf.Scalar {
  if (probabilities) return tf.mean(tf.metrics.categoricalCrossentropy(ys, out)) as tf.Scalar;
  return tf.losses.softmaxCrossEntropy(ys, out) as tf.Scalar;
}

/** Number of rows whose arg-max matches the label's. */
export function correctCount(ys: tf.Tensor, out: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.argMax(ys, -1)), "float32"));
}

/** Loss and accuracy of `model` on a split, in inference mode, batch by batch (bounded memory, tidy). */
export function evaluate(model: tf.LayersModel, split: LabeledTensors, batchSize = 256): Evaluation {
  const n = split.xs.shape[0];
  if (n === 0) throw new Error("evaluate: the split is empty.");
  if (split.ys.shape[0] !== n) throw new Error(`evaluate: xs has ${n} rows but ys has ${split.ys.shape[0]}.`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`evaluate: batchSize must be an integer ≥ 1, got ${batchSize}.`);
  const probabilities = outputsProbabilities(model);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [l, c] = tf.tidy(() => {
      const x = split.xs.slice([start, 0, 0, 0], [size, -1, -1, -1]);
      const y = split.ys.slice([start, 0], [size, -1]);
      const out = model.predict(x) as tf.Tensor;
      return [tf.mul(crossEntropy(y, out, probabilities), size), correctCount(y, out)];
    });
    lossSum += l.dataSync()[0];
    correct += c.dataSync()[0];
    tf.dispose([l, c]);
  }
  return { loss: lossSum / n, accuracy: correct / n };
}
