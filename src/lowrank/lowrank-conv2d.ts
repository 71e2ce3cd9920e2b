import * as tf from "@tensorflow/tfjs";
import { updateMovingAverage } from "../backend/batch-norm-layer";
import { batchNormTraining } from "../backend/native-batch-norm";
import { configPair } from "./conv-layer";
import type { FactoredConv2DConfig } from "./factored-conv2d";
import { outputSize } from "./cost";
import type { HostKernel } from "./host-kernel";
import { BN_PLACEMENTS, type BnPlacement } from "./plan";
import { InitializerLike, layerSettings, type LayerSettings, serializeObject } from "./tf-objects";

type Shape = (number | null)[];

/** The replaced conv's fields (FactoredConv2DConfig; strides split per axis: the vertical conv strides rows, the horizontal columns) and the pair's own. */
export interface LowRankConv2DConfig extends FactoredConv2DConfig {
  /** K: channels between the vertical and horizontal convs. */
  rank: number;
  bn?: BnPlacement;
  /** Regulariser of both kernels (e.g. tf.regularizers.l2({ l2: 5e-4 })). */
  kernelRegularizer?: InitializerLike | null;
  biasRegularizer?: InitializerLike | null;
  /** BN momentum of the moving averages (default 0.99) and epsilon (default 1e-3), as tf.layers.batchNormalization. */
  bnMomentum?: number;
  bnEpsilon?: number;
}

function pair(value: number | number[] | undefined, fallback: number, what: string, layer: string): [number, number] {
  let p: [number, number] | undefined;
  try {
    if (Array.isArray(value) && value.length !== 2) throw new Error("not a pair");
    p = configPair(value ?? fallback, what, layer);
  } catch {
    p = undefined;
  }
  if (!p || !p.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new Error(`LowRankConv2D '${layer}': ${what} must be a positive integer or [h, w], got ${JSON.stringify(value)}.`);
  }
  return p;
}

/** Activations tf.fused.conv2d can apply itself. */
const FUSABLE = new Set(["linear", "relu", "relu6", "elu", "sigmoid"]);

/**
 * A kh×kw convolution C→N factored as a kh×1 "vertical" conv C→K followed by a 1×kw "horizontal"
 * conv K→N (Tai et al. 2016), with no nonlinearity between them, optional batch normalisation between
 * (V → BN → H + bias → act) or after (V → H + bias → BN → act), then the activation.
 *
 * Strides and padding are split per axis: the vertical conv strides and pads rows only, the horizontal
 * conv columns only. TensorFlow's (asymmetric) 'same' padding is computed per axis, so the pair computes
 * exactly the rank-K kernel's convolution for 'same' and 'valid' and any stride.
 *
 * Weights are created in this order: vertical_kernel [kh,1,C,K]; (between) bn_gamma, bn_beta,
 * bn_moving_mean, bn_moving_variance [K]; horizontal_kernel [1,kw,K,N]; bias [N]; (after) the four BN
 * weights [N]. As for every TF.js layer, `layer.weights`/`getWeights()` list the trainable ones first
 * and the non-trainable moving statistics last.
 * BN in training mode normalises with the batch statistics and updates the moving averages like
 * tf.layers.batchNormalization (momentum 0.99, epsilon 1e-3); inference uses the moving statistics.
 */
export class LowRankConv2D extends tf.layers.Layer {
  static className = "LowRankConv2D";

  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly rank: number;
  readonly strides: [number, number];
  readonly padding: "same" | "valid";
  readonly useBias: boolean;
  readonly bn: BnPlacement;
  /** Activation, initialisers and regularisers, with Keras's defaults (tf-objects.ts). */
  protected readonly settings: LayerSettings;
  get activationName(): string {
    return this.settings.activationName;
  }
  readonly bnMomentum: number;
  readonly bnEpsilon: number;

  private verticalKernel?: tf.LayerVariable;
  private horizontalKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private bnGamma?: tf.LayerVariable;
  private bnBeta?: tf.LayerVariable;
  private bnMovingMean?: tf.LayerVariable;
  private bnMovingVariance?: tf.LayerVariable;

  constructor(config: LowRankConv2DConfig) {
    super(config as ConstructorParameters<typeof tf.layers.Layer>[0]);
    const name = config?.name ?? this.name;
    if (!config || !Number.isInteger(config.filters) || config.filters < 1) {
      throw new Error(`LowRankConv2D '${name}': filters must be a positive integer, got ${config?.filters}.`);
    }
    if (!Number.isInteger(config.rank) || config.rank < 1) {
      throw new Error(`LowRankConv2D '${name}': rank must be a positive integer, got ${config.rank}.`);
    }
    this.filters = config.filters;
    this.rank = config.rank;
    this.kernelSize = pair(config.kernelSize, NaN, "kernelSize", name);
    this.strides = pair(config.strides, 1, "strides", name);
    this.padding = config.padding ?? "valid";
    if (this.padding !== "same" && this.padding !== "valid") {
      throw new Error(`LowRankConv2D '${name}': padding must be 'same' or 'valid', got '${String(config.padding)}'.`);
    }
    this.useBias = config.useBias ?? true;
    this.bn = config.bn ?? "none";
    if (!BN_PLACEMENTS.includes(this.bn)) {
      throw new Error(`LowRankConv2D '${name}': bn must be one of ${BN_PLACEMENTS.join(", ")}, got '${String(config.bn)}'.`);
    }
    this.bnMomentum = config.bnMomentum ?? 0.99;
    this.bnEpsilon = config.bnEpsilon ?? 1e-3;
    this.settings = layerSettings(config, `LowRankConv2D '${name}'`);
  }

  private addBatchNorm(channels: number): void {
    const ones = tf.initializers.ones();
    const zeros = tf.initializers.zeros();
    this.bnGamma = this.addWeight("bn_gamma", [channels], "float32", ones, undefined, true);
    this.bnBeta = this.addWeight("bn_beta", [channels], "float32", zeros, undefined, true);
    this.bnMovingMean = this.addWeight("bn_moving_mean", [channels], "float32", zeros, undefined, false);
    this.bnMovingVariance = this.addWeight("bn_moving_variance", [channels], "float32", ones, undefined, false);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = shape[3];
    if (shape.length !== 4 || channels == null) {
      throw new Error(`LowRankConv2D '${this.name}' needs a 4-D NHWC input with known channels, got shape ${JSON.stringify(shape)}.`);
    }
    const [kh, kw] = this.kernelSize;
    const kReg = this.settings.kernelRegularizer as unknown as Parameters<tf.layers.Layer["addWeight"]>[4];
    const bReg = this.settings.biasRegularizer as unknown as Parameters<tf.layers.Layer["addWeight"]>[4];
    const kInit = this.settings.kernelInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3];
    const bInit = this.settings.biasInitializer as unknown as Parameters<tf.layers.Layer["addWeight"]>[3];
    this.verticalKernel = this.addWeight("vertical_kernel", [kh, 1, channels, this.rank], "float32", kInit, kReg, true);
    if (this.bn === "between") this.addBatchNorm(this.rank);
    this.horizontalKernel = this.addWeight("horizontal_kernel", [1, kw, this.rank, this.filters], "float32", kInit, kReg, true);
    if (this.useBias) this.bias = this.addWeight("bias", [this.filters], "float32", bInit, bReg, true);
    if (this.bn === "after") this.addBatchNorm(this.filters);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: channels } }];
    this.built = true;
  }

  /** The trainable factor variables (after build): V [kh, 1, C, K] and H [1, kw, K, N]. */
  factorWeights(): { vertical: tf.LayerVariable; horizontal: tf.LayerVariable } {
    if (!this.verticalKernel || !this.horizontalKernel) throw new Error(`LowRankConv2D '${this.name}' is not built yet: add it to a model first.`);
    return { vertical: this.verticalKernel, horizontal: this.horizontalKernel };
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const [kh, kw] = this.kernelSize;
    const outH = shape[1] == null ? null : outputSize(shape[1], kh, this.strides[0], this.padding);
    const outW = shape[2] == null ? null : outputSize(shape[2], kw, this.strides[1], this.padding);
    return [shape[0], outH, outW, this.filters];
  }

  /** BN over NHWC: batch statistics (and moving-average update) in training, moving statistics otherwise. */
  private normalize(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const gamma = this.bnGamma!.read() as tf.Tensor1D;
    const beta = this.bnBeta!.read() as tf.Tensor1D;
    if (!training) {
      return tf.batchNorm4d(x, this.bnMovingMean!.read() as tf.Tensor1D, this.bnMovingVariance!.read() as tf.Tensor1D, beta, gamma, this.bnEpsilon);
    }
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, this.bnEpsilon);
    updateMovingAverage(this.bnMovingMean!, mean, this.bnMomentum);
    updateMovingAverage(this.bnMovingVariance!, variance, this.bnMomentum);
    return y;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const training = kwargs?.training === true;
      const [sH, sW] = this.strides;
      let y = tf.conv2d(x, this.verticalKernel!.read() as tf.Tensor4D, [sH, 1], this.padding);
      if (this.bn === "between") y = this.normalize(y, training);
      const fuseActivation = this.bn !== "after" && FUSABLE.has(this.settings.activationName);
      y = tf.fused.conv2d({
        x: y,
        filter: this.horizontalKernel!.read() as tf.Tensor4D,
        strides: [1, sW],
        pad: this.padding,
        bias: this.useBias ? this.bias!.read() : undefined,
        activation: (fuseActivation ? this.settings.activationName : "linear") as "linear",
      });
      if (this.bn === "after") y = this.normalize(y, training);
      if (!fuseActivation) y = this.settings.activationLayer.apply(y) as tf.Tensor4D;
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      rank: this.rank,
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.settings.activationName,
      bn: this.bn,
      bnMomentum: this.bnMomentum,
      bnEpsilon: this.bnEpsilon,
      kernelInitializer: serializeObject(this.settings.kernelInitializer),
      biasInitializer: serializeObject(this.settings.biasInitializer),
      kernelRegularizer: serializeObject(this.settings.kernelRegularizer),
      biasRegularizer: serializeObject(this.settings.biasRegularizer),
    };
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(LowRankConv2D);

/** Factory, like tf.layers.conv2d. */
export function lowRankConv2D(config: LowRankConv2DConfig): LowRankConv2D {
  return new LowRankConv2D(config);
}

/**
 * Load a decomposition (and optionally the original bias) into a built LowRankConv2D. Without `bias`
 * the bias is set to zero, so the layer computes exactly the decomposed kernel. BN weights, if any, are
 * set to the identity at inference (γ = 1, β = 0, mean 0, variance 1 − ε), so predictions stay exact
 * until fine-tuning changes them.
 */
export function setLowRankWeights(layer: LowRankConv2D, decomposition: { vertical: HostKernel; horizontal: HostKernel }, bias?: Float32Array | Float64Array | number[]): void {
  if (!(layer instanceof LowRankConv2D)) throw new Error("setLowRankWeights expects a LowRankConv2D layer.");
  if (!layer.built) {
    throw new Error(`LowRankConv2D '${layer.name}' is not built yet: add it to a model (or call layer.apply) before setting weights.`);
  }
  // layer.weights lists trainable weights first, then BN's moving statistics: match by name.
  const byName = new Map(layer.weights.map((v) => [v.originalName.split("/").pop() as string, v]));
  const vShape = byName.get("vertical_kernel")!.shape as number[];
  const hShape = byName.get("horizontal_kernel")!.shape as number[];
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(decomposition.vertical.shape, vShape) || !same(decomposition.horizontal.shape, hShape)) {
    throw new Error(
      `LowRankConv2D '${layer.name}' has vertical [${vShape.join(", ")}] and horizontal [${hShape.join(", ")}] kernels, ` +
        `but the decomposition has [${decomposition.vertical.shape.join(", ")}] and [${decomposition.horizontal.shape.join(", ")}].`,
    );
  }
  const N = layer.filters;
  if (bias !== undefined && bias.length !== N) {
    throw new Error(`LowRankConv2D '${layer.name}' has ${N} filters but the bias has ${bias.length} values.`);
  }
  if (bias !== undefined && !layer.useBias) {
    throw new Error(`LowRankConv2D '${layer.name}' has useBias = false but a bias was given: build it with useBias: true.`);
  }
  const values = tf.tidy(() => {
    const channels = layer.bn === "between" ? layer.rank : N;
    const byWeight: Record<string, tf.Tensor> = {
      vertical_kernel: tf.tensor(Float32Array.from(decomposition.vertical.data), vShape),
      horizontal_kernel: tf.tensor(Float32Array.from(decomposition.horizontal.data), hShape),
      bias: bias ? tf.tensor1d(Float32Array.from(bias)) : tf.zeros([N]),
      bn_gamma: tf.ones([channels]),
      bn_beta: tf.zeros([channels]),
      bn_moving_mean: tf.zeros([channels]),
      bn_moving_variance: tf.fill([channels], 1 - layer.bnEpsilon),
    };
    return layer.weights.map((v) => {
      const t = byWeight[v.originalName.split("/").pop() as string];
      if (!t) throw new Error(`LowRankConv2D '${layer.name}': unexpected weight '${v.originalName}'.`);
      return t;
    });
  });
  try {
    layer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
