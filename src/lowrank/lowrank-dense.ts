import * as tf from "@tensorflow/tfjs";
import type { HostKernel } from "./host-kernel";
import { InitializerLike, layerSettings, type LayerSettings, serializeObject } from "./tf-objects";

type Shape = (number | null)[];

export interface LowRankDenseConfig {
  name?: string;
  trainable?: boolean;
  /** N: outputs, as the replaced Dense layer's units. */
  units: number;
  /** K: the width between the two matrices. */
  rank: number;
  useBias?: boolean;
  activation?: string;
  kernelInitializer?: InitializerLike;
  biasInitializer?: InitializerLike;
  /** Regulariser of both matrices. */
  kernelRegularizer?: InitializerLike | null;
  biasRegularizer?: InitializerLike | null;
  batchInputShape?: Shape;
  dtype?: tf.DataType;
}

/** Activations tf.fused.matMul applies itself. */
const FUSABLE = new Set(["linear", "relu", "relu6", "elu", "sigmoid"]);

/**
 * A Dense layer C→N factored by truncated SVD as C→K then K→N, nothing in between: y = act(x·A·B + b),
 * A [C, K] = U_K·√S_K, B [K, N] = √S_K·V_Kᵀ. Like tf.layers.dense it acts on the last axis of an input of
 * any rank ≥ 2. Weights, in order: first_kernel [C, K], second_kernel [K, N], bias [N].
 * Cost per position: K·(C + N) multiply-adds instead of C·N. The deploy form (inference-model.ts)
 * splits it into two standard Dense layers.
 */
export class LowRankDense extends tf.layers.Layer {
  static className = "LowRankDense";

  readonly units: number;
  readonly rank: number;
  readonly useBias: boolean;
  /** Activation, initialisers and regularisers, with Keras's defaults (tf-objects.ts). */
  protected readonly settings: LayerSettings;
  get activationName(): string {
    return this.settings.activationName;
  }
  private firstKernel?: tf.LayerVariable;
  private secondKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(config: LowRankDenseConfig) {
    super(config as ConstructorParameters<typeof tf.layers.Layer>[0]);
    const name = config?.name ?? this.name;
    if (!config || !Number.isInteger(config.units) || config.units < 1) {
      throw new Error(`LowRankDense '${name}': units must be a positive integer, got ${config?.units}.`);
    }
    if (!Number.isInteger(config.rank) || config.rank < 1) {
      throw new Error(`LowRankDense '${name}': rank must be a positive integer, got ${config.rank}.`);
    }
    this.units = config.units;
    this.rank = config.rank;
    this.useBias = config.useBias ?? true;
    this.settings = layerSettings(config, `LowRankDense '${name}'`);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const inputs = shape[shape.length - 1];
    if (shape.length < 2 || inputs == null) {
      throw new Error(`LowRankDense '${this.name}' needs an input of rank ≥ 2 with a known last axis, got shape ${JSON.stringify(shape)}.`);
    }
    type AddWeight = Parameters<tf.layers.Layer["addWeight"]>;
    const kInit = this.settings.kernelInitializer as unknown as AddWeight[3];
    const kReg = this.settings.kernelRegularizer as unknown as AddWeight[4];
    this.firstKernel = this.addWeight("first_kernel", [inputs, this.rank], "float32", kInit, kReg, true);
    this.secondKernel = this.addWeight("second_kernel", [this.rank, this.units], "float32", kInit, kReg, true);
    if (this.useBias) {
      this.bias = this.addWeight("bias", [this.units], "float32", this.settings.biasInitializer as unknown as AddWeight[3], this.settings.biasRegularizer as unknown as AddWeight[4], true);
    }
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: inputs } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      const c = x.shape[x.shape.length - 1];
      const flat = x.rank === 2 ? (x as tf.Tensor2D) : x.reshape([-1, c]);
      const fuse = FUSABLE.has(this.settings.activationName);
      let y: tf.Tensor = tf.fused.matMul({
        a: tf.matMul(flat as tf.Tensor2D, this.firstKernel!.read() as tf.Tensor2D),
        b: this.secondKernel!.read() as tf.Tensor2D,
        bias: this.useBias ? this.bias!.read() : undefined,
        activation: (fuse ? this.settings.activationName : "linear") as "linear",
      });
      if (!fuse) y = this.settings.activationLayer.apply(y) as tf.Tensor;
      return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      units: this.units,
      rank: this.rank,
      useBias: this.useBias,
      activation: this.settings.activationName,
      kernelInitializer: serializeObject(this.settings.kernelInitializer),
      biasInitializer: serializeObject(this.settings.biasInitializer),
      kernelRegularizer: serializeObject(this.settings.kernelRegularizer),
      biasRegularizer: serializeObject(this.settings.biasRegularizer),
    };
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(LowRankDense);

/**
 * Load the svd method's factors (1×1 kernels [1, 1, C, K] and [1, 1, K, N], the layouts of [C, K] and
 * [K, N]) and the original bias into a built LowRankDense; without `bias` the bias is zero.
 */
export function setLowRankDenseWeights(layer: LowRankDense, factors: { first: HostKernel; second: HostKernel }, bias?: Float32Array): void {
  if (!(layer instanceof LowRankDense)) throw new Error("setLowRankDenseWeights expects a LowRankDense layer.");
  if (!layer.built) throw new Error(`LowRankDense '${layer.name}' is not built yet: add it to a model before setting weights.`);
  const [first, second] = layer.weights.slice(0, 2).map((v) => v.shape as number[]);
  const count = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
  const fits = (h: HostKernel, s: number[]) => count(h.shape) === count(s) && h.shape[h.shape.length - 1] === s[1];
  if (!fits(factors.first, first) || !fits(factors.second, second)) {
    throw new Error(
      `LowRankDense '${layer.name}' has matrices [${first.join(", ")}] and [${second.join(", ")}], ` +
        `but the factors are [${factors.first.shape.join(", ")}] and [${factors.second.shape.join(", ")}].`,
    );
  }
  if (bias !== undefined && (bias.length !== layer.units || !layer.useBias)) {
    throw new Error(`LowRankDense '${layer.name}' (${layer.units} units, useBias ${layer.useBias}) cannot take a bias of ${bias.length} values.`);
  }
  const values = [
    tf.tensor(Float32Array.from(factors.first.data), first),
    tf.tensor(Float32Array.from(factors.second.data), second),
    ...(layer.useBias ? [bias ? tf.tensor1d(bias) : tf.zeros([layer.units])] : []),
  ];
  try {
    layer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
