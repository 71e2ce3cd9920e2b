import * as tf from "@tensorflow/tfjs";

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | unknown;
  dataFormat?: string;
  filterShape: [number, number, number, number];
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === "number" ? [v, v] : v);

/** A 1×1 kernel at a stride > 1 without explicit padding: the case TensorFlow 2.21's oneDNN kernel gets wrong. */
function isStridedPointwise(x: tf.Tensor, attrs: FilterGradAttrs): boolean {
  const [kh, kw] = attrs.filterShape;
  const [sh, sw] = pair(attrs.strides);
  const pad = attrs.pad === "valid" || attrs.pad === "same" || attrs.pad === 0;
  return kh === 1 && kw === 1 && (sh > 1 || sw > 1) && pad && (attrs.dataFormat ?? "NHWC") === "NHWC" && x.rank === 4 && x.dtype === "float32";
}

/**
 * Filter gradient of a 1×1 conv with strides [sh, sw] ('same' or 'valid': a 1×1 window needs no padding,
 * so both read x at rows 0, sh, 2sh, … and columns 0, sw, …): the sampled inputs transposed times dy,
 * one matrix product. dy is [b, outH, outW, N]; the result [1, 1, C, N].
 */
export function stridedPointwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, strides: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, outH, outW, n] = dy.shape;
    const c = x.shape[3];
    const [sh, sw] = strides;
    const sampled = tf.stridedSlice(x, [0, 0, 0, 0], [b, (outH - 1) * sh + 1, (outW - 1) * sw + 1, c], [1, sh, sw, 1]);
    return tf.reshape(tf.matMul(tf.reshape(sampled, [-1, c]), tf.reshape(dy, [-1, n]), true, false), [1, 1, c, n]) as tf.Tensor4D;
  });
}

let installed = false;

/**
 * TensorFlow 2.21's CPU Conv2DBackpropFilter (oneDNN) corrupts memory for 1×1 kernels with a stride > 1 —
 * the projection shortcuts of a ResNet — and the process aborts ("double free or corruption"). On the
 * tensorflow backend that case is computed by `stridedPointwiseFilterGrad`; every other conv keeps the
 * native kernel. Idempotent.
 */
export function installStridedPointwiseFilterGrad(): void {
  const original = tf.getKernel("Conv2DBackpropFilter", "tensorflow");
  if (installed || !original) return;
  installed = true;
  tf.unregisterKernel("Conv2DBackpropFilter", "tensorflow");
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const attrs = args.attrs as unknown as FilterGradAttrs;
      if (!isStridedPointwise(x, attrs)) return original.kernelFunc(args);
      return stridedPointwiseFilterGrad(x, dy, pair(attrs.strides));
    },
  });
}
