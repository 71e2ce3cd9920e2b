import * as tf from "@tensorflow/tfjs";
import { float32Attr, nativeBackend as nativeOps, type NativeBackend } from "./native-ops";

/** Batch normalisation in training mode: the output and the batch statistics it used. */
export interface BatchNormTraining {
  y: tf.Tensor4D;
  /** Per-channel batch mean. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance (divided by the element count, as `tf.moments`). */
  variance: tf.Tensor1D;
}

function nativeBackend(): NativeBackend | undefined {
  return process.env.LOWRANK_NATIVE_BN === "0" ? undefined : nativeOps();
}

/** True when `batchNormTraining` runs TensorFlow's fused kernels (the tensorflow backend). */
export function hasNativeBatchNorm(): boolean {
  return nativeBackend() !== undefined;
}

function attrs(b: NativeBackend, epsilon: number): unknown[] {
  const { binding } = b;
  return [
    float32Attr(b),
    { name: "U", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "epsilon", type: binding.TF_ATTR_FLOAT, value: epsilon },
    { name: "data_format", type: binding.TF_ATTR_STRING, value: "NHWC" },
    { name: "is_training", type: binding.TF_ATTR_BOOL, value: true },
  ];
}

/**
 * Batch normalisation of an NHWC tensor with its own batch statistics, y = γ·(x − μ)/√(σ² + ε) + β,
 * differentiable with respect to x, γ and β.
 *
 * On the tensorflow backend the forward pass is TensorFlow's `FusedBatchNormV3` and the backward pass
 * `FusedBatchNormGradV3`: one pass over the activation each way, where TF.js's composition
 * (`tf.moments` + `tf.batchNorm` + autodiff of both) makes about a dozen. Elsewhere it is that
 * composition. Both give the biased variance, which is what the moving averages of TF.js's BN use.
 * The returned mean and variance are for the moving averages; on the fused path they carry no gradient.
 */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTraining {
  const native = nativeBackend();
  if (!native) {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, epsilon);
      return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
    });
  }
  const stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
  const channels = x.shape[3];
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gammaIn, betaIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    // Estimated mean/variance are ignored in training mode but must have the channel shape.
    const placeholder = tf.zeros([channels]);
    const [y, , batchVariance, savedMean, savedInvVar, reserve] = native.executeMultipleOutputs(
      "FusedBatchNormV3",
      attrs(native, epsilon),
      [xIn, gammaIn, betaIn, placeholder, placeholder],
      6,
    );
    // Output 2 is Bessel-corrected (n/(n−1)); TF.js's moving averages use the biased variance.
    stats.mean = tf.keep(savedMean.clone()) as tf.Tensor1D;
    stats.variance = tf.keep(count > 1 ? tf.mul(batchVariance, (count - 1) / count) : tf.zerosLike(batchVariance)) as tf.Tensor1D;
    save([xIn, gammaIn, savedMean, savedInvVar, reserve]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sGamma, sMean, sInvVar, sReserve] = saved;
        const [dx, dGamma, dBeta] = native.executeMultipleOutputs("FusedBatchNormGradV3", attrs(native, epsilon), [dy, sx, sGamma, sMean, sInvVar, sReserve], 5);
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  // Kept to leave the op's own tidy; handed over as ordinary tensors of the caller's scope.
  const mean = (stats.mean as tf.Tensor1D).clone();
  const variance = (stats.variance as tf.Tensor1D).clone();
  tf.dispose([stats.mean as tf.Tensor, stats.variance as tf.Tensor]);
  return { y, mean, variance };
}

let inferenceKernelInstalled = false;

/**
 * Replace the tensorflow backend's `FusedBatchNorm` kernel (batch norm with given statistics: every BN
 * layer at inference) by y = x·a + b with per-channel a = γ/√(σ² + ε), b = β − μ·a. tfjs-node runs
 * TensorFlow's FusedBatchNorm(is_training=false) there, which with oneDNN on is many times slower
 * than these two broadcast passes (RESULTS.md). Gradients are unchanged: TF.js
 * registers them for the kernel, not for its implementation. Idempotent; other backends untouched.
 */
export function installBatchNormInferenceKernel(): void {
  if (inferenceKernelInstalled || !tf.getKernel("FusedBatchNorm", "tensorflow")) return;
  inferenceKernelInstalled = true;
  tf.unregisterKernel("FusedBatchNorm", "tensorflow");
  tf.registerKernel({
    kernelName: "FusedBatchNorm",
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs }) => {
      const { x, mean, variance, scale, offset } = inputs as Record<string, tf.Tensor | undefined>;
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      return tf.tidy(() => {
        const inv = tf.rsqrt(tf.add(variance as tf.Tensor, epsilon));
        const a = scale ? tf.mul(inv, scale) : inv;
        const b = tf.sub(offset ?? tf.zerosLike(a), tf.mul(mean as tf.Tensor, a));
        return tf.add(tf.mul(x as tf.Tensor, a), b);
      });
    },
  });
}
