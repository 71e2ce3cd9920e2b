import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import { sweepFineTuneOptions, type ProfileSettings } from "../profiles";
import { rankSweep, type SweepRow } from "./rank-sweep";

/** Hears of a target no rank of a layer reaches (that point is left out). */
export type OnSkip = (layers: string[], reason: string) => void;

type Data = { train: Cifar10Split; test: Cifar10Split };

export interface SweepStepOptions {
  /** Default: the profile's sweepSpeedups. */
  speedups?: number[];
  /** Factorisation method (src/lowrank/methods); default "tai". */
  method?: string;
  onSkip?: OnSkip;
}

/**
 * Each decomposable layer of a trained baseline alone, at each speed-up target (default: the
 * profile's), no fine-tune: isolates the layer. Forward times at the profile's measurement batch.
 */
export async function sweepEachLayer(baseline: tf.LayersModel, data: Data, settings: ProfileSettings, options: SweepStepOptions = {}): Promise<SweepRow[]> {
  const speedups = options.speedups ?? settings.sweepSpeedups;
  return rankSweep(baseline, data, { mode: "each", points: { speedup: speedups }, method: options.method, fineTune: false, measure: { batchSize: settings.measureBatchSize }, onSkip: options.onSkip });
}

/** All layers at each speed-up target together, each point given the profile's short fine-tune. */
export async function sweepAllLayers(baseline: tf.LayersModel, data: Data, settings: ProfileSettings, options: SweepStepOptions = {}): Promise<SweepRow[]> {
  const speedups = options.speedups ?? settings.sweepSpeedups;
  return rankSweep(baseline, data, {
    mode: "all",
    points: { speedup: speedups },
    method: options.method,
    fineTune: sweepFineTuneOptions(settings),
    measure: { batchSize: settings.measureBatchSize },
    onSkip: options.onSkip,
  });
}
