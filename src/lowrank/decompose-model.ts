import * as tf from "@tensorflow/tfjs";
import { convSpecIfSized, convRefusal, kernelOfLayer, kernelSizeOfLayer, biasOfLayer, isDenseLayer } from "./conv-layer";
import { convCost } from "./cost";
import { scalarRank, type FactorizationMethod, type FactorizedKernel, type KernelAnalysis, type Rank } from "./factorization";
import { layerBuilder, replacementClassNames, type LayerBuilder } from "./layer-builder";
import { factorizationMethod } from "./methods";
import { checkPlan, isBudgetRule, namedLayers, needsSpectrum, planMethod, resolveRank, type BnPlacement, type DecompositionPlan } from "./plan";
import { allocateRanks, allocateRanksGreedy, BudgetTooSmallError, tailErrors, type AllocationLayer } from "./rank-allocation";
import { RankUnreachableError } from "./rank-selection";
import { rebuildFromConfig } from "./rebuild-model";

export interface LayerDecompositionReport {
  name: string;
  /** The method that factored it (methods/). */
  method: string;
  rank: Rank;
  /** The method's largest rank (tai: min(C·kh, N·kw), the full rank). */
  maxRank: Rank;
  /** HWIO shape of the original kernel. */
  kernelShape: [number, number, number, number];
  /** The method's spectrum of the kernel (tai: all singular values of the kernel matrix), if it has one. */
  singularValues?: Float64Array;
  /** ‖W − W̃‖²_F (tai: Σ of the discarded σ²). */
  residual: number;
  /** ‖W‖²_F. */
  energy: number;
  /** ‖W − W̃‖_F / ‖W‖_F. */
  relativeError: number;
  /** Dense conv MACs per image (cost.ts; per output pixel at stride 1 if the input size is not fixed). */
  originalMacs: number;
  /** The replacement's MACs per image, same convention. */
  lowRankMacs: number;
  /** originalMacs / lowRankMacs. */
  theoreticalSpeedup: number;
  /** Iterative methods: iterations, whether the fit converged, seconds. */
  fit?: FactorizedKernel["fit"];
}

export interface ModelDecomposition {
  model: tf.LayersModel;
  layers: LayerDecompositionReport[];
}

/** Why `method` cannot take `layer` (a Conv2D it cannot factor, a Dense layer, or neither), or null. */
function refusal(layer: tf.layers.Layer, method: FactorizationMethod): string | null {
  if (isDenseLayer(layer) && !method.factorsDense) return `it is a Dense layer, which the ${method.name} method does not factor (the svd method does)`;
  return convRefusal(layer, replacementClassNames()) ?? method.refusal(kernelSizeOfLayer(layer));
}

/**
 * The layers of `model` that `method` can factor (default tai: Conv2D, kh > 1 or kw > 1, dilation 1,
 * NHWC; svd: 1×1 Conv2D and Dense).
 */
export function eligibleConvLayers(model: tf.LayersModel, method: FactorizationMethod = factorizationMethod()): tf.layers.Layer[] {
  return model.layers.filter((l) => refusal(l, method) === null);
}

/** Dense and replacement MACs per image; per output pixel at stride 1 when the input size is not fixed. */
function macsOf(layer: tf.layers.Layer, method: FactorizationMethod, rank: Rank): { originalMacs: number; lowRankMacs: number } {
  const size = kernelSizeOfLayer(layer);
  const spec = convSpecIfSized(layer) ?? { ...size, inH: 1, inW: 1, strideH: 1, strideW: 1, padding: "same" as const };
  return { originalMacs: convCost(spec).macs, lowRankMacs: method.cost(spec, rank).macs };
}

/** HWIO shape of a conv's kernel; [1, 1, C, N] for a Dense layer. */
function hwioShapeOf(layer: tf.layers.Layer): [number, number, number, number] {
  const { kh, kw, inC, outC } = kernelSizeOfLayer(layer);
  return [kh, kw, inC, outC];
}

interface Chosen {
  layer: tf.layers.Layer;
  rank: Rank;
  /** Kept when the rule needed it, so the kernel is analysed once. */
  analysis?: KernelAnalysis;
}

/** The layers (in model order) the plan decomposes, with their ranks; throws on named bad layers. */
function resolvePlan(model: tf.LayersModel, plan: DecompositionPlan): Chosen[] {
  checkPlan(plan);
  const method = planMethod(plan);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const eligibleNames = () => eligibleConvLayers(model, method).map((l) => l.name).join(", ") || "none";
  const named = namedLayers(plan);
  for (const name of named ?? []) {
    const layer = byName.get(name);
    if (!layer) throw new Error(`No layer named '${name}' in model '${model.name}'. Decomposable layers: ${eligibleNames()}.`);
    const why = refusal(layer, method);
    if (why) throw new Error(`Cannot decompose layer '${name}': ${why}.`);
  }
  const chosen = named ? model.layers.filter((l) => named.includes(l.name)) : eligibleConvLayers(model, method);
  if (chosen.length === 0 && !named) {
    const convs = model.layers.filter((l) => /Conv/.test(l.getClassName()) || (method.factorsDense && isDenseLayer(l)));
    const reasons = convs.map((l) => `'${l.name}': ${refusal(l, method)}`);
    throw new Error(
      `No layer of model '${model.name}' can be decomposed${reasons.length ? ` (${reasons.join("; ")})` : ": it has no convolution"}. ` +
        (method.factorsDense ? `The ${method.name} method needs a 1×1 Conv2D or a Dense layer.` : "The method needs a Conv2D with a d×d kernel, d > 1."),
    );
  }
  const analyses = chosen.map((layer) => (needsSpectrum(plan) ? method.analyze(kernelOfLayer(layer)) : undefined));
  if (isBudgetRule(plan)) {
    const ranks = budgetRanks(chosen, analyses as KernelAnalysis[], method, plan.budget, plan.allocation ?? "exact");
    return chosen.map((layer, i) => ({ layer, rank: ranks[layer.name], analysis: analyses[i] }));
  }
  return chosen.map((layer, i) => {
    const analysis = analyses[i];
    const rank = resolveRank(plan, { name: layer.name, size: kernelSizeOfLayer(layer), spec: convSpecIfSized(layer) ?? undefined, spectrum: analysis?.spectrum }, method);
    return { layer, rank: rank as Rank, analysis };
  });
}

/** Ranks of a budget rule: every layer's options (rank, MACs, normalised error), allocated jointly. */
function budgetRanks(layers: tf.layers.Layer[], analyses: KernelAnalysis[], method: FactorizationMethod, target: number, allocation: "exact" | "greedy"): Record<string, number> {
  let dense = 0;
  const options: AllocationLayer[] = layers.map((layer, i) => {
    const spec = convSpecIfSized(layer);
    if (!spec) throw new Error(`Layer '${layer.name}' has no fixed input height/width, so a budget cannot be turned into ranks: give { ranks } or { rank }.`);
    const spectrum = analyses[i].spectrum;
    if (!spectrum) throw new Error(`Layer '${layer.name}': a budget rule needs the kernel's spectrum (method ${method.name} gives none).`);
    dense += convCost(spec).macs;
    const errors = tailErrors(spectrum);
    return {
      name: layer.name,
      options: method.ranks(spec).map((r) => {
        const rank = scalarRank(r, "a budget rule");
        return { rank, macs: method.cost(spec, rank).macs, error: errors[rank - 1] };
      }),
    };
  });
  try {
    return (allocation === "greedy" ? allocateRanksGreedy : allocateRanks)(options, dense / target).ranks;
  } catch (err) {
    if (!(err instanceof BudgetTooSmallError)) throw err;
    // Worded as the speed-up the caller asked for; typed so sweeps skip the point.
    throw new RankUnreachableError(
      `No ranks reach a ${target}× speed-up of ${layers.length} layer(s) together: the best is ${(dense / err.least).toFixed(3)}× with every layer at its cheapest rank.`,
      target,
      dense / err.least,
    );
  }
}

interface Replacement {
  factored: FactorizedKernel;
  bias?: Float32Array;
}

/** Rebuild `model` with the given layers replaced; other layers get copies of their weights. */
function rebuild(model: tf.LayersModel, replace: Map<string, Replacement>, builder: LayerBuilder, bn: BnPlacement): tf.LayersModel {
  const config = JSON.parse(JSON.stringify(model.getConfig())) as { layers: { className: string; config: tf.serialization.ConfigDict }[] };
  for (const entry of config.layers) {
    const r = replace.get(entry.config.name as string);
    if (!r) continue;
    const { className, config: replaced } = builder.replacementConfig(entry.config, r.factored.rank, bn);
    entry.className = className;
    entry.config = replaced;
  }
  return rebuildFromConfig(model, config, (layer) => {
    const r = replace.get(layer.name);
    if (r) builder.setWeights(layer, r.factored, r.bias);
    return r !== undefined;
  });
}

/**
 * Replace the Conv2D layers chosen by `plan` with the plan's method's layers (tai: LowRankConv2D; same
 * names, same inbound connections, weights from the factorisation and the original bias); every other
 * weight is copied. Works for Sequential and functional models (branches included) via their config.
 * The input model is left untouched; the result is a new, uncompiled model (dispose it when done).
 * Initialisers and regularisers of a replaced conv carry over (to every factor); constraints and
 * activity regularisers do not. Only top-level layers are considered (not layers inside a nested model).
 */
export function decomposeModelWithReport(model: tf.LayersModel, plan: DecompositionPlan): ModelDecomposition {
  if (!(model instanceof tf.LayersModel)) throw new Error("decomposeModel expects a tf.LayersModel (tf.sequential or tf.model).");
  const chosen = resolvePlan(model, plan);
  const method = planMethod(plan);
  const builder = layerBuilder(method);
  const replace = new Map<string, Replacement>();
  const reports: LayerDecompositionReport[] = [];
  for (const { layer, rank, analysis } of chosen) {
    const a = analysis ?? method.analyze(kernelOfLayer(layer));
    const factored = a.factor(rank);
    replace.set(layer.name, { factored, bias: biasOfLayer(layer) });
    const macs = macsOf(layer, method, rank);
    reports.push({
      name: layer.name,
      method: method.name,
      rank,
      maxRank: method.maxRank(kernelSizeOfLayer(layer)),
      kernelShape: hwioShapeOf(layer),
      singularValues: a.spectrum,
      residual: factored.residual,
      energy: factored.energy,
      relativeError: factored.energy > 0 ? Math.sqrt(factored.residual / factored.energy) : 0,
      ...macs,
      theoreticalSpeedup: macs.originalMacs / macs.lowRankMacs,
      ...(factored.fit ? { fit: factored.fit } : {}),
    });
  }
  return { model: rebuild(model, replace, builder, plan.bn ?? "none"), layers: reports };
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
  const chosen = resolvePlan(model, plan);
  const { layers: _restrict, ...rule } = plan;
  // A budget is shared by all layers, so its ranks are the joint allocation on the starting weights;
  // applied to one layer at a time it would become a per-layer target.
  const stepPlan = (layer: Chosen): DecompositionPlan =>
    isBudgetRule(plan) ? { ranks: { [layer.layer.name]: layer.rank }, bn: plan.bn, method: plan.method } : ({ ...rule, layers: [layer.layer.name] } as DecompositionPlan);
  let current = model;
  for (const c of chosen) {
    const name = c.layer.name;
    const step = decomposeModelWithReport(current, stepPlan(c));
    current = step.model;
    yield { layerName: name, model: current, report: step.layers[0] };
  }
}
