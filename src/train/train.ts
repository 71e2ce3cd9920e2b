import * as tf from "@tensorflow/tfjs";
import { batches } from "../data";
import type { StepInfo, TrainContext, TrainData, TrainOptions } from "./train-options";
import { lockFolder, type FolderLock } from "../util/folder-lock";
import { copyWeights, jsonSafe, loadCheckpoint, removeIncompleteCheckpoints, saveCheckpoint } from "./checkpoint";
import { fingerprintDifferences, runFingerprint, type RunFingerprint } from "./fingerprint";
import { correctCount, crossEntropy, evaluate, outputsProbabilities } from "./evaluate";
import { bestEpoch, monitorValue, type TrainHistoryRow } from "./history";
import { learningRateAt, resolveSchedule } from "./lr-schedule";
import { disposeOptimizer, graphStepObstacle, learningRateOf, liveOptimizerTensors, makeOptimizer, setLearningRate } from "./optimizer";
import { createProgress } from "../util/progress";
import { yieldToEventLoop } from "../util/event-loop";
import { decaySum } from "./frobenius-decay";
import { FACTOR_DECAYS } from "./train-options";
import { StepRunner, type StepMode } from "./graph-step";

export type { StepInfo, TrainContext, TrainData, TrainOptions } from "./train-options";

export type StopReason = "completed" | "early-stop" | "stop-after-epoch" | "aborted" | "already-complete";

export interface TrainResult {
  /** All epochs, including those restored from a checkpoint. */
  history: TrainHistoryRow[];
  /** First epoch trained by this call (1-based; > 1 after a resume). */
  startEpoch: number;
  stopReason: StopReason;
  /** Epoch with the best test accuracy (else lowest train loss). */
  bestEpoch?: number;
  /** Whether this call's steps ran as one TensorFlow graph each, or op by op and why. */
  stepMode?: StepMode;
}

/** Why the environment keeps every run that does not set `graphStep` op by op, or undefined. */
export function graphStepsTurnedOff(): string | undefined {
  return process.env.LOWRANK_GRAPH_STEP === "off" ? "turned off (LOWRANK_GRAPH_STEP=off)" : undefined;
}

/** Why this run's steps stay op by op whatever the backend, or undefined. */
function graphStepOff(o: TrainOptions, optimizer: tf.Optimizer): string | undefined {
  if (o.graphStep === false) return "turned off (graphStep: false)";
  if (o.graphStep === undefined && graphStepsTurnedOff()) return graphStepsTurnedOff();
  return graphStepObstacle(optimizer);
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}.`);
}

function validate(model: tf.LayersModel, data: TrainData, o: TrainOptions): void {
  checkInt("epochs", o.epochs, 1);
  checkInt("batchSize", o.batchSize, 1);
  checkInt("maxStepsPerEpoch", o.maxStepsPerEpoch, 1);
  checkInt("patience", o.patience, 1);
  checkInt("stopAfterEpoch", o.stopAfterEpoch, 1);
  if (o.epochs === undefined || o.batchSize === undefined) throw new Error("train needs `epochs` and `batchSize`.");
  if (!(o.learningRate > 0)) throw new Error(`learningRate must be > 0, got ${o.learningRate}.`);
  if (!((o.minDelta ?? 0) >= 0)) throw new Error(`minDelta must be ≥ 0, got ${o.minDelta}.`);
  if (!((o.weightDecay ?? 0) >= 0)) throw new Error(`weightDecay must be ≥ 0, got ${o.weightDecay}.`);
  if (o.factorDecay !== undefined && !FACTOR_DECAYS.includes(o.factorDecay)) throw new Error(`factorDecay must be one of ${FACTOR_DECAYS.join(", ")}, got '${String(o.factorDecay)}'.`);
  if (o.scheduleSpan) {
    const { firstEpoch, totalEpochs } = o.scheduleSpan;
    checkInt("scheduleSpan.firstEpoch", firstEpoch, 1);
    checkInt("scheduleSpan.totalEpochs", totalEpochs, 1);
    if (firstEpoch - 1 + o.epochs > totalEpochs) {
      throw new Error(`scheduleSpan: epochs ${firstEpoch}..${firstEpoch - 1 + o.epochs} do not fit in a run of ${totalEpochs} epochs: raise totalEpochs or lower epochs.`);
    }
  }
  if (o.resume && !o.checkpointDir) throw new Error("resume: true needs checkpointDir (the folder the earlier run wrote).");
  resolveSchedule(o.lrSchedule);
  if (!data?.train?.xs) throw new Error("train needs data.train (e.g. from loadCifar10()).");
  if (data.train.size === 0) throw new Error("data.train is empty.");
  // data.train.xs is not touched: it would materialise the whole training set as floats.
  if (data.test) checkShapes(model, data.test.xs, data.test.ys, "data.test");
}

function checkShapes(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, what: string): void {
  const want = model.inputs[0].shape.slice(1).join("×");
  const got = xs.shape.slice(1).join("×");
  if (want !== got) throw new Error(`The model expects inputs ${want} but ${what} images are ${got}.`);
  const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (classes !== ys.shape[1]) throw new Error(`The model outputs ${classes} classes but ${what} labels have ${ys.shape[1]}.`);
}

/** Epoch seed: distinct per epoch, the same when a resumed run replays that epoch. */
const epochSeed = (seed: number, epoch: number): number => (seed * 1_000_003 + epoch * 7_919) >>> 0;

/**
 * Train `model` in place with a custom loop: each step runs `model.apply(xs, { training: true })`
 * (dropout on, batch norm uses batch statistics and updates its moving averages) inside
 * optimizer.minimize, all in one tf.tidy. Evaluates on data.test after each epoch, checkpoints if
 * asked, and returns the per-epoch history.
 */
export async function train(model: tf.LayersModel, data: TrainData, options: TrainOptions): Promise<TrainResult> {
  validate(model, data, options);
  const o = options;
  const seed = o.seed ?? 0;
  const ownsOptimizer = typeof o.optimizer !== "object";
  const optimizer =
    typeof o.optimizer === "object" ? o.optimizer : makeOptimizer({ optimizer: o.optimizer ?? "sgd", learningRate: o.learningRate, momentum: o.momentum, nesterov: o.nesterov });
  const history: TrainHistoryRow[] = [];
  let startEpoch = 1;
  const fingerprint = o.checkpointDir ? runFingerprint(model, data, o) : undefined;
  let lock: FolderLock | undefined;

  try {
    if (o.checkpointDir) {
      lock = lockFolder(o.checkpointDir, `training ${model.name}`);
      removeIncompleteCheckpoints(o.checkpointDir); // what a killed run was writing
    }
    if (o.resume && o.checkpointDir) {
      const ckpt = await loadCheckpoint(o.checkpointDir);
      if (ckpt) {
        try {
          checkFingerprint(ckpt.path, ckpt.state.fingerprint, fingerprint as RunFingerprint);
          copyWeights(ckpt.model, model, `the checkpoint in ${ckpt.path}`);
          const want = optimizer.getClassName();
          if (ckpt.state.optimizer.className !== want) {
            throw new Error(`The checkpoint in ${ckpt.path} was trained with ${ckpt.state.optimizer.className}, not ${want}: use the same optimizer to resume.`);
          }
          // setWeights replaces an optimizer's state without freeing it: free what a used optimizer holds first.
          tf.dispose((await optimizer.getWeights()).map((w) => w.tensor));
          await optimizer.setWeights(ckpt.optimizerWeights);
          history.push(...ckpt.state.history);
          startEpoch = ckpt.state.epoch + 1;
        } finally {
          ckpt.dispose();
        }
      }
    }
    if (startEpoch > o.epochs) return { history, startEpoch, stopReason: "already-complete", bestEpoch: best(history) };
    const result = await runEpochs(model, data, o, optimizer, history, startEpoch, seed, fingerprint);
    return result;
  } finally {
    lock?.release();
    if (ownsOptimizer) disposeOptimizer(optimizer);
  }
}

/** Thrown when a checkpoint was made by a run with other settings than the one asking to resume it. */
export class CheckpointMismatchError extends Error {
  constructor(
    readonly checkpoint: string,
    readonly differences: string[],
  ) {
    super(
      `The checkpoint in ${checkpoint} was made with other settings: ${differences.join("; ")}. Resuming or reusing it would mix the two runs. ` +
        "Train afresh with resume: false (npm start: --retrain; notebooks: RETRAIN = true), which overwrites it, or use another checkpoint folder (npm start: --checkpoints <dir>).",
    );
    this.name = "CheckpointMismatchError";
  }
}

function checkFingerprint(path: string, saved: RunFingerprint | undefined, now: RunFingerprint): void {
  if (!saved) throw new CheckpointMismatchError(path, ["it was written by an earlier version that did not record its settings"]);
  const differences = fingerprintDifferences(saved, now);
  if (differences.length) throw new CheckpointMismatchError(path, differences);
}

const best = (history: TrainHistoryRow[]): number | undefined => bestEpoch(history)?.epoch;

async function runEpochs(
  model: tf.LayersModel,
  data: TrainData,
  o: TrainOptions,
  optimizer: tf.Optimizer,
  history: TrainHistoryRow[],
  startEpoch: number,
  seed: number,
  fingerprint: RunFingerprint | undefined,
): Promise<TrainResult> {
  const probabilities = outputsProbabilities(model);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const wd = o.weightDecay ?? 0;
  const decay = wd > 0 ? decaySum(model, o.factorDecay) : undefined;
  // Epochs before this call's first in the whole run (a hybrid's low-rank phase continues its dense phase).
  const offset = (o.scheduleSpan?.firstEpoch ?? 1) - 1;
  const n = data.train.size;
  const fullSteps = Math.ceil(n / o.batchSize);
  const stepsPerEpoch = Math.min(fullSteps, o.maxStepsPerEpoch ?? fullSteps);
  const schedule = {
    learningRate: o.learningRate,
    schedule: o.lrSchedule,
    warmupEpochs: o.warmupEpochs,
    per: o.lrUpdate ?? "step",
    epochs: o.scheduleSpan?.totalEpochs ?? o.epochs,
    stepsPerEpoch,
  } as const;
  const doEval = (o.evaluateEachEpoch ?? true) && data.test !== undefined;
  const progress = createProgress({ mode: o.progress, label: o.label });
  const savedOptions = jsonSafe({ ...o, optimizer: typeof o.optimizer === "object" ? o.optimizer.getClassName() : o.optimizer ?? "sgd" });

  // One optimizer step; returns [mean cross-entropy, correct count] as scalars.
  const step = (xs: tf.Tensor, ys: tf.Tensor): tf.Tensor[] => {
    const kept: { ce?: tf.Scalar; correct?: tf.Scalar } = {};
    const cost = optimizer.minimize(
      () => {
        const out = model.apply(xs, { training: true }) as tf.Tensor;
        const ce = crossEntropy(ys, out, probabilities);
        // Kept past minimize's own tidy (reported without the decay term).
        kept.ce = tf.keep(ce);
        kept.correct = tf.keep(correctCount(ys, out));
        if (!decay) return ce;
        return tf.add(ce, tf.mul(decay(), wd / 2)) as tf.Scalar;
      },
      true,
      variables,
    );
    // Without decay the cost is the kept cross-entropy itself.
    if (cost !== kept.ce) tf.dispose(cost as tf.Scalar);
    return [kept.ce as tf.Scalar, kept.correct as tf.Scalar];
  };
  const runner = new StepRunner(step, liveOptimizerTensors(optimizer), graphStepOff(o, optimizer));
  const loop = async (): Promise<TrainResult> => {
    // After a resume: replay the restored epochs through the rule below, so patience carries over.
    let bestValue = Number.NEGATIVE_INFINITY;
    let sinceBest = 0;
    for (const row of history) {
      if (monitorValue(row) > bestValue + (o.minDelta ?? 0)) [bestValue, sinceBest] = [monitorValue(row), 0];
      else sinceBest++;
    }
    // A run that had stopped early is complete: resuming it must not train past its stop.
    if (o.patience !== undefined && history.length > 0 && sinceBest >= o.patience) return { history, startEpoch, stopReason: "already-complete", bestEpoch: best(history) };
    if (o.stopAfterEpoch !== undefined && o.stopAfterEpoch < startEpoch) return { history, startEpoch, stopReason: "stop-after-epoch", bestEpoch: best(history) };

    for (let epoch = startEpoch; epoch <= o.epochs; epoch++) {
      if (o.signal?.aborted) return { history, startEpoch, stopReason: "aborted", bestEpoch: best(history) };
      const ctx: TrainContext = { model, optimizer, epoch };
      await o.onEpochStart?.(ctx);
      const bar = progress.epoch(epoch, o.epochs, stepsPerEpoch);
      let lossSum = 0;
      let correctSum = 0;
      let images = 0;
      let steps = 0;
      let lr = learningRateOf(optimizer);
      let aborted = false;
      const t0 = performance.now();
      for (const batch of batches(data.train, { batchSize: o.batchSize, shuffle: o.shuffle ?? true, augment: o.augment ?? false, seed: epochSeed(seed, offset + epoch) })) {
        if (steps >= stepsPerEpoch || o.signal?.aborted) {
          tf.dispose([batch.xs, batch.ys]);
          aborted = o.signal?.aborted ?? false;
          break;
        }
        lr = learningRateAt(schedule, offset + epoch - 1, steps);
        setLearningRate(optimizer, lr);
        const size = batch.xs.shape[0];
        let loss: number;
        let correct: number;
        try {
          if (steps === 0) checkShapes(model, batch.xs, batch.ys, "data.train");
          [loss, correct] = runner.run(batch.xs, batch.ys);
        } finally {
          tf.dispose([batch.xs, batch.ys]);
        }
        if (!Number.isFinite(loss)) {
          bar.end("stopped");
          throw new Error(`Training diverged at epoch ${epoch}, step ${steps + 1} (loss ${loss}): lower learningRate (now ${lr}) or add warm-up.`);
        }
        steps++;
        lossSum += loss * size;
        correctSum += correct;
        images += size;
        o.onStep?.({ epoch, step: steps, loss, lr, stepsPerEpoch });
        const seconds = (performance.now() - t0) / 1000;
        bar.update(steps, { loss: lossSum / images, accuracy: correctSum / images, imagesPerSecond: images / seconds, lr });
        await yieldToEventLoop();
      }
      const seconds = (performance.now() - t0) / 1000;
      if (aborted || o.signal?.aborted) {
        bar.end("aborted");
        return { history, startEpoch, stopReason: "aborted", bestEpoch: best(history) };
      }
      const row: TrainHistoryRow = {
        epoch,
        trainLoss: lossSum / images,
        trainAccuracy: correctSum / images,
        seconds,
        imagesPerSecond: images / seconds,
        lr,
      };
      if (doEval && data.test) {
        const ev = evaluate(model, data.test, o.evalBatchSize ?? 256);
        row.testLoss = ev.loss;
        row.testAccuracy = ev.accuracy;
      }
      bar.end(row.testAccuracy !== undefined ? `test loss ${row.testLoss?.toFixed(4)} · test acc ${(100 * row.testAccuracy).toFixed(2)}%` : "");
      history.push(row);
      if (o.checkpointDir) {
        await saveCheckpoint(
          o.checkpointDir,
          { model, optimizer, state: { epoch, history, options: savedOptions, fingerprint } },
          o.keepCheckpoints ?? 1,
        );
      }
      await o.onEpochEnd?.(row, ctx);

      if (monitorValue(row) > bestValue + (o.minDelta ?? 0)) {
        bestValue = monitorValue(row);
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      if (o.patience !== undefined && sinceBest >= o.patience && epoch < o.epochs) {
        return { history, startEpoch, stopReason: "early-stop", bestEpoch: best(history) };
      }
      if (o.stopAfterEpoch !== undefined && epoch >= o.stopAfterEpoch && epoch < o.epochs) {
        return { history, startEpoch, stopReason: "stop-after-epoch", bestEpoch: best(history) };
      }
    }
    return { history, startEpoch, stopReason: "completed", bestEpoch: best(history) };
  };
  try {
    const result = await loop();
    return { ...result, stepMode: runner.stepMode };
  } finally {
    runner.dispose();
  }
}
