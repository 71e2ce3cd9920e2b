import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import type { RankRule } from "../lowrank";
import type { ModelName } from "../models";
import { trainOptions, type ProfileSettings } from "../profiles";
import { evaluate } from "../train/evaluate";
import type { TrainResult } from "../train/train";
import { checkpointPaths } from "./baseline";
import { checkRecipe, trainLowRankRecipe, type ScratchRecipe } from "./scratch-recipes";

export interface LowRankTwin {
  /** Trained; the caller disposes it. */
  model: tf.LayersModel;
  /** Every epoch of the run (a hybrid's dense epochs first). */
  run: Pick<TrainResult, "history" | "stopReason">;
  accuracy: number;
}

export interface LowRankTwinOptions {
  /** Default "vgg-small". */
  model?: ModelName;
  /** How the low-rank net is trained (experiments/scratch-recipes.ts). Default "paper". */
  recipe?: ScratchRecipe;
  /** Train again even if the checkpoint holds a finished run. */
  retrain?: boolean;
  /** Default "checkpoints". */
  checkpointsRoot?: string;
}

/**
 * Dense epochs before a hybrid's switch in a run of `epochs`: the profile's switch epoch, kept inside the
 * run; cuttlefish switches by itself, at the last epoch that leaves a low-rank one at the latest.
 */
export function hybridSwitchEpoch(settings: ProfileSettings, epochs: number, recipe: "hybrid" | "cuttlefish" = "hybrid"): number {
  if (epochs < 2) throw new Error(`The ${recipe} recipe needs at least 2 epochs (dense, then low-rank), got ${epochs}: raise --scratch-epochs.`);
  return recipe === "cuttlefish" ? epochs - 1 : Math.min(settings.scratchCompare.switchEpoch, epochs - 1);
}

/**
 * The paper's second method: the zoo model with the rule's convs built low-rank (BN after the
 * horizontal conv, as the authors do), trained from scratch on the profile's schedule by `recipe`
 * ("paper" unless asked), with checkpoints beside the baseline's (a finished run is loaded).
 */
export async function trainLowRankTwin(
  settings: ProfileSettings,
  data: { train: Cifar10Split; test: Cifar10Split },
  rule: ({ speedup: number } | { rank: number }) & { method?: string; roundTo?: number },
  options: LowRankTwinOptions = {},
): Promise<LowRankTwin> {
  const modelName = options.model ?? "vgg-small";
  const recipe = options.recipe ?? "paper";
  checkRecipe(recipe);
  const paths = checkpointPaths(settings, modelName, options.checkpointsRoot);
  const train = {
    ...trainOptions(settings, { scratch: true }),
    checkpointDir: paths.fromScratch(rule) + (recipe === "paper" ? "" : `-${recipe}`),
    resume: !options.retrain,
    label: recipe === "paper" ? "from scratch" : `from scratch (${recipe})`,
  };
  const run = await trainLowRankRecipe(settings, data, modelName, {
    recipe,
    rule: rule as RankRule,
    switchEpoch: recipe === "hybrid" || recipe === "cuttlefish" ? hybridSwitchEpoch(settings, train.epochs, recipe) : 1,
    projectEverySteps: settings.scratchCompare.projectEverySteps,
    nuclearDecay: settings.scratchCompare.trpNuclearDecay,
    train,
  });
  try {
    return { model: run.model, run: { history: run.history, stopReason: run.stopReason }, accuracy: evaluate(run.model, data.test).accuracy };
  } catch (err) {
    run.model.dispose();
    throw err;
  }
}
