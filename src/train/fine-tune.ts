import type * as tf from "@tensorflow/tfjs";
import { decomposeLayerByLayer, decomposeModelWithReport, type DecompositionPlan, type LayerDecompositionReport } from "../lowrank";
import { evaluate } from "./evaluate";
import type { TrainHistoryRow } from "./history";
import { train, type TrainData, type TrainOptions } from "./train";

export type FineTuneSchedule = "all-at-once" | "layer-by-layer";

/** Fine-tuning starts from trained weights, so it uses a smaller rate than training from scratch. */
export const DEFAULT_FINE_TUNE_LEARNING_RATE = 0.01;

/** How each fine-tune stage trains: train()'s options less `epochs` (set per stage), with a lower default rate. */
export type FineTuneTraining = Omit<TrainOptions, "epochs" | "learningRate"> & {
  /** Default DEFAULT_FINE_TUNE_LEARNING_RATE (0.01). */
  learningRate?: number;
};

export interface FineTuneOptions {
  /** Which convs to decompose and at which rank (src/lowrank). */
  plan: DecompositionPlan;
  /**
   * "all-at-once" (the paper's): decompose every planned layer, then fine-tune `epochs`.
   * "layer-by-layer": decompose one layer, fine-tune `epochsPerLayer`, next layer (decomposed from the
   * fine-tuned weights), …, then `epochs` more on the final model.
   */
  schedule?: FineTuneSchedule;
  /** all-at-once: epochs after decomposing (default 1); layer-by-layer: final epochs (default 0). */
  epochs?: number;
  /** layer-by-layer: epochs after each layer (default 1). */
  epochsPerLayer?: number;
  /** layer-by-layer: cap on the steps of each per-layer epoch (the final epochs are not capped by it). */
  stepsPerLayer?: number;
  training: FineTuneTraining;
}

export interface FineTuneStage {
  /** Layers decomposed at this stage ("all layers" in one stage for all-at-once). */
  layers: string[];
  /** Test accuracy right after decomposing, before any fine-tuning (needs data.test). */
  accuracyBefore?: number;
  /** Test accuracy at the end of the stage's fine-tuning. */
  accuracyAfter?: number;
  /** History rows of this stage (epochs numbered continuously across stages). */
  history: TrainHistoryRow[];
  /** Its training was finished in the checkpoint it resumed from: no epoch was trained now. */
  fromCheckpoint?: boolean;
}

export interface FineTuneResult {
  /** The decomposed, fine-tuned model: new, uncompiled; dispose it when done. The input model is untouched. */
  model: tf.LayersModel;
  /** All epochs, numbered 1.. across stages. */
  history: TrainHistoryRow[];
  stages: FineTuneStage[];
  /** What each decomposed layer became (rank, residual, speedup). */
  layers: LayerDecompositionReport[];
}

function checkEpochs(name: string, v: number, min: number): void {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`fineTune ${name} must be an integer ≥ ${min}, got ${v}.`);
}

/** Train one stage and renumber its epochs after `offset`. */
async function stage(
  model: tf.LayersModel,
  data: TrainData,
  o: FineTuneOptions,
  epochs: number,
  offset: number,
  layers: string[],
  maxSteps?: number,
): Promise<FineTuneStage> {
  const t = o.training;
  const result: FineTuneStage = { layers, history: [] };
  if (data.test) result.accuracyBefore = evaluate(model, data.test, t.evalBatchSize ?? 256).accuracy;
  if (epochs > 0) {
    const cap = [t.maxStepsPerEpoch, maxSteps].filter((v): v is number => v !== undefined);
    const r = await train(model, data, {
      ...t,
      maxStepsPerEpoch: cap.length ? Math.min(...cap) : undefined,
      epochs,
      learningRate: t.learningRate ?? DEFAULT_FINE_TUNE_LEARNING_RATE,
      label: layers.length === 1 ? [t.label, layers[0]].filter(Boolean).join(" · ") : t.label ?? "fine-tune",
    });
    result.history = r.history.map((row) => ({ ...row, epoch: row.epoch + offset }));
    if (r.stopReason === "already-complete") result.fromCheckpoint = true;
  }
  const last = result.history[result.history.length - 1];
  result.accuracyAfter = last?.testAccuracy ?? result.accuracyBefore;
  return result;
}

/**
 * Decompose `model` by `options.plan` and fine-tune the result on `data` (see FineTuneOptions for
 * the two schedules). Returns a new model; `model` itself is not modified.
 */
export async function fineTune(model: tf.LayersModel, data: TrainData, options: FineTuneOptions): Promise<FineTuneResult> {
  if (!options?.training) throw new Error("fineTune needs `training` options (batchSize, optimizer, …), e.g. fineTuneOptions(settings) from src/profiles.");
  const schedule = options.schedule ?? "all-at-once";
  if (schedule === "all-at-once") {
    const epochs = options.epochs ?? 1;
    checkEpochs("epochs", epochs, 0);
    const { model: decomposed, layers } = decomposeModelWithReport(model, options.plan);
    try {
      const s = await stage(decomposed, data, options, epochs, 0, layers.map((l) => l.name));
      return { model: decomposed, history: s.history, stages: [s], layers };
    } catch (err) {
      decomposed.dispose();
      throw err;
    }
  }
  if (schedule !== "layer-by-layer") {
    throw new Error(`Unknown fine-tune schedule '${String(schedule)}': use "all-at-once" or "layer-by-layer".`);
  }
  if (options.training.checkpointDir || options.training.resume) {
    throw new Error("Checkpoints/resume work with the all-at-once schedule only (each layer-by-layer stage is a different architecture).");
  }
  const perLayer = options.epochsPerLayer ?? 1;
  const finalEpochs = options.epochs ?? 0;
  checkEpochs("epochsPerLayer", perLayer, 0);
  if (options.stepsPerLayer !== undefined) checkEpochs("stepsPerLayer", options.stepsPerLayer, 1);
  checkEpochs("epochs", finalEpochs, 0);

  const stages: FineTuneStage[] = [];
  const layers: LayerDecompositionReport[] = [];
  let current: tf.LayersModel | undefined;
  let offset = 0;
  try {
    for (const step of decomposeLayerByLayer(model, options.plan)) {
      // Each step is built from the previous one, which is no longer needed once the next exists.
      current?.dispose();
      current = step.model;
      layers.push(step.report);
      const s = await stage(current, data, options, perLayer, offset, [step.layerName], options.stepsPerLayer);
      stages.push(s);
      offset += s.history.length;
    }
    if (!current) throw new Error("The plan decomposes no layer: check plan.layers / plan.ranks against the model's conv layers.");
    if (finalEpochs > 0) {
      const s = await stage(current, data, options, finalEpochs, offset, layers.map((l) => l.name));
      stages.push(s);
    }
  } catch (err) {
    current?.dispose();
    throw err;
  }
  return { model: current, history: stages.flatMap((s) => s.history), stages, layers };
}
