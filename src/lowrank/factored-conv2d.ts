import * as tf from "@tensorflow/tfjs";
import { configPair } from "./conv-layer";
import { outputSize } from "./cost";
import type { HostKernel } from "./host-kernel";
import { InitializerLike, layerSettings, type LayerSettings, serializeObject } from "./tf-objects";

type Shape = (number | null)[];

/** What every factored conv layer takes besides its rank (the fields of the Conv2D it replaces). */
export interface FactoredConv2DConfig {
  /** Output channels N. */
  filters: number;
  /** [kh, kw] or d for d×d: the replaced conv's kernel. */
  kernelSize: number | [number, number];
  /** [sH, sW] or s. Default 1. */
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

/** Activations tf.fused.conv2d applies itself. */
const FUSABLE = new Set(["linear", "relu", "relu6", "elu", "sigmoid"]);

/**
 * The common part of the layers that replace one conv by a chain ending in a 1×1 conv R→N (Tucker-2, CP):
 * the replaced conv's fields and their checks, the factor weights by name, the last 1×1 conv with the
 * bias and the activation, output shape and config. Subclasses add their factors and the chain before.
 */
export abstract class FactoredConv2D extends tf.layers.Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: "same" | "valid";
  readonly useBias: boolean;
  /** Activation, initialisers and regularisers, with Keras's defaults (tf-objects.ts). */
  protected readonly settings: LayerSettings;
  get activationName(): string {
    return this.settings.activationName;
  }
  protected readonly factors: Record<string, tf.LayerVariable> = {};

  constructor(config: FactoredConv2DConfig, className: string) {
    super(config as ConstructorParameters<typeof tf.layers.Layer>[0]);
    const name = config?.name ?? this.name;
    if (!config || !Number.isInteger(config.filters) || config.filters < 1) throw new Error(`${className} '${name}': filters must be a positive integer, got ${config?.filters}.`);
    this.filters = config.filters;
    this.kernelSize = configPair(config.kernelSize, "kernelSize", name);
    this.strides = configPair(config.strides ?? 1, "strides", name);
    this.padding = config.padding ?? "valid";
    if (this.padding !== "same" && this.padding !== "valid") throw new Error(`${className} '${name}': padding must be 'same' or 'valid', got '${String(config.padding)}'.`);
    this.useBias = config.useBias ?? true;
    this.settings = layerSettings(config, `${className} '${name}'`);
  }

  /** Input channels of a 4-D NHWC input shape, or a clear error. */
  protected channelsOf(inputShape: Shape | Shape[]): number {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = shape[3];
    if (shape.length !== 4 || C == null) throw new Error(`${this.getClassName()} '${this.name}' needs a 4-D NHWC input with known channels, got shape ${JSON.stringify(shape)}.`);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: C } }];
    return C;
  }

  /** Add the factor kernels in order, then the bias. */
  protected addFactors(shapes: [string, number[]][]): void {
    const init = this.settings.kernelInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3];
    for (const [name, s] of shapes) this.factors[name] = this.addWeight(name, s, "float32", init, undefined, true);
    if (this.useBias) this.factors.bias = this.addWeight("bias", [this.filters], "float32", this.settings.biasInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3], undefined, true);
    this.built = true;
  }

  protected factor(name: string): tf.Tensor4D {
    return this.factors[name].read() as tf.Tensor4D;
  }

  /** The last 1×1 conv R→N (`last_kernel`) with the bias and the activation. */
  protected lastConv(y: tf.Tensor4D): tf.Tensor {
    const fuse = FUSABLE.has(this.settings.activationName);
    const out = tf.fused.conv2d({ x: y, filter: this.factor("last_kernel"), strides: 1, pad: "valid", bias: this.useBias ? this.factors.bias.read() : undefined, activation: (fuse ? this.settings.activationName : "linear") as "linear" });
    return fuse ? out : (this.settings.activationLayer.apply(out) as tf.Tensor);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const [kh, kw] = this.kernelSize;
    return [shape[0], shape[1] == null ? null : outputSize(shape[1], kh, this.strides[0], this.padding), shape[2] == null ? null : outputSize(shape[2], kw, this.strides[1], this.padding), this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.settings.activationName,
      kernelInitializer: serializeObject(this.settings.kernelInitializer),
      biasInitializer: serializeObject(this.settings.biasInitializer),
    };
  }
}

/** Load factor kernels by weight name (and the original bias; zero without one) into a built factored layer. */
export function setFactorWeights(layer: FactoredConv2D, factors: Record<string, HostKernel | undefined>, bias?: ArrayLike<number>): void {
  const cls = layer.getClassName();
  if (!layer.built) throw new Error(`${cls} '${layer.name}' is not built yet: add it to a model first.`);
  if (bias !== undefined && !layer.useBias) throw new Error(`${cls} '${layer.name}' has useBias = false but a bias was given.`);
  const values = tf.tidy(() =>
    layer.weights.map((v) => {
      const key = v.originalName.split("/").pop() as string;
      if (key === "bias") return bias ? tf.tensor1d(Float32Array.from(bias)) : tf.zeros([layer.filters]);
      const k = factors[key];
      if (!k) throw new Error(`${cls} '${layer.name}': unexpected weight '${v.originalName}'.`);
      if (k.shape.join() !== v.shape.join()) throw new Error(`${cls} '${layer.name}': ${key} is [${v.shape.join(", ")}] but the factor is [${k.shape.join(", ")}].`);
      return tf.tensor(Float32Array.from(k.data), k.shape);
    }),
  );
  try {
    layer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
