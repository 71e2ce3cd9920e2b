import type * as tf from "@tensorflow/tfjs";
import { timeDeployed, timeModelsTogether } from "../measure/model-profile";
import { pairedSpeedup } from "../measure/time-it";
import type { TrainHistoryRow } from "../train/history";

/** One network of the main job's summary table. Accuracies are fractions in [0, 1]. */
export interface SummaryRow {
  network: string;
  testAccuracy: number;
  /** Dense conv MACs over the network's conv MACs (1 for the baseline). */
  convSpeedupTheoretical: number;
  /** Baseline forward time over this network's, whole model. */
  modelSpeedupMeasured?: number;
  params: number;
  epochs: number;
  trainSeconds: number;
}

/** Wall-clock seconds of a training history. */
export function trainSeconds(history: readonly TrainHistoryRow[]): number {
  return history.reduce((s, r) => s + r.seconds, 0);
}

/**
 * Median forward time (ms) of a whole model in deploy form (BN folded; measure/timeDeployed) at `batch`,
 * data read back. Three warm-up passes: a fresh model's first passes set up the native kernels for its shapes.
 */
export async function forwardMs(model: tf.LayersModel, batch: number, runs = 9): Promise<number> {
  return (await timeDeployed(model, [batch], { warmup: 3, runs }))[batch];
}

/**
 * How many times faster `other` runs than `base` (deploy forms, at `batch`), the two timed in turns so that
 * a change of load between them cannot skew the ratio: the median of the rounds' ratios, with both medians.
 */
export async function forwardSpeedup(base: tf.LayersModel, other: tf.LayersModel, batch: number, runs = 9): Promise<{ baseMs: number; otherMs: number; speedup: number }> {
  const t = await timeModelsTogether({ base, other }, batch, { warmup: 3, runs });
  return { baseMs: t.base.medianMs, otherMs: t.other.medianMs, speedup: pairedSpeedup(t.base, t.other) };
}
