import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import type { Cifar10Split } from "../data";
import { splitSource } from "../data/split";
import { resolveSchedule } from "./lr-schedule";
import type { TrainData, TrainOptions } from "./train-options";

/**
 * What shapes a training run's result, recorded in every checkpoint so a checkpoint is never resumed
 * or reused by a run that asks for something else. Each part is a short hash plus, for the training
 * options, the values themselves (so a mismatch can say what differs).
 */
export interface RunFingerprint {
  /** Layer classes, their configurations and connections (initialisers and names left out: weights come from the checkpoint). */
  model: string;
  /** Training images and labels (and test data when early stopping reads it). */
  data: string;
  /** Training options with their defaults filled in. */
  training: Record<string, unknown>;
}

const hash = (text: string | Uint8Array | Int32Array): string => createHash("sha256").update(text).digest("hex").slice(0, 16);

/** Configuration without names and initialisers, recursively (they do not change what a layer computes). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key === "name" || /initializer$/i.test(key)) continue;
      out[key] = canonical((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

export function modelFingerprint(model: tf.LayersModel): string {
  const index = new Map(model.layers.map((l, i) => [l, i]));
  const layers = model.layers.map((layer) => ({
    className: layer.getClassName(),
    config: canonical(layer.getConfig()),
    inputs: layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => index.get(l) ?? -1)),
  }));
  return hash(JSON.stringify(layers));
}

/** Labels, source positions and a strided sample of the pixels: cheap, and different for any other subset. */
function splitFingerprint(split: Cifar10Split): string {
  const source = splitSource(split);
  const h = createHash("sha256");
  h.update(`${split.size}:`);
  h.update(new Uint8Array(source.labels.buffer, source.labels.byteOffset, source.labels.byteLength));
  if (split.sourceIndices) h.update(new Uint8Array(split.sourceIndices.buffer, split.sourceIndices.byteOffset, split.sourceIndices.byteLength));
  const stride = 61;
  const sample = new Uint8Array(Math.ceil(source.pixels.length / stride));
  for (let i = 0, j = 0; i < source.pixels.length; i += stride, j++) sample[j] = source.pixels[i];
  h.update(sample);
  h.update(new Uint8Array(Float32Array.from([...source.mean, ...source.invStd]).buffer));
  return h.digest("hex").slice(0, 16);
}

/** The result-shaping training options, defaults filled in as `train` fills them. */
export function trainingFingerprint(o: TrainOptions): Record<string, unknown> {
  const optimizer = typeof o.optimizer === "object" ? { className: o.optimizer.getClassName(), config: o.optimizer.getConfig() } : (o.optimizer ?? "sgd");
  const sgd = optimizer === "sgd";
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    optimizer,
    ...(sgd ? { momentum: o.momentum ?? 0.9, nesterov: o.nesterov ?? false } : {}),
    weightDecay: o.weightDecay ?? 0,
    lrSchedule: resolveSchedule(o.lrSchedule),
    warmupEpochs: o.warmupEpochs ?? 0,
    lrUpdate: o.lrUpdate ?? "step",
    augment: o.augment ?? false,
    shuffle: o.shuffle ?? true,
    seed: o.seed ?? 0,
    maxStepsPerEpoch: o.maxStepsPerEpoch ?? null,
    patience: o.patience ?? null,
    minDelta: o.minDelta ?? 0,
    // Recorded only when set, so checkpoints made before these options existed still match.
    ...(o.factorDecay && o.factorDecay !== "l2" ? { factorDecay: o.factorDecay } : {}),
    ...(o.scheduleSpan ? { scheduleSpan: o.scheduleSpan } : {}),
    ...(o.fingerprintExtra ? { extra: JSON.parse(JSON.stringify(o.fingerprintExtra)) } : {}),
  };
}

export function runFingerprint(model: tf.LayersModel, data: TrainData, o: TrainOptions): RunFingerprint {
  const early = o.patience !== undefined && data.test ? `+test ${splitFingerprint(data.test)}` : "";
  return { model: modelFingerprint(model), data: `${splitFingerprint(data.train)}${early}`, training: trainingFingerprint(o) };
}

const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * More patience (or none) than the checkpoint's run had: patience only decides where a run stops, so the
 * epochs trained so far are exactly those of the more patient run, which may go on from them.
 */
function patienceRelaxed(saved: unknown, now: unknown): boolean {
  return typeof saved === "number" && (now === null || (typeof now === "number" && now > saved));
}

/** Human-readable differences between a checkpoint's fingerprint (`saved`) and this run's; empty when they match. */
export function fingerprintDifferences(saved: RunFingerprint, now: RunFingerprint): string[] {
  const out: string[] = [];
  const relaxed = patienceRelaxed(saved.training.patience, now.training.patience);
  if (saved.model !== now.model) out.push("the model's architecture");
  // Early stopping read the test data, so it is in the saved fingerprint; without early stopping it is not.
  const sameData = saved.data === now.data || (relaxed && now.training.patience === null && saved.data.startsWith(`${now.data}+test `));
  if (!sameData) out.push("the training data (another subset, seed or normalisation)");
  // Without early stopping, minDelta (what counted as an improvement) no longer decides anything either.
  const ignored = relaxed ? (now.training.patience === null ? ["patience", "minDelta"] : ["patience"]) : [];
  const keys = [...new Set([...Object.keys(saved.training), ...Object.keys(now.training)])].filter((k) => !ignored.includes(k));
  for (const k of keys) {
    const a = show(saved.training[k]);
    const b = show(now.training[k]);
    if (a !== b) out.push(`${k} ${a} (now ${b})`);
  }
  return out;
}
