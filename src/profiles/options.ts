import type { Cifar10Options } from "../data";
import type { ModelName, ModelOptionsByName, VggSmallOptions } from "../models";
import type { FineTuneOptions, FineTuneTraining } from "../train/fine-tune";
import type { TrainOptions } from "../train/train";
import type { ProfileSettings } from "./settings";

/** loadCifar10 options of the profile. */
export function dataOptions(s: ProfileSettings): Cifar10Options {
  return { trainLimit: s.trainLimit, testLimit: s.testLimit, seed: s.seed };
}

/**
 * Zoo-model options of the profile: vgg-small takes the profile's widths and dropout, the other models
 * their size in the profile's `zoo` (else their defaults); all but the fixed reference CNN take its seed. `modelOptions(s, extra)` is vgg-small's (pass `lowRank` for the twin).
 */
export function modelOptions(s: ProfileSettings, extra?: Partial<VggSmallOptions>): VggSmallOptions;
export function modelOptions<N extends ModelName>(s: ProfileSettings, model: N, extra?: Partial<ModelOptionsByName[N]>): ModelOptionsByName[N];
export function modelOptions(s: ProfileSettings, modelOrExtra: ModelName | object = {}, extra: object = {}): object {
  const [model, more] = typeof modelOrExtra === "string" ? [modelOrExtra, extra] : ["vgg-small", modelOrExtra];
  if (model === "vgg-small") return { widths: [...s.widths], dropout: s.dropout, seed: s.seed, ...more };
  // The reference CNN is a fixed benchmark network: it takes no options at all.
  return model === "reference-cnn" ? { ...more } : { seed: s.seed, ...(s.zoo[model as ModelName] ?? {}), ...more };
}

/** Options for training the baseline (`epochs`) or the low-rank twin from scratch (`scratch: true`). */
export function trainOptions(s: ProfileSettings, extra: Partial<TrainOptions> & { scratch?: boolean } = {}): TrainOptions {
  const { scratch, ...rest } = extra;
  return {
    epochs: scratch ? s.scratchEpochs : s.epochs,
    batchSize: s.batchSize,
    optimizer: s.optimizer,
    learningRate: s.learningRate,
    momentum: s.momentum,
    nesterov: s.nesterov,
    weightDecay: s.weightDecay,
    lrSchedule: s.lrSchedule,
    warmupEpochs: Math.min(s.warmupEpochs, (scratch ? s.scratchEpochs : s.epochs) - 1),
    augment: s.augment,
    seed: s.seed,
    ...rest,
  };
}

/** What a caller may change in fineTuneOptions: any fine-tune field, and any training field. */
export type FineTuneOverrides = Partial<Omit<FineTuneOptions, "training">> & { training?: Partial<FineTuneTraining> };

/** Options for fineTune: decompose at the profile's speedup (or `plan`), then train at the low rate. */
export function fineTuneOptions(s: ProfileSettings, extra: FineTuneOverrides = {}): FineTuneOptions {
  const { training, ...rest } = extra;
  return {
    plan: { speedup: s.speedup },
    schedule: s.fineTuneSchedule,
    epochs: s.fineTuneEpochs,
    epochsPerLayer: 1,
    stepsPerLayer: s.fineTuneStepsPerLayer,
    ...rest,
    training: {
      batchSize: s.batchSize,
      optimizer: s.optimizer,
      learningRate: s.fineTuneLearningRate,
      momentum: s.momentum,
      nesterov: s.nesterov,
      weightDecay: s.weightDecay,
      lrSchedule: s.fineTuneLrSchedule,
      augment: s.augment,
      seed: s.seed,
      ...training,
    },
  };
}

/**
 * Training options of each all-layers rank-sweep point (rankSweep's `fineTune`): the fine-tune's
 * training for one epoch cut to `sweepFineTuneSteps` steps, without progress output.
 */
export function sweepFineTuneOptions(s: ProfileSettings): TrainOptions {
  return { ...fineTuneOptions(s).training, epochs: 1, learningRate: s.fineTuneLearningRate, maxStepsPerEpoch: s.sweepFineTuneSteps, progress: "none" };
}
