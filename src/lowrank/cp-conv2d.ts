import * as tf from "@tensorflow/tfjs";
import { configPair } from "./conv-layer";
import { outputSize } from "./cost";
import type { HostKernel } from "./host-kernel";
import { deserializeObject, InitializerLike, serializeObject } from "./tf-objects";

type Shape = (number | null)[];

export interface CpConv2DConfig {
  filters: number;
  kernelSize: number | [number, number];
  /** R: channels of the depthwise convs. */
  rank: number;
  strides?: number | [number, number];
  padding?: "same" | "valid";
  useBias?: boolean;
  activation?: string;
  kernelInitializer?: InitializerLike;
  biasInitializer?: InitializerLike;
  name?: string;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
  batchSize?: number;
  dtype?: "float32";
}

const FUSABLE = new Set(["linear", "relu", "relu6", "elu", "sigmoid"]);

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
export class CpConv2D extends tf.layers.Layer {
  static className = "CpConv2D";

  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly rank: number;
  readonly strides: [number, number];
  readonly padding: "same" | "valid";
  readonly useBias: boolean;
  readonly activationName: string;
  private readonly kernelInitializer: tf.serialization.Serializable;
  private readonly biasInitializer: tf.serialization.Serializable;
  private readonly activationLayer: tf.layers.Layer;
  private kernels: Record<string, tf.LayerVariable> = {};

  constructor(config: CpConv2DConfig) {
    super(config as ConstructorParameters<typeof tf.layers.Layer>[0]);
    const name = config?.name ?? this.name;
    if (!config || !Number.isInteger(config.filters) || config.filters < 1) throw new Error(`CpConv2D '${name}': filters must be a positive integer, got ${config?.filters}.`);
    if (!Number.isInteger(config.rank) || config.rank < 1) throw new Error(`CpConv2D '${name}': rank must be a positive integer, got ${config.rank}.`);
    this.filters = config.filters;
    this.rank = config.rank;
    this.kernelSize = configPair(config.kernelSize, "kernelSize", name);
    this.strides = configPair(config.strides ?? 1, "strides", name);
    this.padding = config.padding ?? "valid";
    if (this.padding !== "same" && this.padding !== "valid") throw new Error(`CpConv2D '${name}': padding must be 'same' or 'valid', got '${String(config.padding)}'.`);
    this.useBias = config.useBias ?? true;
    try {
      this.activationLayer = tf.layers.activation({ activation: (config.activation ?? "linear") as "linear" });
    } catch {
      throw new Error(`CpConv2D '${name}': unknown activation '${config.activation}' (use e.g. 'relu', 'linear').`);
    }
    this.activationName = String(this.activationLayer.getConfig().activation);
    this.kernelInitializer = deserializeObject(config.kernelInitializer ?? "glorotUniform", "initializer");
    this.biasInitializer = deserializeObject(config.biasInitializer ?? "zeros", "initializer");
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = shape[3];
    if (shape.length !== 4 || C == null) throw new Error(`CpConv2D '${this.name}' needs a 4-D NHWC input with known channels, got shape ${JSON.stringify(shape)}.`);
    const [kh, kw] = this.kernelSize;
    const R = this.rank;
    const init = this.kernelInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3];
    const shapes: [string, number[]][] = [["first_kernel", [1, 1, C, R]], ["vertical_kernel", [kh, 1, R, 1]], ["horizontal_kernel", [1, kw, R, 1]], ["last_kernel", [1, 1, R, this.filters]]];
    for (const [name, s] of shapes) this.kernels[name] = this.addWeight(name, s, "float32", init, undefined, true);
    if (this.useBias) this.kernels.bias = this.addWeight("bias", [this.filters], "float32", this.biasInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3], undefined, true);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: C } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const [kh, kw] = this.kernelSize;
    return [shape[0], shape[1] == null ? null : outputSize(shape[1], kh, this.strides[0], this.padding), shape[2] == null ? null : outputSize(shape[2], kw, this.strides[1], this.padding), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [kh, kw] = this.kernelSize;
      const [sH, sW] = this.strides;
      const [, H, W] = x.shape;
      let y = tf.conv2d(x, this.kernels.first_kernel.read() as tf.Tensor4D, 1, "valid");
      y = tf.depthwiseConv2d(y, this.kernels.vertical_kernel.read() as tf.Tensor4D, 1, this.padding);
      if (sH > 1) y = subsample(y, 1, strideOffset(H, kh, sH, this.padding), outputSize(H, kh, sH, this.padding), sH);
      y = tf.depthwiseConv2d(y, this.kernels.horizontal_kernel.read() as tf.Tensor4D, 1, this.padding);
      if (sW > 1) y = subsample(y, 2, strideOffset(W, kw, sW, this.padding), outputSize(W, kw, sW, this.padding), sW);
      const fuse = FUSABLE.has(this.activationName);
      y = tf.fused.conv2d({ x: y, filter: this.kernels.last_kernel.read() as tf.Tensor4D, strides: 1, pad: "valid", bias: this.useBias ? this.kernels.bias.read() : undefined, activation: (fuse ? this.activationName : "linear") as "linear" });
      return fuse ? y : (this.activationLayer.apply(y) as tf.Tensor4D);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      rank: this.rank,
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.activationName,
      kernelInitializer: serializeObject(this.kernelInitializer),
      biasInitializer: serializeObject(this.biasInitializer),
    };
  }
}
tf.serialization.registerClass(CpConv2D);

/** Load CP factors (and the original bias; zero without one) into a built CpConv2D. */
export function setCpWeights(layer: CpConv2D, factors: Record<"first" | "vertical" | "horizontal" | "last", HostKernel>, bias?: ArrayLike<number>): void {
  if (!(layer instanceof CpConv2D)) throw new Error("setCpWeights expects a CpConv2D layer.");
  if (!layer.built) throw new Error(`CpConv2D '${layer.name}' is not built yet: add it to a model first.`);
  if (bias !== undefined && !layer.useBias) throw new Error(`CpConv2D '${layer.name}' has useBias = false but a bias was given.`);
  const byName: Record<string, HostKernel | undefined> = { first_kernel: factors.first, vertical_kernel: factors.vertical, horizontal_kernel: factors.horizontal, last_kernel: factors.last };
  const values = tf.tidy(() =>
    layer.weights.map((v) => {
      const key = v.originalName.split("/").pop() as string;
      if (key === "bias") return bias ? tf.tensor1d(Float32Array.from(bias)) : tf.zeros([layer.filters]);
      const k = byName[key];
      if (!k) throw new Error(`CpConv2D '${layer.name}': unexpected weight '${v.originalName}'.`);
      if (k.shape.join() !== v.shape.join()) throw new Error(`CpConv2D '${layer.name}': ${key} is [${v.shape.join(", ")}] but the factor is [${k.shape.join(", ")}].`);
      return tf.tensor(Float32Array.from(k.data), k.shape);
    }),
  );
  try {
    layer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
