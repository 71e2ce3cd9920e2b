/**
 * How a method's factors become TF.js layers (the per-framework half; the maths is in factorization.ts).
 * One builder per method: a new method adds its layer class and one entry in LAYER_BUILDERS.
 */
import * as tf from "@tensorflow/tfjs";
import type { FactorizationMethod, FactorizedKernel, Rank } from "./factorization";
import { LowRankConv2D, lowRankConv2D, setLowRankWeights, type LowRankConv2DConfig } from "./lowrank-conv2d";
import { cp, jaderberg, pointwiseSvd, tai, tucker2 } from "./methods";
import { CpConv2D, setCpWeights } from "./cp-conv2d";
import { LowRankDense, setLowRankDenseWeights } from "./lowrank-dense";
import { setTucker2Weights, Tucker2Conv2D } from "./tucker2-conv2d";
import type { BnPlacement } from "./plan";

type LayerConfig = tf.serialization.ConfigDict;

/** A new conv of a network built low-rank from scratch. */
export interface FreshConvConfig {
  name: string;
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: "same" | "valid";
  useBias: boolean;
  rank: Rank;
  bn: BnPlacement;
  bnMomentum?: number;
  kernelInitializer?: LowRankConv2DConfig["kernelInitializer"];
}

export interface LayerBuilder {
  method: FactorizationMethod;
  /** Classes of the layers it builds: cost counting and "already decomposed" checks know them by these. */
  classNames: readonly string[];
  /** The BN placements its layers can hold (plan.bn); "none" always. */
  batchNorms: readonly BnPlacement[];
  /** Keras config of the layer replacing a Conv2D (same name, hence the same inbound connections). */
  replacementConfig(conv: LayerConfig, rank: Rank, bn: BnPlacement): { className: string; config: LayerConfig };
  /** Load the factors (and the original bias) into a built replacement: predictions equal W̃'s conv. */
  setWeights(layer: tf.layers.Layer, factored: FactorizedKernel, bias?: Float32Array): void;
  /** A fresh replacement layer, for networks trained from scratch. */
  createLayer(config: FreshConvConfig): tf.layers.Layer;
  /** The rank stored in a built replacement layer. */
  rankOf(layer: tf.layers.Layer): Rank;
}

const taiLayers: LayerBuilder = {
  method: tai,
  classNames: [LowRankConv2D.className],
  batchNorms: ["none", "between", "after"],
  replacementConfig(conv: LayerConfig, rank: Rank, bn: BnPlacement) {
    const config = { ...replacedConvFields(conv), rank: rank as number, bn, kernelRegularizer: conv.kernelRegularizer, biasRegularizer: conv.biasRegularizer };
    return { className: LowRankConv2D.className, config };
  },
  setWeights(layer: tf.layers.Layer, factored: FactorizedKernel, bias?: Float32Array): void {
    const { vertical, horizontal } = factored.factors;
    setLowRankWeights(layer as LowRankConv2D, { vertical, horizontal }, bias);
  },
  createLayer(c: FreshConvConfig): tf.layers.Layer {
    return lowRankConv2D({ ...c, rank: c.rank as number });
  },
  rankOf(layer: tf.layers.Layer): Rank {
    const rank = (layer.getConfig() as Record<string, unknown>).rank;
    if (typeof rank !== "number" || !Number.isInteger(rank) || rank < 1) {
      throw new Error(`Layer '${layer.name}' (${layer.getClassName()}) has no valid 'rank' in its config (got ${String(rank)}).`);
    }
    return rank;
  },
};

/**
 * The replaced layer's own fields a replacement takes: `keys`, and its name (hence the same inbound
 * connections), trainability, bias, activation, initialisers, input shape and dtype.
 */
function replacedFields(layer: LayerConfig, keys: readonly string[]): LayerConfig {
  const config: LayerConfig = {};
  for (const k of ["name", "trainable", ...keys, "useBias", "activation", "kernelInitializer", "biasInitializer"]) config[k] = layer[k];
  if (layer.batchInputShape != null) config.batchInputShape = layer.batchInputShape;
  if (layer.dtype != null) config.dtype = layer.dtype;
  return config;
}

/** The replaced Conv2D's fields every replacement conv takes. */
const replacedConvFields = (conv: LayerConfig): LayerConfig => replacedFields(conv, ["filters", "kernelSize", "strides", "padding"]);

/** The replacement config of a layer that holds no BN (tucker2, cp): the conv's own fields and the rank. */
function withoutOwnBn(conv: LayerConfig, className: string, rank: number | number[], bn: BnPlacement): { className: string; config: LayerConfig } {
  if (bn !== "none") throw new Error(`${className} layers have no batch norm of their own (bn '${bn}'): use bn 'none' — a BN after the conv stays where it is.`);
  return { className, config: { ...replacedConvFields(conv), rank } };
}

const tucker2Layers: LayerBuilder = {
  method: tucker2,
  classNames: [Tucker2Conv2D.className],
  batchNorms: ["none"],
  replacementConfig: (conv: LayerConfig, rank: Rank, bn: BnPlacement) => withoutOwnBn(conv, Tucker2Conv2D.className, [...(rank as readonly number[])], bn),
  setWeights(layer: tf.layers.Layer, factored: FactorizedKernel, bias?: Float32Array): void {
    const { first, core, last } = factored.factors;
    setTucker2Weights(layer as Tucker2Conv2D, { first, core, last }, bias);
  },
  createLayer(c: FreshConvConfig): tf.layers.Layer {
    if (c.bn !== "none") throw new Error(`tucker2 layers have no batch norm of their own (bn '${c.bn}'): build with bn 'none' — the architecture's BN after the conv stays.`);
    const { bn: _bn, bnMomentum: _m, ...rest } = c;
    return new Tucker2Conv2D({ ...rest, rank: [...(c.rank as readonly number[])] as [number, number] });
  },
  rankOf(layer: tf.layers.Layer): Rank {
    const rank = (layer.getConfig() as Record<string, unknown>).rank;
    if (!Array.isArray(rank) || rank.length !== 2) throw new Error(`Layer '${layer.name}' (${layer.getClassName()}) has no valid [R1, R2] 'rank' in its config (got ${JSON.stringify(rank)}).`);
    return rank as [number, number];
  },
};

const cpLayers: LayerBuilder = {
  method: cp,
  classNames: [CpConv2D.className],
  batchNorms: ["none"],
  replacementConfig: (conv: LayerConfig, rank: Rank, bn: BnPlacement) => withoutOwnBn(conv, CpConv2D.className, rank as number, bn),
  setWeights(layer: tf.layers.Layer, factored: FactorizedKernel, bias?: Float32Array): void {
    const { first, vertical, horizontal, last } = factored.factors;
    setCpWeights(layer as CpConv2D, { first, vertical, horizontal, last }, bias);
  },
  createLayer(c: FreshConvConfig): tf.layers.Layer {
    if (c.bn !== "none") throw new Error(`cp layers have no batch norm of their own (bn '${c.bn}'): build with bn 'none' — the architecture's BN after the conv stays.`);
    const { bn: _bn, bnMomentum: _m, ...rest } = c;
    return new CpConv2D({ ...rest, rank: c.rank as number });
  },
  rankOf: (layer: tf.layers.Layer) => taiLayers.rankOf(layer),
};

/** A replaced layer's config is a Dense layer's (units, no filters). */
const isDenseConfig = (config: LayerConfig): boolean => typeof config.units === "number";

/** svd: a 1×1 conv becomes Tai's pair with 1×1 taps, a Dense layer a LowRankDense. */
const svdLayers: LayerBuilder = {
  ...taiLayers,
  method: pointwiseSvd,
  classNames: [LowRankConv2D.className, LowRankDense.className],
  replacementConfig(layer: LayerConfig, rank: Rank, bn: BnPlacement) {
    if (!isDenseConfig(layer)) return taiLayers.replacementConfig(layer, rank, bn);
    if (bn !== "none") throw new Error(`LowRankDense layers have no batch norm of their own (bn '${bn}'): use bn 'none' for Dense layers.`);
    const config = { ...replacedFields(layer, ["units"]), rank: rank as number, kernelRegularizer: layer.kernelRegularizer, biasRegularizer: layer.biasRegularizer };
    return { className: LowRankDense.className, config };
  },
  setWeights(layer: tf.layers.Layer, factored: FactorizedKernel, bias?: Float32Array): void {
    if (!(layer instanceof LowRankDense)) return taiLayers.setWeights(layer, factored, bias);
    setLowRankDenseWeights(layer, { first: factored.factors.vertical, second: factored.factors.horizontal }, bias);
  },
};

/**
 * Every method's layer builder, by method name. Jaderberg's fit has Tai's structure, so it builds the
 * same layer; so do svd's two 1×1 convs (Tai's pair with 1×1 taps).
 */
export const LAYER_BUILDERS: Readonly<Record<string, LayerBuilder>> = { tai: taiLayers, jaderberg: { ...taiLayers, method: jaderberg }, svd: svdLayers, tucker2: tucker2Layers, cp: cpLayers };

/** The builder of `method`. */
export function layerBuilder(method: FactorizationMethod): LayerBuilder {
  const b = LAYER_BUILDERS[method.name];
  if (!b) throw new Error(`Decomposition method '${method.name}' has no TF.js layer builder yet.`);
  return b;
}

/** The builder whose layers include this class (e.g. LowRankConv2D → tai), or undefined for other layers. */
export function builderForLayer(layer: tf.layers.Layer): LayerBuilder | undefined {
  const cls = layer.getClassName();
  return Object.values(LAYER_BUILDERS).find((b) => b.classNames.includes(cls));
}

/** Class names of every method's replacement layers. */
export function replacementClassNames(): string[] {
  return [...new Set(Object.values(LAYER_BUILDERS).flatMap((b) => [...b.classNames]))];
}
