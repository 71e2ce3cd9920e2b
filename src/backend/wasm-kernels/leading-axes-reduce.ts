import * as tf from "@tensorflow/tfjs";
import { asTensor, requireInput } from "./kernel-support";

type Reduction = "Sum" | "Mean";

/**
 * The number of leading axes `axis` names when it names exactly axes 0..k−1 (in any order), else 0.
 * These reductions (batch norm's statistics and gradients, bias gradients) make wasm's Sum and Mean
 * transpose the whole tensor first; a matrix product with a ones vector is 2–4× faster.
 */
export function leadingAxesCount(axis: number | number[] | undefined, rank: number): number {
  if (axis === undefined) return 0;
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
  const unique = [...new Set(list)].sort((a, b) => a - b);
  if (unique.length === 0 || unique.length >= rank) return 0;
  return unique.every((a, i) => a === i) ? unique.length : 0;
}

/**
 * Sum or Mean over leading axes as x[P,rest]ᵀ · ones[P,1], a matrix product. Anything else
 * (other axes, all axes, non-float dtypes) goes to the shipped kernel.
 */
export function makeLeadingAxesReduceKernel(kind: Reduction, shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const xInfo = requireInput(kind, args.inputs, "x");
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const k = xInfo.dtype === "float32" ? leadingAxesCount(axis, xInfo.shape.length) : 0;
    if (k === 0) return shipped(args);
    const shape = xInfo.shape;
    const rows = shape.slice(0, k).reduce((a, b) => a * b, 1);
    const rest = shape.slice(k);
    if (rows === 0) return shipped(args);
    return tf.tidy(() => {
      const x = asTensor(xInfo);
      // xᵀ·1 rather than 1ᵀ·x: the latter repacks x as matMul weights on every call (measured ≈4× slower).
      let out: tf.Tensor = tf.matMul(tf.reshape(x, [rows, rest.reduce((a, b) => a * b, 1)]), tf.ones([rows, 1]), true, false);
      if (kind === "Mean") out = tf.div(out, rows);
      return tf.reshape(out, keepDims ? [...shape.slice(0, k).map(() => 1), ...rest] : rest);
    });
  };
}
