import * as tf from "@tensorflow/tfjs";
import { measureEnvironment, type MeasureEnvironment } from "./environment";
import { layerCost, type LayerKind } from "./layer-cost";
import { inferenceModel, layerInputShape } from "../lowrank";
import { timeInterleaved, timeIt, type TimeOptions, type Timing } from "./time-it";

export interface LayerProfile {
  name: string;
  className: string;
  kind: LayerKind;
  inputShape: number[];
  outputShape: number[];
  params: number;
  /** Theoretical multiply-adds per image (0 for layers not costed). */
  macs: number;
  /** Median forward time in ms of this layer alone, by batch size, e.g. { 1: 0.4, 128: 11.9 }. */
  timeMs: Record<number, number>;
}

export interface ModelProfile {
  layers: LayerProfile[];
  total: { params: number; macs: number; timeMs: Record<number, number> };
  batchSizes: number[];
  environment: MeasureEnvironment;
}

export interface ProfileOptions {
  /** Default [1, 128]. */
  batchSizes?: number[];
  timing?: TimeOptions;
  /** Time each layer on its own (default true); false: costs and whole-model time only. */
  timeLayers?: boolean;
}

type LayerFactory = (cls: unknown, config: object) => tf.layers.Layer;

/** A fresh, unconnected copy of `layer` built from its config (registered class, else its constructor). */
export function cloneLayer(layer: tf.layers.Layer, name: string): tf.layers.Layer {
  const config = { ...(layer.getConfig() as object), name };
  const entry = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, LayerFactory]>)[layer.getClassName()];
  if (entry) return entry[1](entry[0], config);
  const Ctor = layer.constructor as new (config: object) => tf.layers.Layer;
  return new Ctor(config);
}

function checkBatchSizes(sizes: number[]): void {
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((b) => Number.isInteger(b) && b >= 1)) {
    throw new Error(`batchSizes must be a non-empty list of positive integers, got ${JSON.stringify(sizes)}.`);
  }
}

/** Median forward time of `model` per batch size, on random normal inputs. */
export async function timeModel(model: tf.LayersModel, batchSizes: number[], timing: TimeOptions = {}): Promise<Record<number, number>> {
  checkBatchSizes(batchSizes);
  const shape = fixedInputShape(model, "timeModel");
  const out: Record<number, number> = {};
  for (const b of batchSizes) {
    const x = tf.randomNormal([b, ...shape]);
    try {
      out[b] = (await timeIt(() => model.predict(x, { batchSize: b }) as tf.Tensor | tf.Tensor[], timing)).medianMs;
    } finally {
      x.dispose();
    }
  }
  return out;
}

/**
 * Median forward time of the model as it would be served: its deploy form (BN folded into the convs,
 * ReLUs fused, V/H pairs as two plain convs; lowrank/inference-model). Predictions are the same.
 */
export async function timeDeployed(model: tf.LayersModel, batchSizes: number[], timing: TimeOptions = {}): Promise<Record<number, number>> {
  const deployed = inferenceModel(model);
  try {
    return await timeModel(deployed, batchSizes, timing);
  } finally {
    deployed.dispose();
  }
}

/** The input shape (batch excluded) of a single-input model, checked to be fully known. */
function fixedInputShape(model: tf.LayersModel, who: string): number[] {
  if (model.inputs.length !== 1) throw new Error(`${who}: '${model.name}' has ${model.inputs.length} inputs; only single-input models are timed.`);
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null || d < 1)) {
    throw new Error(`${who}: '${model.name}' has an unknown input size [${shape.join(", ")}]; give the model a fixed input shape.`);
  }
  return shape as number[];
}

/**
 * Forward times of several models on one batch, timed in turns (measure/timeInterleaved) so that their
 * ratios (`pairedSpeedup`) hold up under changing load. `deployed` (default true): time each model's
 * deploy form, as `timeDeployed` does; false: the models as they are.
 */
export async function timeModelsTogether(
  models: Record<string, tf.LayersModel>,
  batch: number,
  opts: TimeOptions & { deployed?: boolean } = {},
): Promise<Record<string, Timing>> {
  checkBatchSizes([batch]);
  const entries = Object.entries(models);
  if (entries.length === 0) throw new Error("timeModelsTogether: give at least one model.");
  const shapes = entries.map(([, m]) => fixedInputShape(m, "timeModelsTogether"));
  if (shapes.some((s) => s.join() !== shapes[0].join())) {
    throw new Error(`timeModelsTogether: the models take different inputs (${entries.map(([n], i) => `${n}: [${shapes[i].join(", ")}]`).join("; ")}); time models of one input size together.`);
  }
  const { deployed = true, ...timing } = opts;
  const forms: Record<string, tf.LayersModel> = {};
  const x = tf.randomNormal([batch, ...shapes[0]]);
  try {
    for (const [name, m] of entries) forms[name] = deployed ? inferenceModel(m) : m;
    const fns = Object.fromEntries(Object.entries(forms).map(([name, m]) => [name, () => m.predict(x, { batchSize: batch }) as tf.Tensor | tf.Tensor[]]));
    return await timeInterleaved(fns, timing);
  } finally {
    x.dispose();
    if (deployed) for (const m of Object.values(forms)) m.dispose();
  }
}

/** Forward time of one layer alone: a one-layer model built from its config, with its weights copied. */
export async function timeLayer(layer: tf.layers.Layer, batchSizes: number[], timing: TimeOptions = {}): Promise<Record<number, number>> {
  const shape = layerInputShape(layer);
  const input = tf.input({ shape: shape.slice(1) });
  const copy = cloneLayer(layer, `${layer.name}_timed`);
  const single = tf.model({ inputs: input, outputs: copy.apply(input) as tf.SymbolicTensor });
  try {
    copy.setWeights(layer.getWeights());
    return await timeModel(single, batchSizes, timing);
  } catch (err) {
    throw new Error(`Timing layer '${layer.name}' (${layer.getClassName()}) failed: ${(err as Error).message}`);
  } finally {
    single.dispose();
  }
}

function outputShapeOf(layer: tf.layers.Layer): number[] {
  const s = layer.outputShape;
  return (Array.isArray(s[0]) ? (s[0] as (number | null)[]) : (s as (number | null)[])).map((d) => d ?? -1);
}

/**
 * Per layer and for the whole model: parameters, theoretical multiply-adds (Conv2D, LowRankConv2D,
 * Dense) and measured forward time at each batch size, with the backend, threads and machine.
 */
export async function profileModel(model: tf.LayersModel, opts: ProfileOptions = {}): Promise<ModelProfile> {
  const batchSizes = opts.batchSizes ?? [1, 128];
  checkBatchSizes(batchSizes);
  const layers: LayerProfile[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === "InputLayer") continue;
    const cost = layerCost(layer);
    const timeMs = opts.timeLayers === false ? {} : await timeLayer(layer, batchSizes, opts.timing);
    layers.push({
      name: layer.name,
      className: layer.getClassName(),
      kind: cost.kind,
      inputShape: layerInputShape(layer),
      outputShape: outputShapeOf(layer),
      params: cost.params,
      macs: cost.macs,
      timeMs,
    });
  }
  return {
    layers,
    total: {
      params: model.countParams(),
      macs: layers.reduce((a, l) => a + l.macs, 0),
      timeMs: await timeModel(model, batchSizes, opts.timing),
    },
    batchSizes,
    environment: measureEnvironment(),
  };
}

/** Flat table rows (one per layer, then "total") for CSV/danfo: time columns are `ms_b<batch>`. */
export function profileRows(profile: ModelProfile): Record<string, string | number>[] {
  const env = profile.environment;
  const times = (t: Record<number, number>) => Object.fromEntries(profile.batchSizes.map((b) => [`ms_b${b}`, t[b] ?? Number.NaN]));
  const rows: Record<string, string | number>[] = profile.layers.map((l) => ({
    layer: l.name, className: l.className, kind: l.kind, outputShape: l.outputShape.slice(1).join("x"),
    params: l.params, macs: l.macs, ...times(l.timeMs),
  }));
  rows.push({ layer: "total", className: "Model", kind: "total", outputShape: "", params: profile.total.params, macs: profile.total.macs, ...times(profile.total.timeMs) });
  return rows.map((r) => ({ ...r, backend: env.backend, threads: env.threads, machine: env.machine }));
}
