import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import { rebuildFromConfig } from "../lowrank/rebuild-model";
import { fineTuneOptions, type ProfileSettings } from "../profiles";
import { evaluate } from "../train/evaluate";
import type { TrainHistoryRow } from "../train/history";
import { train } from "../train/train";

/**
 * The fair reference for a fine-tuned decomposition: a copy of the dense baseline trained on with the same
 * budget (epochs, peak rate, the fine-tune's schedule and options). A baseline that has not converged
 * gains from those epochs too; what the decomposed network ends below this is the decomposition's own
 * cost. `baseline` is not modified; the run checkpoints into `checkpointDir` (when given) and resumes.
 */
export async function denseControl(
  baseline: tf.LayersModel,
  data: { train: Cifar10Split; test: Cifar10Split },
  settings: ProfileSettings,
  budget: { epochs: number; learningRate: number; checkpointDir?: string },
): Promise<{ accuracy: number; history: TrainHistoryRow[]; fromCheckpoint: boolean }> {
  const { epochs, learningRate, checkpointDir } = budget;
  const dense = rebuildFromConfig(baseline, baseline.getConfig(), () => false);
  try {
    const { training } = fineTuneOptions(settings, { training: { learningRate, ...(checkpointDir ? { checkpointDir, resume: true } : {}), label: `dense control, ${epochs} epoch(s) at ${learningRate}` } });
    const r = await train(dense, data, { ...training, epochs, learningRate });
    return { accuracy: evaluate(dense, data.test).accuracy, history: r.history, fromCheckpoint: r.stopReason === "already-complete" };
  } finally {
    dense.dispose();
  }
}
