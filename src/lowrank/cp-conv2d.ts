import * as tf from "@tensorflow/tfjs";
import { outputSize } from "./cost";
import { FactoredConv2D, setFactorWeights, type FactoredConv2DConfig } from "./factored-conv2d";
import type { HostKernel } from "./host-kernel";

type Shape = (number | null)[];

export interface CpConv2DConfig extends FactoredConv2DConfig {
  /** R: channels of the depthwise convs. */
  rank: number;
}

/**
 * Where a stride-1 conv's output starts so that every `stride`-th row equals the strided conv's output:
 * 0 for 'valid'; for 'same', the stride-1 top padding minus the strided one (TensorFlow's rule).
 */
export function strideOffset(inSize: number, k: number, stride: number, padding: "same" | "valid"): number {
  if (padding === "valid" || stride === 1) return 0;
  const out = outputSize(inSize, k, stride, padding);
  return Math.floor((k - 1) / 2) - Math.floor(Math.max((out - 1) * stride + k - inSize, 0) / 2);
}

/**
 * Every `stride`-th entry along `axis` (1 rows, 2 columns) from `offset`, `count` of them, by pad + slice +
 * reshape (TF.js has no gradient for stridedSlice).
 */
function subsample(y: tf.Tensor4D, axis: 1 | 2, offset: number, count: number, stride: number): tf.Tensor4D {
  const need = offset + count * stride;
  const extra = need - y.shape[axis];
  if (extra > 0) y = tf.pad(y, axis === 1 ? [[0, 0], [0, extra], [0, 0], [0, 0]] : [[0, 0], [0, 0], [0, extra], [0, 0]]);
  const [b, h, w, c] = y.shape;
  if (axis === 1) {
    const rows = tf.reshape(tf.slice(y, [0, offset, 0, 0], [b, count * stride, w, c]), [b, count, stride, w, c]);
    return tf.reshape(tf.slice(rows, [0, 0, 0, 0, 0], [b, count, 1, w, c]), [b, count, w, c]);
  }
  const cols = tf.reshape(tf.slice(y, [0, 0, offset, 0], [b, h, count * stride, c]), [b, h, count, stride, c]);
  return tf.reshape(tf.slice(cols, [0, 0, 0, 0, 0], [b, h, count, 1, c]), [b, h, count, c]);
}

/**
 * A kh×kw convolution C→N as CP factors (Lebedev et al. 2015): a 1×1 conv C→R, a kh×1 and a 1×kw depthwise
 * conv on the R channels, then a 1×1 conv R→N with the bias and the activation. TensorFlow's depthwise
 * kernel takes equal strides only, so a strided layer runs each depthwise conv at stride 1 and keeps every
 * stride-th row (then column), which is exactly the strided conv for 'same' and 'valid'.
 * Weights: first_kernel [1, 1, C, R], vertical_kernel [kh, 1, R, 1], horizontal_kernel [1, kw, R, 1], last_kernel [1, 1, R, N], bias [N].
 */
export class CpConv2D extends FactoredConv2D {
  static className = "CpConv2D";
  readonly rank: number;

  constructor(config: CpConv2DConfig) {
    super(config, CpConv2D.className);
    if (!Number.isInteger(config.rank) || config.rank < 1) throw new Error(`CpConv2D '${config.name ?? this.name}': rank must be a positive integer, got ${config.rank}.`);
    this.rank = config.rank;
  }

  override build(inputShape: Shape | Shape[]): void {
    const C = this.channelsOf(inputShape);
    const [kh, kw] = this.kernelSize;
    const R = this.rank;
    this.addFactors([["first_kernel", [1, 1, C, R]], ["vertical_kernel", [kh, 1, R, 1]], ["horizontal_kernel", [1, kw, R, 1]], ["last_kernel", [1, 1, R, this.filters]]]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [kh, kw] = this.kernelSize;
      const [sH, sW] = this.strides;
      const [, H, W] = x.shape;
      let y = tf.conv2d(x, this.factor("first_kernel"), 1, "valid");
      y = tf.depthwiseConv2d(y, this.factor("vertical_kernel"), 1, this.padding);
      if (sH > 1) y = subsample(y, 1, strideOffset(H, kh, sH, this.padding), outputSize(H, kh, sH, this.padding), sH);
      y = tf.depthwiseConv2d(y, this.factor("horizontal_kernel"), 1, this.padding);
      if (sW > 1) y = subsample(y, 2, strideOffset(W, kw, sW, this.padding), outputSize(W, kw, sW, this.padding), sW);
      return this.lastConv(y);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rank: this.rank };
  }
}
tf.serialization.registerClass(CpConv2D);

/** Load CP factors (and the original bias; zero without one) into a built CpConv2D. */
export function setCpWeights(layer: CpConv2D, factors: Record<"first" | "vertical" | "horizontal" | "last", HostKernel>, bias?: ArrayLike<number>): void {
  if (!(layer instanceof CpConv2D)) throw new Error("setCpWeights expects a CpConv2D layer.");
  setFactorWeights(layer, { first_kernel: factors.first, vertical_kernel: factors.vertical, horizontal_kernel: factors.horizontal, last_kernel: factors.last }, bias);
}
