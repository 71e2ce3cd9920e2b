import * as tf from "@tensorflow/tfjs";

interface MaxPoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number;
  dimRoundingMode?: string;
}

const pair = (v: number | [number, number]) => (typeof v === "number" ? [v, v] : v);

/** 2×2 windows at stride 2 that tile the input exactly: the case `halvingMaxPoolGrad` covers. */
function isHalving(x: tf.Tensor, attrs: MaxPoolAttrs): boolean {
  const [fh, fw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  const [, height, width] = x.shape as number[];
  const tiles = x.rank === 4 && height % 2 === 0 && width % 2 === 0;
  return fh === 2 && fw === 2 && sh === 2 && sw === 2 && tiles && (attrs.pad === "valid" || attrs.pad === "same" || attrs.pad === 0);
}

/**
 * Gradient of a 2×2, stride-2 max-pool: each window's dy goes to the first of its four inputs (in
 * row-major order) that equals the window's maximum — TensorFlow's MaxPoolGrad rule, ties included.
 * Built from broadcast element-wise ops and one forward max-pool; TensorFlow's CPU MaxPoolGrad
 * recomputes every window's argmax and took about twice as long on the zoo's activations.
 */
export function halvingMaxPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, height, width, c] = x.shape;
    const h = height / 2;
    const w = width / 2;
    const isMax = tf.cast(tf.equal(tf.reshape(x, [b, h, 2, w, 2, c]), tf.reshape(y, [b, h, 1, w, 1, c])), "float32");
    // Window positions ranked 4, 3, 2, 1 in row-major order: the best-ranked maximum is the first one.
    const ranked = tf.mul(isMax, tf.tensor([4, 3, 2, 1], [1, 1, 2, 1, 2, 1]));
    const best = tf.maxPool(tf.reshape(ranked, x.shape) as tf.Tensor4D, 2, 2, "valid");
    const first = tf.cast(tf.equal(ranked, tf.reshape(best, [b, h, 1, w, 1, c])), "float32");
    return tf.reshape(tf.mul(first, tf.reshape(dy, [b, h, 1, w, 1, c])), x.shape) as tf.Tensor4D;
  });
}

let installed = false;

/**
 * On the tensorflow backend, take the MaxPool gradient of 2×2/stride-2 pools (every pool of the zoo)
 * from `halvingMaxPoolGrad`; any other pool, dtype or backend keeps TF.js's own gradient. Idempotent.
 */
export function installHalvingMaxPoolGrad(): void {
  if (installed) return;
  installed = true;
  const original = tf.getGradient("MaxPool");
  if (!original) return;
  tf.unregisterGradient("MaxPool");
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      if (tf.getBackend() !== "tensorflow" || x.dtype !== "float32" || !isHalving(x, attrs as unknown as MaxPoolAttrs)) return original.gradFunc(dy, saved, attrs);
      return { x: () => halvingMaxPoolGrad(dy as tf.Tensor4D, x as tf.Tensor4D, y as tf.Tensor4D) };
    },
  });
}
