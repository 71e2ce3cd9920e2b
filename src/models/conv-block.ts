import * as tf from "@tensorflow/tfjs";

/** What ConvNetBuilder asks a ConvFactory for: one conv of the architecture, with its input size. */
export interface ConvRequest {
  name: string;
  /** Input feature map [height, width, channels]. */
  input: [number, number, number];
  filters: number;
  kernelSize: number;
  strides: number;
  padding: "same" | "valid";
  /** The architecture puts a BN layer after this conv. */
  batchNorm: boolean;
  initializer: tf.serialization.Serializable;
  bnMomentum: number;
}

/**
 * Builds some convs of an architecture differently (e.g. low-rank: lowRankConvs in src/lowrank), so
 * models need not know how. `build` returns undefined to keep the dense Conv2D; `ownBatchNorm` says the
 * layer normalises itself, so the architecture's BN layer after it is left out.
 */
export interface ConvFactory {
  build(request: ConvRequest): { layer: tf.layers.Layer; ownBatchNorm: boolean } | undefined;
  /** Called once the model is built, with every conv's name and kernel size: refuse names it does not have. */
  finish(modelName: string, convs: { name: string; kernelSize: number }[]): void;
}

export interface ConvOptions {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: "same" | "valid";
  /** Add a BN layer (or the pair's own BN) after the conv. */
  batchNorm: boolean;
  /** "relu" adds a ReLU layer `${name}_relu`; "linear" none. */
  activation: "relu" | "linear";
}

/**
 * Moving-average momentum of every BN layer: 0.9 (PyTorch's 0.1) rather than Keras's 0.99, so the
 * inference statistics settle within the few hundred steps of a quick run.
 */
export const BN_MOMENTUM = 0.9;

/**
 * Makes the layers of one conv block — conv (or the conv factory's replacement) → BN → ReLU — with
 * per-layer seeded initialisers, and remembers every conv so the factory can check the names it was
 * given. Shared by the Sequential and the functional builder.
 */
class ConvBlockMaker {
  readonly convs: { name: string; kernelSize: number }[] = [];
  private seedCounter: number;

  constructor(private readonly convFactory?: ConvFactory, seed?: number) {
    this.seedCounter = seed ?? Number.NaN;
  }

  /** He-normal initialiser, seeded per layer when the model was given a seed (reproducible inits). */
  initializer(): ReturnType<typeof tf.initializers.heNormal> {
    if (Number.isNaN(this.seedCounter)) return tf.initializers.heNormal({});
    return tf.initializers.heNormal({ seed: this.seedCounter++ });
  }

  /** The block's layers in order: `name`, `${name}_bn`, `${name}_relu`; low-rank where the factory says. */
  layers(name: string, input: [number, number, number], o: ConvOptions): tf.layers.Layer[] {
    if (this.convs.some((c) => c.name === name)) throw new Error(`Two convs are named '${name}': conv names must be unique.`);
    this.convs.push({ name, kernelSize: o.kernelSize });
    const common = { filters: o.filters, kernelSize: o.kernelSize, strides: o.strides ?? 1, padding: o.padding ?? "same", name };
    const initializer = this.initializer();
    const built = this.convFactory?.build({ ...common, input, batchNorm: o.batchNorm, initializer, bnMomentum: BN_MOMENTUM });
    const bnDone = built?.ownBatchNorm ?? false;
    const out: tf.layers.Layer[] = [built?.layer ?? tf.layers.conv2d({ ...common, useBias: !o.batchNorm, kernelInitializer: initializer })];
    if (o.batchNorm && !bnDone) out.push(tf.layers.batchNormalization({ name: `${name}_bn`, momentum: BN_MOMENTUM }));
    // LeakyReLU with alpha 0 is ReLU. Chosen when TF.js's Relu gradient was the slower of the two; both
    // now run one native kernel on tfjs-node (src/backend), and the layer stays for saved models' sake.
    if (o.activation === "relu") out.push(tf.layers.leakyReLU({ alpha: 0, name: `${name}_relu` }));
    return out;
  }

  finish(modelName: string): void {
    this.convFactory?.finish(modelName, this.convs);
  }
}

function checkInputShape(inputShape: [number, number, number]): void {
  if (inputShape.length !== 3 || inputShape.some((d) => !(Number.isInteger(d) && d >= 1))) {
    throw new Error(`inputShape must be [height, width, channels] of positive integers, got [${inputShape.join(", ")}].`);
  }
}

/**
 * Builds a Sequential CNN layer by layer, tracking the feature-map shape so a conv factory (e.g. a
 * low-rank one) knows each conv's input size; `finish()` lets the factory check the names it was given.
 */
export class ConvNetBuilder {
  readonly model: tf.Sequential;
  private readonly maker: ConvBlockMaker;

  constructor(
    name: string,
    private readonly inputShape: [number, number, number],
    convFactory?: ConvFactory,
    seed?: number,
  ) {
    checkInputShape(inputShape);
    this.model = tf.sequential({ name });
    this.model.add(tf.layers.inputLayer({ inputShape, name: `${name}_input` }));
    this.maker = new ConvBlockMaker(convFactory, seed);
  }

  /** Current feature-map shape [h, w, c]. */
  get shape(): [number, number, number] {
    const s = this.model.outputs[0]?.shape ?? [null, ...this.inputShape];
    return [s[1] as number, s[2] as number, s[3] as number];
  }

  /** He-normal initialiser, seeded per layer when the model was given a seed (reproducible inits). */
  initializer(): ReturnType<typeof tf.initializers.heNormal> {
    return this.maker.initializer();
  }

  add(layer: tf.layers.Layer): this {
    this.model.add(layer);
    return this;
  }

  /** conv → (BN) → (ReLU), named `name`, `${name}_bn`, `${name}_relu`; low-rank where lowRank says. */
  conv(name: string, o: ConvOptions): this {
    for (const layer of this.maker.layers(name, this.shape, o)) this.model.add(layer);
    return this;
  }

  /** The model; the conv factory may refuse names this architecture does not have. */
  finish(): tf.Sequential {
    this.maker.finish(this.model.name);
    return this.model;
  }
}

/**
 * The functional counterpart of ConvNetBuilder, for architectures with branches (residual adds,
 * Inception's concatenations): `conv(name, x, …)` applies a conv block to a symbolic tensor and
 * returns its output; `finish(output)` makes the model.
 */
export class ConvGraphBuilder {
  readonly input: tf.SymbolicTensor;
  private readonly maker: ConvBlockMaker;

  constructor(
    private readonly name: string,
    inputShape: [number, number, number],
    convFactory?: ConvFactory,
    seed?: number,
  ) {
    checkInputShape(inputShape);
    this.input = tf.input({ shape: inputShape, name: `${name}_input` });
    this.maker = new ConvBlockMaker(convFactory, seed);
  }

  initializer(): ReturnType<typeof tf.initializers.heNormal> {
    return this.maker.initializer();
  }

  /** conv → (BN) → (ReLU) applied to `x`. */
  conv(name: string, x: tf.SymbolicTensor, o: ConvOptions): tf.SymbolicTensor {
    const shape = x.shape;
    if (shape.length !== 4 || shape.slice(1).some((d) => d == null)) {
      throw new Error(`conv '${name}' needs a fixed [batch, h, w, c] input, got [${shape.join(", ")}].`);
    }
    let y = x;
    for (const layer of this.maker.layers(name, shape.slice(1) as [number, number, number], o)) y = layer.apply(y) as tf.SymbolicTensor;
    return y;
  }

  /** Any other layer, on one input or several (add, concatenate). */
  apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
    return layer.apply(x) as tf.SymbolicTensor;
  }

  /** The model from the input to `output`; the conv factory may refuse names this architecture does not have. */
  finish(output: tf.SymbolicTensor): tf.LayersModel {
    this.maker.finish(this.name);
    return tf.model({ inputs: this.input, outputs: output, name: this.name });
  }
}
