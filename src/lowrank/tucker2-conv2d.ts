import * as tf from "@tensorflow/tfjs";
import { configPair } from "./conv-layer";
import { outputSize } from "./cost";
import type { HostKernel } from "./host-kernel";
import { deserializeObject, InitializerLike, serializeObject } from "./tf-objects";

type Shape = (number | null)[];

export interface Tucker2Conv2DConfig {
  /** Output channels N. */
  filters: number;
  /** [kh, kw] or d for d×d: the core conv's kernel. */
  kernelSize: number | [number, number];
  /** [R1, R2]: channels after the first 1×1 conv, and out of the core. */
  rank: [number, number];
  /** The core conv's strides ([sH, sW] or s). Default 1. */
  strides?: number | [number, number];
  padding?: "same" | "valid";
  useBias?: boolean;
  /** Any Keras activation name. Default linear. */
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
 * A kh×kw convolution C→N as Tucker-2 factors (Kim et al. 2016): a 1×1 conv C→R1, the kh×kw core conv
 * R1→R2 with the original strides and padding, and a 1×1 conv R2→N with the bias, then the activation.
 * Zero padding commutes with the first 1×1 conv (it has no bias), so 'same' and 'valid' are exact.
 * Weights: first_kernel [1, 1, C, R1], core_kernel [kh, kw, R1, R2], last_kernel [1, 1, R2, N], bias [N].
 */
export class Tucker2Conv2D extends tf.layers.Layer {
  static className = "Tucker2Conv2D";

  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly rank: [number, number];
  readonly strides: [number, number];
  readonly padding: "same" | "valid";
  readonly useBias: boolean;
  readonly activationName: string;
  private readonly kernelInitializer: tf.serialization.Serializable;
  private readonly biasInitializer: tf.serialization.Serializable;
  private readonly activationLayer: tf.layers.Layer;
  private first?: tf.LayerVariable;
  private core?: tf.LayerVariable;
  private last?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(config: Tucker2Conv2DConfig) {
    super(config as ConstructorParameters<typeof tf.layers.Layer>[0]);
    const name = config?.name ?? this.name;
    if (!config || !Number.isInteger(config.filters) || config.filters < 1) throw new Error(`Tucker2Conv2D '${name}': filters must be a positive integer, got ${config?.filters}.`);
    if (!Array.isArray(config.rank) || config.rank.length !== 2 || !config.rank.every((r) => Number.isInteger(r) && r >= 1)) {
      throw new Error(`Tucker2Conv2D '${name}': rank must be two positive integers [R1, R2], got ${JSON.stringify(config.rank)}.`);
    }
    this.filters = config.filters;
    this.rank = [config.rank[0], config.rank[1]];
    this.kernelSize = configPair(config.kernelSize, "kernelSize", name);
    this.strides = configPair(config.strides ?? 1, "strides", name);
    this.padding = config.padding ?? "valid";
    if (this.padding !== "same" && this.padding !== "valid") throw new Error(`Tucker2Conv2D '${name}': padding must be 'same' or 'valid', got '${String(config.padding)}'.`);
    this.useBias = config.useBias ?? true;
    try {
      this.activationLayer = tf.layers.activation({ activation: (config.activation ?? "linear") as "linear" });
    } catch {
      throw new Error(`Tucker2Conv2D '${name}': unknown activation '${config.activation}' (use e.g. 'relu', 'linear').`);
    }
    this.activationName = String(this.activationLayer.getConfig().activation);
    this.kernelInitializer = deserializeObject(config.kernelInitializer ?? "glorotUniform", "initializer");
    this.biasInitializer = deserializeObject(config.biasInitializer ?? "zeros", "initializer");
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = shape[3];
    if (shape.length !== 4 || C == null) throw new Error(`Tucker2Conv2D '${this.name}' needs a 4-D NHWC input with known channels, got shape ${JSON.stringify(shape)}.`);
    const [kh, kw] = this.kernelSize;
    const [r1, r2] = this.rank;
    const init = this.kernelInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3];
    this.first = this.addWeight("first_kernel", [1, 1, C, r1], "float32", init, undefined, true);
    this.core = this.addWeight("core_kernel", [kh, kw, r1, r2], "float32", init, undefined, true);
    this.last = this.addWeight("last_kernel", [1, 1, r2, this.filters], "float32", init, undefined, true);
    if (this.useBias) this.bias = this.addWeight("bias", [this.filters], "float32", this.biasInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3], undefined, true);
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
      let y = tf.conv2d(x, this.first!.read() as tf.Tensor4D, 1, "valid");
      y = tf.conv2d(y, this.core!.read() as tf.Tensor4D, this.strides, this.padding);
      const fuse = FUSABLE.has(this.activationName);
      y = tf.fused.conv2d({ x: y, filter: this.last!.read() as tf.Tensor4D, strides: 1, pad: "valid", bias: this.useBias ? this.bias!.read() : undefined, activation: (fuse ? this.activationName : "linear") as "linear" });
      return fuse ? y : (this.activationLayer.apply(y) as tf.Tensor4D);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      rank: [...this.rank],
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.activationName,
      kernelInitializer: serializeObject(this.kernelInitializer),
      biasInitializer: serializeObject(this.biasInitializer),
    };
  }
}
tf.serialization.registerClass(Tucker2Conv2D);

/** Load Tucker-2 factors (and the original bias; zero without one) into a built Tucker2Conv2D. */
export function setTucker2Weights(layer: Tucker2Conv2D, factors: { first: HostKernel; core: HostKernel; last: HostKernel }, bias?: ArrayLike<number>): void {
  if (!(layer instanceof Tucker2Conv2D)) throw new Error("setTucker2Weights expects a Tucker2Conv2D layer.");
  if (!layer.built) throw new Error(`Tucker2Conv2D '${layer.name}' is not built yet: add it to a model first.`);
  const byName: Record<string, HostKernel | undefined> = { first_kernel: factors.first, core_kernel: factors.core, last_kernel: factors.last };
  if (bias !== undefined && !layer.useBias) throw new Error(`Tucker2Conv2D '${layer.name}' has useBias = false but a bias was given.`);
  const values = tf.tidy(() =>
    layer.weights.map((v) => {
      const key = v.originalName.split("/").pop() as string;
      if (key === "bias") return bias ? tf.tensor1d(Float32Array.from(bias)) : tf.zeros([layer.filters]);
      const k = byName[key];
      if (!k) throw new Error(`Tucker2Conv2D '${layer.name}': unexpected weight '${v.originalName}'.`);
      if (k.shape.join() !== v.shape.join()) throw new Error(`Tucker2Conv2D '${layer.name}': ${key} is [${v.shape.join(", ")}] but the factor is [${k.shape.join(", ")}].`);
      return tf.tensor(Float32Array.from(k.data), k.shape);
    }),
  );
  try {
    layer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
