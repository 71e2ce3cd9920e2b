import * as tf from "@tensorflow/tfjs";
import { asTensor, requireInput } from "./kernel-support";

type DepthwiseGradAttrs = {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dilations: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
};

/** The forward depthwise conv's geometry; stride 1, dilation 1 and channel multiplier 1 only (what CP layers run), else a clear error. */
function depthwiseInfo(kernelName: string, xShape: number[], filterShape: number[], a: DepthwiseGradAttrs): tf.backend_util.Conv2DInfo {
  const pair = (v: [number, number] | number) => (typeof v === "number" ? [v, v] : v);
  if (pair(a.strides).some((s) => s !== 1) || pair(a.dilations ?? 1).some((d) => d !== 1)) {
    throw new Error(`${kernelName} on wasm (project kernel): only stride 1 and dilation 1 are supported, got strides ${JSON.stringify(a.strides)}, dilations ${JSON.stringify(a.dilations)}; use the tensorflow or cpu backend.`);
  }
  if (filterShape[3] !== 1) throw new Error(`${kernelName} on wasm (project kernel): channel multiplier ${filterShape[3]} is not supported; use 1, or the tensorflow or cpu backend.`);
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true, "channelsLast");
}

/**
 * Input gradient of a stride-1 depthwise conv, which the wasm backend lacks: the depthwise correlation of
 * dy with the spatially flipped filter, padded by kh−1−top above, kh−1−bottom below (and likewise across).
 */
export function depthwiseBackpropInput({ inputs, attrs }: Parameters<tf.KernelFunc>[0]): tf.Tensor4D {
  const dyInfo = requireInput("DepthwiseConv2dNativeBackpropInput", inputs, "dy");
  const filterInfo = requireInput("DepthwiseConv2dNativeBackpropInput", inputs, "filter");
  const a = attrs as unknown as DepthwiseGradAttrs & { inputShape: number[] };
  const info = depthwiseInfo("DepthwiseConv2dNativeBackpropInput", a.inputShape, filterInfo.shape, a);
  const { filterHeight: kh, filterWidth: kw, padInfo } = info;
  return tf.tidy(() => {
    const dy = asTensor<tf.Rank.R4>(dyInfo);
    const flipped = tf.reverse(asTensor<tf.Rank.R4>(filterInfo), [0, 1]);
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [kh - 1 - padInfo.top, kh - 1 - padInfo.bottom], [kw - 1 - padInfo.left, kw - 1 - padInfo.right], [0, 0]];
    return tf.depthwiseConv2d(dy, flipped as tf.Tensor4D, 1, pad);
  });
}

/**
 * Filter gradient of a stride-1 depthwise conv, which the wasm backend lacks: for each tap (i, j),
 * dw[i, j, c] = Σ over batch and output pixels of the padded input shifted by (i, j) times dy.
 */
export function depthwiseBackpropFilter({ inputs, attrs }: Parameters<tf.KernelFunc>[0]): tf.Tensor4D {
  const xInfo = requireInput("DepthwiseConv2dNativeBackpropFilter", inputs, "x");
  const dyInfo = requireInput("DepthwiseConv2dNativeBackpropFilter", inputs, "dy");
  const a = attrs as unknown as DepthwiseGradAttrs & { filterShape: number[] };
  const info = depthwiseInfo("DepthwiseConv2dNativeBackpropFilter", xInfo.shape, a.filterShape, a);
  const { filterHeight: kh, filterWidth: kw, outHeight, outWidth, padInfo, batchSize, inChannels } = info;
  return tf.tidy(() => {
    const x = tf.pad(asTensor<tf.Rank.R4>(xInfo), [[0, 0], [padInfo.top, padInfo.bottom], [padInfo.left, padInfo.right], [0, 0]]);
    const dy = asTensor<tf.Rank.R4>(dyInfo);
    const taps: tf.Tensor1D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) taps.push(tf.sum(tf.mul(tf.slice(x, [0, i, j, 0], [batchSize, outHeight, outWidth, inChannels]), dy), [0, 1, 2]) as tf.Tensor1D);
    }
    return tf.reshape(tf.stack(taps), [kh, kw, inChannels, 1]) as tf.Tensor4D;
  });
}
