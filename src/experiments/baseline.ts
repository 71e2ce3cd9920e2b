import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { Cifar10Split } from "../data";
import { buildModel, type ModelName } from "../models";
import { modelOptions, trainOptions, type ProfileSettings } from "../profiles";
import { evaluate } from "../train/evaluate";
import { train, type TrainOptions, type TrainResult } from "../train/train";

/** Where the runs of one model and profile keep their checkpoints; shared by `npm start` and the notebooks. */
export interface CheckpointPaths {
  /** `<root>/<model>-<profile>` */
  dir: string;
  /** The baseline's training run (resumed, or loaded when finished). */
  training: string;
  /** The finished baseline as a plain saved model. */
  final: string;
  /** All-at-once fine-tune of the baseline decomposed at `speedup`. */
  fineTune(speedup: number): string;
  /** The baseline decomposed at `target` and fine-tuned with a budget (experiments/fine-tune-budget.ts). */
  budget(target: number, epochs: number, learningRate: number, ranks?: "joint"): string;
  /** The dense baseline trained on with a fine-tune budget (experiments/dense-control.ts). */
  denseControl(epochs: number, learningRate: number): string;
  /** The low-rank network trained from scratch at a speed-up target (ranks maybe rounded) or one rank everywhere. */
  fromScratch(target: ({ speedup: number } | { rank: number }) & { roundTo?: number; method?: string }): string;
}

export function checkpointPaths(settings: Pick<ProfileSettings, "profile">, model: ModelName = "vgg-small", root = "checkpoints"): CheckpointPaths {
  const dir = join(root, `${model}-${settings.profile}`);
  return {
    dir,
    training: join(dir, "training"),
    final: join(dir, "final"),
    fineTune: (speedup) => join(dir, `fine-tune-${speedup}x`),
    budget: (target, epochs, learningRate, ranks) => join(dir, `budget-${target}x${ranks ? `-${ranks}` : ""}-e${epochs}-lr${learningRate}`),
    denseControl: (epochs, learningRate) => join(dir, `budget-dense-e${epochs}-lr${learningRate}`),
    fromScratch: (target) => join(dir, `from-scratch-${"rank" in target ? `rank${target.rank}` : `${target.speedup}x`}${target.roundTo && target.roundTo > 1 ? `-k${target.roundTo}` : ""}${target.method && target.method !== "tai" ? `-${target.method}` : ""}`),
  };
}

export interface BaselineOptions {
  /** Default "vgg-small". */
  model?: ModelName;
  /** Train again even if the checkpoint holds a finished run. Default false. */
  retrain?: boolean;
  /** Default "checkpoints". */
  checkpointsRoot?: string;
  progress?: TrainOptions["progress"];
}

export interface Baseline {
  /** Trained; the caller disposes it. */
  model: tf.LayersModel;
  run: TrainResult;
  /** The finished run was loaded from its checkpoint rather than trained (or resumed) now. */
  loaded: boolean;
  /** On `data.test`. */
  accuracy: number;
  paths: CheckpointPaths;
}

/**
 * The profile's baseline: built, then trained with checkpoints in `paths.training`: a finished run is
 * loaded, an interrupted one resumed, so every notebook and `npm start` share one trained network.
 */
export async function baselineFor(settings: ProfileSettings, data: { train: Cifar10Split; test: Cifar10Split }, options: BaselineOptions = {}): Promise<Baseline> {
  const modelName = options.model ?? "vgg-small";
  const paths = checkpointPaths(settings, modelName, options.checkpointsRoot);
  const model = buildModel(modelName, modelOptions(settings, modelName));
  try {
    const run = await train(model, { train: data.train, test: data.test }, {
      ...trainOptions(settings),
      checkpointDir: paths.training,
      resume: !options.retrain,
      label: "baseline",
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const accuracy = evaluate(model, data.test).accuracy;
    return { model, run, loaded: run.stopReason === "already-complete", accuracy, paths };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
