import * as tf from "@tensorflow/tfjs";

/**
 * A kernel receives TensorInfos; public ops need Tensors. The engine normally passes the Tensors
 * themselves; otherwise wrap the info (call inside tf.tidy: the wrapper only holds a reference).
 */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

type ConvAttrs = {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  dilations?: [number, number] | number;
};

/** The forward convolution's geometry, NHWC only, rejecting what the gradient kernels do not handle. */
export function forwardConvInfo(
  kernelName: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(`${kernelName} on wasm (project kernel): dataFormat '${attrs.dataFormat}' is not supported; use NHWC (channelsLast).`);
  }
  const dil = attrs.dilations ?? 1;
  const [dh, dw] = typeof dil === "number" ? [dil, dil] : dil;
  if (dh !== 1 || dw !== 1) {
    throw new Error(`${kernelName} on wasm (project kernel): dilations ${dh}×${dw} are not supported; use dilation 1.`);
  }
  if (inputShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernelName}: expected a rank-4 input and filter, got [${inputShape}] and [${filterShape}].`);
  }
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** Explicit padding in the form tf.conv2d accepts. */
export function explicitPadding(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** A kernel input by name, or a clear error when the caller did not pass it. */
export function requireInput(kernelName: string, inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const info = inputs[name];
  if (!info) throw new Error(`${kernelName}: missing input '${name}' (got ${Object.keys(inputs).join(", ") || "none"}).`);
  return info;
}
