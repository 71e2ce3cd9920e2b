import * as tf from "@tensorflow/tfjs";
import { lowRankConv2D, maxRank, rankForSpeedup, type BnPlacement, type ConvSpec } from "../lowrank";

export type { BnPlacement };

/**
 * Build the zoo's d×d convs (d > 1) as LowRankConv2D pairs instead of dense Conv2D:
 * - `ranks`: exactly these layers, with these ranks (others stay dense);
 * - `speedup`: every eligible layer (or those in `layers`) at the largest rank whose theoretical
 *   conv speedup is ≥ the target (rankForSpeedup).
 * `bn` (default "after", as in the authors' released low-rank models): with "after" the pair's own
 * BN takes the place of the model's BN layer after that conv (and adds one where the model has none:
 * BN is what lets low-rank nets train from scratch); with "between" or "none" the model's BN layer (if
 * it has one) stays after the pair, so "between" puts a BN after both V and H.
 */
export interface LowRankOption {
  ranks?: Record<string, number>;
  speedup?: number;
  layers?: string[];
  bn?: BnPlacement;
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

function checkLowRank(o: LowRankOption): void {
  const given = (o.ranks ? 1 : 0) + (o.speedup !== undefined ? 1 : 0);
  if (given !== 1) throw new Error("lowRank needs exactly one of `ranks` ({ layerName: K }) or `speedup` (e.g. 2).");
  if (o.speedup !== undefined && !(o.speedup > 1)) throw new Error(`lowRank.speedup must be > 1, got ${o.speedup}.`);
  if (o.ranks && o.layers) throw new Error("lowRank.layers only restricts a `speedup` rule; with `ranks`, name the layers in ranks.");
  for (const [name, k] of Object.entries(o.ranks ?? {})) {
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`lowRank.ranks['${name}'] must be an integer ≥ 1, got ${k}.`);
  }
  if (o.bn !== undefined && !["none", "between", "after"].includes(o.bn)) {
    throw new Error(`lowRank.bn must be "none", "between" or "after", got '${o.bn}'.`);
  }
}

/**
 * Builds a Sequential CNN layer by layer, tracking the feature-map shape so a `speedup` rule can pick
 * each low-rank layer's rank from its cost; `finish()` checks every layer named in `ranks` was built.
 */
export class ConvNetBuilder {
  readonly model: tf.Sequential;
  private readonly used = new Set<string>();
  private readonly convNames: string[] = [];
  private seedCounter: number;

  constructor(
    name: string,
    private readonly inputShape: [number, number, number],
    private readonly lowRank?: LowRankOption,
    seed?: number,
  ) {
    if (inputShape.length !== 3 || inputShape.some((d) => !(Number.isInteger(d) && d >= 1))) {
      throw new Error(`inputShape must be [height, width, channels] of positive integers, got [${inputShape.join(", ")}].`);
    }
    if (lowRank) checkLowRank(lowRank);
    this.model = tf.sequential({ name });
    this.model.add(tf.layers.inputLayer({ inputShape, name: `${name}_input` }));
    this.seedCounter = seed ?? Number.NaN;
  }

  /** Current feature-map shape [h, w, c]. */
  get shape(): [number, number, number] {
    const s = this.model.outputs[0]?.shape ?? [null, ...this.inputShape];
    return [s[1] as number, s[2] as number, s[3] as number];
  }

  /** He-normal initialiser, seeded per layer when the model was given a seed (reproducible inits). */
  initializer(): ReturnType<typeof tf.initializers.heNormal> {
    if (Number.isNaN(this.seedCounter)) return tf.initializers.heNormal({});
    return tf.initializers.heNormal({ seed: this.seedCounter++ });
  }

  add(layer: tf.layers.Layer): this {
    this.model.add(layer);
    return this;
  }

  /** Rank for this conv if it is to be low-rank, else undefined. */
  private rankFor(name: string, o: ConvOptions): number | undefined {
    const lr = this.lowRank;
    if (!lr) return undefined;
    if (lr.ranks) {
      if (!(name in lr.ranks)) return undefined;
      if (o.kernelSize <= 1) {
        throw new Error(`lowRank.ranks names '${name}', a 1×1 conv: only d×d convs with d > 1 have a vertical/horizontal decomposition.`);
      }
      const [, , inC] = this.shape;
      const limit = maxRank({ inC, outC: o.filters, kh: o.kernelSize, kw: o.kernelSize });
      if (lr.ranks[name] > limit) {
        throw new Error(
          `lowRank.ranks['${name}'] = ${lr.ranks[name]} is above the full rank ${limit} of this ${o.kernelSize}×${o.kernelSize} conv ${inC}→${o.filters}: use 1..${limit}.`,
        );
      }
      return lr.ranks[name];
    }
    if (lr.layers && !lr.layers.includes(name)) return undefined;
    if (o.kernelSize <= 1) {
      if (lr.layers) throw new Error(`lowRank.layers names '${name}', a 1×1 conv: only d×d convs with d > 1 can be low-rank.`);
      return undefined;
    }
    const [inH, inW, inC] = this.shape;
    const s = o.strides ?? 1;
    const spec: ConvSpec = { inH, inW, inC, outC: o.filters, kh: o.kernelSize, kw: o.kernelSize, strideH: s, strideW: s, padding: o.padding ?? "same" };
    return rankForSpeedup(spec, lr.speedup as number);
  }

  /** conv → (BN) → (ReLU), named `name`, `${name}_bn`, `${name}_relu`; low-rank where lowRank says. */
  conv(name: string, o: ConvOptions): this {
    this.convNames.push(name);
    const rank = this.rankFor(name, o);
    const common = { filters: o.filters, kernelSize: o.kernelSize, strides: o.strides ?? 1, padding: o.padding ?? "same", name };
    let bnDone = false;
    if (rank !== undefined) {
      this.used.add(name);
      const bn = this.lowRank?.bn ?? "after";
      bnDone = bn === "after";
      const useBias = !(o.batchNorm || bnDone);
      this.model.add(lowRankConv2D({ ...common, rank, useBias, bn, bnMomentum: BN_MOMENTUM, kernelInitializer: this.initializer() }));
    } else {
      this.model.add(tf.layers.conv2d({ ...common, useBias: !o.batchNorm, kernelInitializer: this.initializer() }));
    }
    if (o.batchNorm && !bnDone) this.model.add(tf.layers.batchNormalization({ name: `${name}_bn`, momentum: BN_MOMENTUM }));
    // LeakyReLU with alpha 0 is ReLU. Chosen when TF.js's Relu gradient was the slower of the two; both
    // now run one native kernel on tfjs-node (src/backend), and the layer stays for saved models' sake.
    if (o.activation === "relu") this.model.add(tf.layers.leakyReLU({ alpha: 0, name: `${name}_relu` }));
    return this;
  }

  /** The model; errors if `ranks` named a layer this architecture does not have. */
  finish(): tf.Sequential {
    const unknown = Object.keys(this.lowRank?.ranks ?? {}).filter((n) => !this.used.has(n));
    const unknownLayers = (this.lowRank?.layers ?? []).filter((n) => !this.convNames.includes(n));
    const bad = [...unknown, ...unknownLayers];
    if (bad.length) {
      throw new Error(`lowRank names unknown layer(s) ${bad.map((n) => `'${n}'`).join(", ")} in ${this.model.name}: its convs are ${this.convNames.join(", ")}.`);
    }
    return this.model;
  }
}
