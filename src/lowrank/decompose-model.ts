import * as tf from "@tensorflow/tfjs";
import { ConvSpec, convCost, lowRankCost, maxRank } from "./cost";
import { Decomposition, factorizeKernel, kernelEnergy, KernelFactorization } from "./decompose";
import { HostKernel } from "./host-kernel";
import { BnPlacement, BN_PLACEMENTS, LowRankConv2D, setLowRankWeights } from "./lowrank-conv2d";
import { checkEnergyFraction, rankForEnergy, rankForSpeedup } from "./rank-selection";

/** Which Conv2D layers to decompose and at which rank. */
export type DecompositionPlan = (
  | { /** Explicit rank per layer name. */ ranks: Record<string, number> }
  | { /** Keep this fraction of each layer's Σσ² (rankForEnergy). */ energy: number }
  | { /** Largest rank with at least this theoretical speedup per layer (rankForSpeedup). */ speedup: number }
) & {
  /** Restrict to these layers (rule-based plans: decompose exactly these). */
  layers?: string[];
  /** BN in the new layers; default "none" keeps predictions exact. */
  bn?: BnPlacement;
};

export interface LayerDecompositionReport {
  name: string;
  rank: number;
  /** min(C·kh, N·kw): the full rank. */
  maxRank: number;
  /** HWIO shape of the original kernel. */
  kernelShape: [number, number, number, number];
  singularValues: Float64Array;
  /** ‖W − W̃‖²_F = Σ of the discarded σ². */
  residual: number;
  /** ‖W‖²_F = Σσ². */
  energy: number;
  /** ‖W − W̃‖_F / ‖W‖_F. */
  relativeError: number;
  /** Dense conv MACs per image (cost.ts; per output pixel at stride 1 if the input size is not fixed). */
  originalMacs: number;
  /** Vertical + horizontal MACs per image, same convention. */
  lowRankMacs: number;
  /** originalMacs / lowRankMacs. */
  theoreticalSpeedup: number;
}

export interface ModelDecomposition {
  model: tf.LayersModel;
  layers: LayerDecompositionReport[];
}

type LayerConfig = tf.serialization.ConfigDict;

/** Why a layer cannot be decomposed, or null when it is an eligible Conv2D (kh > 1 or kw > 1). */
function ineligibility(layer: tf.layers.Layer): string | null {
  const cls = layer.getClassName();
  switch (cls) {
    case "Conv2D":
      break;
    case "LowRankConv2D":
      return "it is already a LowRankConv2D";
    case "DepthwiseConv2D":
      return "depthwise convolutions have one filter per input channel (no C×N kernel matrix to factor)";
    case "SeparableConv2D":
      return "separable convolutions are already factored (depthwise + pointwise)";
    case "Conv2DTranspose":
      return "transposed convolutions are not supported";
    default:
      return `it is a ${cls}, not a Conv2D`;
  }
  const config = layer.getConfig();
  const dilation = config.dilationRate as number | number[] | undefined;
  const dilations = dilation == null ? [1] : Array.isArray(dilation) ? dilation : [dilation];
  if (dilations.some((d) => d !== 1)) return `dilated convolutions (dilationRate ${JSON.stringify(dilation)}) are not supported`;
  if (config.dataFormat != null && config.dataFormat !== "channelsLast") {
    return `only channelsLast (NHWC) is supported, got ${String(config.dataFormat)}`;
  }
  if (config.groups != null && config.groups !== 1) return `grouped convolutions (groups ${String(config.groups)}) are not supported`;
  return null;
}

function kernelOf(layer: tf.layers.Layer): HostKernel {
  const kernel = layer.getWeights()[0];
  const shape = kernel.shape as [number, number, number, number];
  return { data: kernel.dataSync() as Float32Array, shape };
}

function isPointwise(layer: tf.layers.Layer): boolean {
  const ks = layer.getConfig().kernelSize as number | number[];
  const [kh, kw] = Array.isArray(ks) ? ks : [ks, ks];
  return kh === 1 && kw === 1;
}

/** The layer's ConvSpec, or null when its input height/width are not fixed. */
function specOf(layer: tf.layers.Layer): ConvSpec | null {
  const shapes = layer.inboundNodes[0]?.inputShapes;
  const inputShape = (Array.isArray(shapes?.[0]) ? shapes?.[0] : shapes) as (number | null)[] | undefined;
  const config = layer.getConfig();
  const [kh, kw, C, N] = layer.getWeights()[0].shape;
  const s = config.strides as number | number[];
  const [strideH, strideW] = Array.isArray(s) ? s : [s, s];
  if (!Array.isArray(inputShape) || inputShape[1] == null || inputShape[2] == null) return null;
  return {
    inH: inputShape[1],
    inW: inputShape[2],
    inC: C,
    outC: N,
    kh,
    kw,
    strideH,
    strideW,
    padding: config.padding as "same" | "valid",
    bias: Boolean(config.useBias),
  };
}

/** Dense and low-rank MACs per image (per output pixel at stride 1 when the input size is not fixed). */
function macsOf(layer: tf.layers.Layer, rank: number): { originalMacs: number; lowRankMacs: number } {
  const spec = specOf(layer);
  if (spec) return { originalMacs: convCost(spec).macs, lowRankMacs: lowRankCost(spec, rank).macs };
  const [kh, kw, C, N] = layer.getWeights()[0].shape;
  return { originalMacs: kh * kw * C * N, lowRankMacs: rank * (kh * C + kw * N) };
}

/** The layers of `model` that decomposeModel can factor: Conv2D, kh > 1 or kw > 1, dilation 1, NHWC. */
export function eligibleConvLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => ineligibility(l) === null && !isPointwise(l));
}

function checkPlan(plan: DecompositionPlan): void {
  if (!plan || typeof plan !== "object") throw new Error("A decomposition plan is required: { ranks }, { energy } or { speedup }.");
  const kinds = (["ranks", "energy", "speedup"] as const).filter((k) => k in plan && (plan as Record<string, unknown>)[k] !== undefined);
  if (kinds.length !== 1) {
    throw new Error(
      `A decomposition plan needs exactly one of 'ranks' ({ layerName: K }), 'energy' (fraction of Σσ² kept) or 'speedup' (per-layer target), got ${kinds.length ? kinds.join(" and ") : "none"}.`,
    );
  }
  if (plan.bn !== undefined && !BN_PLACEMENTS.includes(plan.bn)) {
    throw new Error(`Plan bn must be one of ${BN_PLACEMENTS.join(", ")}, got '${String(plan.bn)}'.`);
  }
  if (plan.layers !== undefined && !(Array.isArray(plan.layers) && plan.layers.every((n) => typeof n === "string"))) {
    throw new Error("Plan 'layers' must be an array of layer names.");
  }
}

/** Names (in model order) and ranks of the layers the plan decomposes; throws on named bad layers. */
function resolvePlan(model: tf.LayersModel, plan: DecompositionPlan): { layer: tf.layers.Layer; rank: number; factorization?: KernelFactorization }[] {
  checkPlan(plan);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const eligibleNames = () => eligibleConvLayers(model).map((l) => l.name).join(", ") || "none";
  const named = "ranks" in plan && plan.ranks ? Object.keys(plan.ranks).filter((n) => !plan.layers || plan.layers.includes(n)) : plan.layers;
  for (const name of named ?? []) {
    const layer = byName.get(name);
    if (!layer) throw new Error(`No layer named '${name}' in model '${model.name}'. Decomposable layers: ${eligibleNames()}.`);
    const why = ineligibility(layer);
    if (why) throw new Error(`Cannot decompose layer '${name}': ${why}.`);
    if (isPointwise(layer)) {
      throw new Error(
        `Cannot decompose layer '${name}': it is a 1×1 conv, which has no vertical/horizontal split. ` +
          "Use decomposePointwise(kernel, rank) for two 1×1 convs, or leave it out of the plan.",
      );
    }
  }
  const chosen = named
    ? model.layers.filter((l) => named.includes(l.name))
    : eligibleConvLayers(model);
  if (chosen.length === 0 && !named) {
    const convs = model.layers.filter((l) => /Conv/.test(l.getClassName()));
    const reasons = convs.map((l) => `'${l.name}': ${ineligibility(l) ?? "a 1×1 conv (no vertical/horizontal split)"}`);
    throw new Error(
      `No layer of model '${model.name}' can be decomposed${reasons.length ? ` (${reasons.join("; ")})` : ": it has no convolution"}. ` +
        "The method needs a Conv2D with a d×d kernel, d > 1.",
    );
  }
  return chosen.map((layer) => {
    const [kh, kw, C, N] = layer.getWeights()[0].shape;
    const limit = maxRank({ inC: C, outC: N, kh, kw });
    let rank: number;
    let factorization: KernelFactorization | undefined;
    if ("ranks" in plan && plan.ranks) {
      rank = plan.ranks[layer.name];
    } else if ("energy" in plan && plan.energy !== undefined) {
      checkEnergyFraction(plan.energy); // before any SVD
      factorization = factorizeKernel(kernelOf(layer)); // kept: the decomposition reuses it
      rank = rankForEnergy(factorization.singularValues, plan.energy);
    } else {
      const spec = specOf(layer);
      if (!spec) {
        throw new Error(`Layer '${layer.name}' has no fixed input height/width, so a speedup target cannot be turned into a rank: give { ranks }.`);
      }
      rank = rankForSpeedup(spec, (plan as { speedup: number }).speedup);
    }
    if (!Number.isInteger(rank) || rank < 1 || rank > limit) {
      throw new Error(
        `Rank for layer '${layer.name}' (${kh}×${kw} conv ${C}→${N}, kernel matrix ${C * kh}×${N * kw}) must be an integer in 1..${limit}, got ${rank}.`,
      );
    }
    return { layer, rank, factorization };
  });
}

/** Keras-style config of the LowRankConv2D replacing a Conv2D. */
function lowRankConfig(conv: LayerConfig, rank: number, bn: BnPlacement): LayerConfig {
  const out: LayerConfig = {
    name: conv.name,
    trainable: conv.trainable,
    filters: conv.filters,
    kernelSize: conv.kernelSize,
    rank,
    strides: conv.strides,
    padding: conv.padding,
    useBias: conv.useBias,
    activation: conv.activation,
    bn,
    kernelInitializer: conv.kernelInitializer,
    biasInitializer: conv.biasInitializer,
    kernelRegularizer: conv.kernelRegularizer,
    biasRegularizer: conv.biasRegularizer,
  };
  if (conv.batchInputShape != null) out.batchInputShape = conv.batchInputShape;
  if (conv.dtype != null) out.dtype = conv.dtype;
  return out;
}

/** Rebuild `model` with the given layers replaced; other layers get copies of their weights. */
function rebuild(model: tf.LayersModel, replace: Map<string, { rank: number; decomposition: Decomposition; bias?: Float32Array }>, bn: BnPlacement): tf.LayersModel {
  const config = JSON.parse(JSON.stringify(model.getConfig())) as { layers: { className: string; config: LayerConfig }[] };
  for (const entry of config.layers) {
    const name = entry.config.name as string;
    const r = replace.get(name);
    if (!r) continue;
    entry.className = LowRankConv2D.className;
    entry.config = lowRankConfig(entry.config, r.rank, bn);
  }
  const sequential = model instanceof tf.Sequential;
  const cls = (sequential ? tf.Sequential : tf.LayersModel) as unknown as tf.serialization.SerializableConstructor<tf.LayersModel> & {
    fromConfig: (cls: unknown, config: unknown, customObjects?: unknown, fastWeightInit?: boolean) => tf.LayersModel;
  };
  const fresh = cls.fromConfig(cls, config, {}, true);
  try {
    for (const layer of fresh.layers) {
      const r = replace.get(layer.name);
      if (r) {
        setLowRankWeights(layer as LowRankConv2D, r.decomposition, r.bias);
      } else {
        const weights = model.getLayer(layer.name).getWeights();
        if (weights.length) layer.setWeights(weights);
      }
    }
  } catch (err) {
    fresh.dispose();
    throw err;
  }
  return fresh;
}

/**
 * Replace the Conv2D layers chosen by `plan` with LowRankConv2D layers (same names, same inbound
 * connections, weights from `decomposeKernel` and the original bias); every other weight is copied.
 * Works for Sequential and functional models (branches included) via their config. The input model
 * is left untouched; the result is a new, uncompiled model (dispose it when done). Initialisers and
 * regularisers of a replaced conv carry over (to both kernels); constraints and activity regularisers
 * do not. Only top-level layers are considered (not layers inside a nested model).
 */
export function decomposeModelWithReport(model: tf.LayersModel, plan: DecompositionPlan): ModelDecomposition {
  if (!(model instanceof tf.LayersModel)) throw new Error("decomposeModel expects a tf.LayersModel (tf.sequential or tf.model).");
  const chosen = resolvePlan(model, plan);
  const replace = new Map<string, { rank: number; decomposition: Decomposition; bias?: Float32Array }>();
  const reports: LayerDecompositionReport[] = [];
  for (const { layer, rank, factorization } of chosen) {
    const kernel = kernelOf(layer);
    const decomposition = (factorization ?? factorizeKernel(kernel)).decompose(rank);
    const weights = layer.getWeights();
    const bias = layer.getConfig().useBias && weights[1] ? (weights[1].dataSync() as Float32Array) : undefined;
    replace.set(layer.name, { rank, decomposition, bias });
    const energy = kernelEnergy(kernel);
    const macs = macsOf(layer, rank);
    reports.push({
      name: layer.name,
      rank,
      maxRank: decomposition.singularValues.length,
      kernelShape: kernel.shape,
      singularValues: decomposition.singularValues,
      residual: decomposition.residual,
      energy,
      relativeError: energy > 0 ? Math.sqrt(decomposition.residual / energy) : 0,
      ...macs,
      theoreticalSpeedup: macs.originalMacs / macs.lowRankMacs,
    });
  }
  return { model: rebuild(model, replace, plan.bn ?? "none"), layers: reports };
}

/** `decomposeModelWithReport(model, plan).model`. */
export function decomposeModel(model: tf.LayersModel, plan: DecompositionPlan): tf.LayersModel {
  return decomposeModelWithReport(model, plan).model;
}

export interface LayerByLayerStep {
  layerName: string;
  /** The model with this layer and all earlier ones decomposed (new, uncompiled). */
  model: tf.LayersModel;
  report: LayerDecompositionReport;
}

/**
 * Decompose the plan's layers one at a time, in model order, yielding after each. Each step starts
 * from the model yielded before (so fine-tune it between steps and the next layer is decomposed from
 * the fine-tuned weights; rule-based ranks are computed from the weights at that time). Yielded models
 * are new: dispose the ones you no longer need (the input model is never disposed).
 */
export function* decomposeLayerByLayer(model: tf.LayersModel, plan: DecompositionPlan): Generator<LayerByLayerStep, void, void> {
  const names = resolvePlan(model, plan).map((c) => c.layer.name);
  const { layers: _restrict, ...rule } = plan;
  let current = model;
  for (const name of names) {
    const step = decomposeModelWithReport(current, { ...rule, layers: [name] } as DecompositionPlan);
    current = step.model;
    yield { layerName: name, model: current, report: step.layers[0] };
  }
}
