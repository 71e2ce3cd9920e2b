import * as tf from "@tensorflow/tfjs";
import { batchNormTraining, hasNativeBatchNorm } from "./native-batch-norm";

/** moving ← moving − (moving − value)·(1 − momentum), as TF.js's BatchNormalization layer does. */
export function updateMovingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const old = variable.read();
    variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - momentum)));
  });
}

/** The fields of TF.js's BatchNormalization layer that its training step reads. */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerCall = (this: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

let installed = false;

/**
 * Make every `tf.layers.batchNormalization` layer — built by the zoo, by a notebook, or loaded from a
 * checkpoint — train through `batchNormTraining` (TensorFlow's fused kernels) on the tensorflow
 * backend. Only the training-mode path of NHWC inputs normalised over the channel axis with γ and β
 * changes; the moving averages are updated exactly as before; everything else (inference, other
 * backends, other axes) runs TF.js's own code. The saved model is unchanged (class
 * "BatchNormalization"), so plain TF.js still loads it. Idempotent.
 */
export function installNativeBatchNormLayer(): void {
  if (installed) return;
  installed = true;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: LayerCall };
  const original = proto.call;
  proto.call = function (this: tf.layers.Layer, inputs, kwargs) {
    const bn = this as unknown as BatchNormFields;
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    const lastAxis = bn.axis === -1 || bn.axis === x.rank - 1;
    if (kwargs?.training !== true || x.rank !== 4 || !lastAxis || !bn.center || !bn.scale || !hasNativeBatchNorm()) {
      return original.call(this, inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x as tf.Tensor4D, bn.gamma.read() as tf.Tensor1D, bn.beta.read() as tf.Tensor1D, bn.epsilon);
      updateMovingAverage(bn.movingMean, mean, bn.momentum);
      updateMovingAverage(bn.movingVariance, variance, bn.momentum);
      return y;
    });
  };
}
