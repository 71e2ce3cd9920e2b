/** What train() takes: the data, the options and the callbacks' arguments (kept apart so checkpoints and fingerprints need not import the loop). */
import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import type { TrainHistoryRow } from "./history";
import type { LrScheduleKind, LrScheduleSpec } from "./lr-schedule";
import type { OptimizerName } from "./optimizer";
import type { ProgressMode } from "../util/progress";

export type FactorDecay = "l2" | "frobenius";
export const FACTOR_DECAYS: readonly FactorDecay[] = ["l2", "frobenius"];

export interface TrainData {
  train: Cifar10Split;
  /** Evaluated after every epoch when present (the history's test columns). */
  test?: Cifar10Split;
}

/** What callbacks get: the live model and optimizer (read them; don't dispose them). */
export interface TrainContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  /** 1-based epoch. */
  epoch: number;
}

export interface StepInfo {
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  loss: number;
  lr: number;
  /** Steps this epoch will take (so a callback can act on the last one, before evaluation). */
  stepsPerEpoch: number;
}

/** Where a call to train sits in a longer run that other calls (or another model) share, e.g. a hybrid's dense and low-rank phases. */
export interface ScheduleSpan {
  /** The run's epoch (1-based) this call's first epoch is. */
  firstEpoch: number;
  /** The whole run's epochs: the learning-rate schedule and warm-up span these. */
  totalEpochs: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** A name (train makes the optimizer and disposes it at the end) or an optimizer you own. Default "sgd". */
  optimizer?: OptimizerName | tf.Optimizer;
  /** SGD momentum, default 0.9. */
  momentum?: number;
  /** Nesterov momentum for SGD. Default false. */
  nesterov?: boolean;
  /** L2 penalty ½·wd·‖W‖² on kernels (weights of rank ≥ 2; not biases or BN). Default 0. */
  weightDecay?: number;
  /**
   * How weightDecay treats a LowRankConv2D's factors V and H: "l2" (default) decays each factor,
   * "frobenius" decays the kernel they compute instead, ½·wd·‖V·H‖²_F (Khodak et al. 2021).
   */
  factorDecay?: FactorDecay;
  /** This call trains part of a longer run: schedule, warm-up and data order follow that run. Default: the call is the whole run. */
  scheduleSpan?: ScheduleSpan;
  /**
   * What else shapes this run and lives outside these options (a recipe, a projection done in onStep…):
   * recorded in the checkpoint's fingerprint, so a run with other values never resumes this one.
   */
  fingerprintExtra?: Record<string, unknown>;
  lrSchedule?: LrScheduleSpec | LrScheduleKind;
  /** Linear warm-up in epochs. Default 0. */
  warmupEpochs?: number;
  /** Update the rate every "step" or every "epoch". Default "step". */
  lrUpdate?: "step" | "epoch";
  /** Random crop + flip (src/data). Default false. */
  augment?: boolean;
  /** Default true. */
  shuffle?: boolean;
  /** Seeds shuffling and augmentation (epoch e uses a seed derived from seed and e, so resumes replay). */
  seed?: number;
  /** Evaluate on data.test after every epoch. Default true when data.test is given. */
  evaluateEachEpoch?: boolean;
  evalBatchSize?: number;
  /** Stop when test accuracy (else train loss) has not improved for this many epochs. */
  patience?: number;
  /** Smallest rise of the monitored value that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Cap on steps per epoch (short runs, tests). */
  maxStepsPerEpoch?: number;
  /**
   * Run steps as one TensorFlow graph each once traced (tensorflow backend, SGD or momentum; train/graph-step.ts).
   * Default true, unless the environment sets LOWRANK_GRAPH_STEP=off. Same ops and values as op by op.
   */
  graphStep?: boolean;
  /** Write a checkpoint after every epoch into this folder. */
  checkpointDir?: string;
  /** Continue from checkpointDir's last complete epoch (weights, optimizer state, history). */
  resume?: boolean;
  /** Epoch checkpoints kept on disk. Default 1. */
  keepCheckpoints?: number;
  /** Stop after this epoch (1-based) as if killed: for staged runs and resume tests. A run resumed past it trains nothing. */
  stopAfterEpoch?: number;
  /** Abort between steps; the partial epoch is discarded (resume restarts it). */
  signal?: AbortSignal;
  progress?: ProgressMode;
  /** Prefix of progress lines. */
  label?: string;
  onStep?: (info: StepInfo) => void;
  onEpochStart?: (ctx: TrainContext) => void | Promise<void>;
  onEpochEnd?: (row: TrainHistoryRow, ctx: TrainContext) => void | Promise<void>;
}
