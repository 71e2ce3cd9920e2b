import * as tf from "@tensorflow/tfjs";
import { inputGradPlan } from "./conv-geometry";
import { asTensor, explicitPadding, forwardConvInfo, requireInput } from "./kernel-support";

/** Insert stride − 1 zeros after every row and column: [B,OH,OW,N] → [B,OH·sh,OW·sw,N]. */
function dilate(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, oh, ow, n] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, n]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [b, oh * sh, ow * sw, n]);
}

/**
 * Input gradient of an NHWC conv2d. The shipped wasm kernel is a naive loop (≈2 GFLOP/s); the same
 * result is a stride-1 convolution of the dilated, padded dy with the spatially flipped filter whose
 * in/out channels are swapped, which runs on wasm's XNNPACK Conv2D.
 */
export function conv2dBackpropInput({ inputs, attrs }: Parameters<tf.KernelFunc>[0]): tf.Tensor4D {
  const dyInfo = requireInput("Conv2DBackpropInput", inputs, "dy");
  const filterInfo = requireInput("Conv2DBackpropInput", inputs, "filter");
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = forwardConvInfo("Conv2DBackpropInput", a.inputShape, filterInfo.shape, a);
  const [batch, inH, inW, cin] = a.inputShape;
  const [fh, fw] = filterInfo.shape;
  return tf.tidy(() => {
    const dy = asTensor<tf.Rank.R4>(dyInfo);
    const filter = asTensor<tf.Rank.R4>(filterInfo);
    const { outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
    let spread = dilate(dy, strideHeight, strideWidth);
    const rows = inputGradPlan({ inSize: inH, outSize: outHeight, filterSize: fh, stride: strideHeight, padBefore: padInfo.top }, spread.shape[1]);
    const cols = inputGradPlan({ inSize: inW, outSize: outWidth, filterSize: fw, stride: strideWidth, padBefore: padInfo.left }, spread.shape[2]);
    if (rows.cropBefore > 0 || cols.cropBefore > 0) {
      spread = tf.slice(spread, [0, rows.cropBefore, cols.cropBefore, 0], [-1, -1, -1, -1]);
    }
    const flipped = fh === 1 && fw === 1 ? filter : tf.reverse(filter, [0, 1]);
    const swapped = tf.transpose(flipped, [0, 1, 3, 2]); // [fh, fw, N, C]
    let dx = tf.conv2d(spread, swapped, 1, explicitPadding(rows.padBefore, rows.padAfter, cols.padBefore, cols.padAfter), "NHWC");
    if (dx.shape[1] !== inH || dx.shape[2] !== inW) dx = tf.slice(dx, [0, 0, 0, 0], [batch, inH, inW, cin]);
    return dx;
  });
}
