import * as tf from "@tensorflow/tfjs";

/** Filters of conv1..conv5; a pool follows conv2, conv4 and conv5. */
const WIDTHS = [32, 32, 64, 64, 128] as const;
const POOL_AFTER = new Set([2, 4, 5]);

/**
 * The benchmark's reference CIFAR-10 net: conv32-conv32-pool-conv64-conv64-pool-conv128-pool-dense10,
 * every 3×3 'same' conv followed by batch norm then ReLU, softmax output, input [32,32,3].
 * The convs have no bias (batch norm's offset plays that role). Layers are named conv1..conv5,
 * bn1..bn5, relu1..relu5, pool1..pool3, flatten, dense. Uncompiled: the caller picks the optimizer.
 */
export function referenceCnn(): tf.Sequential {
  const model = tf.sequential({ name: "reference_cnn" });
  let pool = 0;
  WIDTHS.forEach((filters, i) => {
    const n = i + 1;
    model.add(
      tf.layers.conv2d({
        name: `conv${n}`,
        filters,
        kernelSize: 3,
        padding: "same",
        useBias: false,
        kernelInitializer: "heNormal",
        ...(n === 1 ? { inputShape: [32, 32, 3] } : {}),
      }),
    );
    model.add(tf.layers.batchNormalization({ name: `bn${n}` }));
    model.add(tf.layers.activation({ name: `relu${n}`, activation: "relu" }));
    if (POOL_AFTER.has(n)) model.add(tf.layers.maxPooling2d({ name: `pool${++pool}`, poolSize: 2 }));
  });
  model.add(tf.layers.flatten({ name: "flatten" }));
  model.add(tf.layers.dense({ name: "dense", units: 10, activation: "softmax" }));
  return model;
}
