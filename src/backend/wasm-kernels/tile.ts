import * as tf from "@tensorflow/tfjs";
import { asTensor, requireInput } from "./kernel-support";

/**
 * Tile as a broadcast multiply by ones: the shipped wasm Tile is an element-by-element index loop (≈50×
 * slower on the batch-norm gradient's [1,1,1,C] → [B,H,W,C]). Multiplying by 1 is exact for every value,
 * including −0, ±∞ and NaN. Other dtypes, and shapes needing too many axes, go to `fallback` (the
 * shipped kernel) when there is one.
 */
/** XNNPACK's broadcasting binary ops handle at most this many axes (XNN_MAX_TENSOR_DIMS). */
const MAX_BROADCAST_RANK = 6;

/**
 * Shapes whose broadcast product is the tiled tensor: each repeated axis of size > 1 gets an axis of size
 * `rep` in front of it (in the ones); axes of size 1 simply broadcast. Adjacent axes of the same kind merge,
 * so the rank stays small: [1,1,1,C] × [B,H,W,1] → x [1,C], ones [B·H·W,1].
 */
export function broadcastShapes(shape: readonly number[], reps: readonly number[]): { spreadShape: number[]; onesShape: number[] } {
  const pairs: Array<[number, number]> = []; // [x extent, ones extent]; one of the two is 1
  shape.forEach((d, i) => {
    const r = reps[i];
    if (d === 1) pairs.push([1, r]);
    else if (r === 1) pairs.push([d, 1]);
    else pairs.push([1, r], [d, 1]);
  });
  const spreadShape: number[] = [];
  const onesShape: number[] = [];
  for (const [d, r] of pairs) {
    if (d === 1 && r === 1) continue;
    const last = spreadShape.length - 1;
    const sameKind = last >= 0 && (d === 1) === (spreadShape[last] === 1) && (r === 1) === (onesShape[last] === 1);
    if (sameKind) {
      spreadShape[last] *= d;
      onesShape[last] *= r;
    } else {
      spreadShape.push(d);
      onesShape.push(r);
    }
  }
  if (spreadShape.length === 0) return { spreadShape: [1], onesShape: [1] };
  return { spreadShape, onesShape };
}

export function makeTileKernel(fallback?: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const xInfo = requireInput("Tile", args.inputs, "x");
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    if (reps.length !== xInfo.shape.length || !reps.every((r) => Number.isInteger(r) && r >= 0)) {
      throw new Error(`Tile: reps [${reps}] must be ${xInfo.shape.length} non-negative integers, one per axis of the input [${xInfo.shape}].`);
    }
    if (xInfo.dtype !== "float32" && xInfo.dtype !== "int32") {
      if (fallback) return fallback(args);
      throw new Error(`Tile on wasm (project kernel): dtype '${xInfo.dtype}' is not supported; cast to float32 or int32 first.`);
    }
    return tf.tidy(() => {
      const x = asTensor(xInfo);
      const outShape = x.shape.map((d, i) => d * reps[i]);
      if (outShape.some((d) => d === 0)) return tf.zeros(outShape, x.dtype);
      const { spreadShape, onesShape } = broadcastShapes(x.shape, reps);
      if (spreadShape.length > MAX_BROADCAST_RANK) {
        if (fallback) return fallback(args) as tf.Tensor;
        throw new Error(`Tile on wasm (project kernel): [${x.shape}] × [${reps}] needs ${spreadShape.length} broadcast axes (at most ${MAX_BROADCAST_RANK}).`);
      }
      const tiled = tf.mul(tf.reshape(x, spreadShape), tf.ones(onesShape, x.dtype));
      return tf.reshape(tiled, outShape);
    });
  };
}
