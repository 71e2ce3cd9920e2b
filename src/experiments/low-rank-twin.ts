import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import { lowRankConvs, type RankRule } from "../lowrank";
import { buildModel, type ModelName } from "../models";
import { modelOptions, trainOptions, type ProfileSettings } from "../profiles";
import { evaluate } from "../train/evaluate";
import { train, type TrainResult } from "../train/train";
import { checkpointPaths } from "./baseline";

export interface LowRankTwin {
  /** Trained; the caller disposes it. */
  model: tf.LayersModel;
  run: TrainResult;
  accuracy: number;
}

export interface LowRankTwinOptions {
  /** Default "vgg-small". */
  model?: ModelName;
  /** Train again even if the checkpoint holds a finished run. */
  retrain?: boolean;
  /** Default "checkpoints". */
  checkpointsRoot?: string;
}

/**
 * The paper's second method: the zoo model with the rule's convs built low-rank (BN after the
 * horizontal conv, as the authors do), trained from scratch on the profile's schedule, with
 * checkpoints beside the baseline's (a finished run is loaded).
 */
export async function trainLowRankTwin(
  settings: ProfileSettings,
  data: { train: Cifar10Split; test: Cifar10Split },
  rule: { speedup: number } | { rank: number },
  options: LowRankTwinOptions = {},
): Promise<LowRankTwin> {
  const modelName = options.model ?? "vgg-small";
  const paths = checkpointPaths(settings, modelName, options.checkpointsRoot);
  const model = buildModel(modelName, { ...modelOptions(settings, modelName), lowRank: lowRankConvs({ ...(rule as RankRule), bn: "after" }) });
  try {
    const run = await train(model, data, {
      ...trainOptions(settings, { scratch: true }),
      checkpointDir: paths.fromScratch(rule),
      resume: !options.retrain,
      label: "from scratch",
    });
    return { model, run, accuracy: evaluate(model, data.test).accuracy };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
