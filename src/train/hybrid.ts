import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { decomposeModel, type DecompositionPlan } from "../lowrank";
import type { TrainHistoryRow } from "./history";
import { disposeOptimizer, makeOptimizer } from "./optimizer";
import { train, type TrainResult } from "./train";
import type { TrainData, TrainOptions } from "./train-options";

export interface HybridOptions extends Omit<TrainOptions, "optimizer" | "scheduleSpan"> {
  /** The optimizer is made twice (once per phase), so only a name is taken. Default "sgd". */
  optimizer?: "sgd" | "adam";
  /** Dense epochs before the switch: 1 ≤ switchEpoch < epochs. `epochs` is the whole run. */
  switchEpoch: number;
  /** The low-rank network after the switch: Tai's closed form of the trained dense kernels with these ranks. */
  plan: DecompositionPlan;
}

export interface HybridResult {
  /** The low-rank network, trained after the switch; the caller disposes it (and still owns the dense one). */
  model: tf.LayersModel;
  dense: TrainResult;
  lowRank: TrainResult;
  /** The whole run's epochs, numbered 1…: the dense phase, then the low-rank phase. */
  history: TrainHistoryRow[];
  /** How the optimizer state crossed the switch. */
  carried: MomentumCarry;
}

export interface MomentumCarry {
  /** Variables whose SGD momentum was carried over (same layer and weight, same shape). */
  carried: number;
  /** Variables that start with zero momentum: the new factors. */
  fresh: number;
}

/**
 * Hand the dense phase's SGD momentum to the low-rank phase's optimizer: every variable that survives the
 * switch unchanged (BN, dense layers, convs left dense: same layer/weight name and shape) keeps its
 * velocity and the iteration count carries on; the new factors start at zero, since the dense kernel's
 * velocity has no counterpart in factor space. Other optimizers start afresh.
 */
export async function carryMomentum(from: tf.Optimizer, fromModel: tf.LayersModel, to: tf.Optimizer, toModel: tf.LayersModel): Promise<MomentumCarry> {
  if (from.getClassName() !== "Momentum" || to.getClassName() !== "Momentum") return { carried: 0, fresh: toModel.trainableWeights.length };
  const [iter, ...accumulators] = await from.getWeights();
  const byVariable = new Map(accumulators.map((w) => [w.name.replace(/\/momentum$/, ""), w.tensor]));
  const byWeight = new Map(fromModel.trainableWeights.map((w) => [w.originalName, byVariable.get(w.name)]));
  let carried = 0;
  const next = toModel.trainableWeights.map((w) => {
    const old = byWeight.get(w.originalName);
    const same = old !== undefined && old.shape.length === w.shape.length && old.shape.every((s, i) => s === w.shape[i]);
    if (same) carried++;
    return { name: `${w.name}/momentum`, tensor: same ? old.clone() : tf.zeros(w.shape as number[]) };
  });
  try {
    await to.setWeights([iter, ...next]); // copies into the optimizer's own variables
  } finally {
    tf.dispose([iter.tensor, ...next.map((n) => n.tensor)]);
  }
  return { carried, fresh: next.length - carried };
}

/**
 * Hybrid training (Pufferfish, Wang et al. 2021): train the dense `model` for `switchEpoch` epochs, turn it
 * into its low-rank network by Tai's closed form (`plan`), and train that for the rest of the run. One
 * learning-rate schedule and data order span both phases (scheduleSpan); early stopping (`patience`)
 * watches the low-rank phase only. With `checkpointDir`, each phase checkpoints in its own subfolder
 * (dense/, low-rank/) and a resumed run picks up where it stopped.
 */
export async function trainHybrid(model: tf.LayersModel, data: TrainData, o: HybridOptions): Promise<HybridResult> {
  if (!(Number.isInteger(o.switchEpoch) && o.switchEpoch >= 1 && o.switchEpoch < o.epochs)) {
    throw new Error(`trainHybrid: switchEpoch must be an integer in [1, epochs − 1] = [1, ${o.epochs - 1}], got ${o.switchEpoch}: the run needs dense epochs and low-rank epochs.`);
  }
  if (typeof o.optimizer === "object") throw new Error("trainHybrid makes one optimizer per phase: pass its name (\"sgd\" or \"adam\"), not an instance.");
  const { switchEpoch, plan, ...rest } = o;
  const make = () => makeOptimizer({ optimizer: o.optimizer ?? "sgd", learningRate: o.learningRate, momentum: o.momentum, nesterov: o.nesterov });
  const denseOptimizer = make();
  let lowOptimizer: tf.Optimizer | undefined;
  let lowModel: tf.LayersModel | undefined;
  try {
    const dense = await train(model, data, {
      ...rest,
      optimizer: denseOptimizer,
      epochs: switchEpoch,
      patience: undefined,
      stopAfterEpoch: o.stopAfterEpoch !== undefined && o.stopAfterEpoch < switchEpoch ? o.stopAfterEpoch : undefined,
      scheduleSpan: { firstEpoch: 1, totalEpochs: o.epochs },
      checkpointDir: o.checkpointDir && join(o.checkpointDir, "dense"),
      label: `${o.label ?? model.name} dense`,
    });
    if (dense.stopReason === "aborted" || dense.stopReason === "stop-after-epoch") {
      throw new Error(`trainHybrid: the dense phase stopped at epoch ${dense.history.length} of ${switchEpoch} (${dense.stopReason}); resume it with the same checkpointDir.`);
    }
    lowModel = decomposeModel(model, plan);
    lowOptimizer = make();
    const carried = await carryMomentum(denseOptimizer, model, lowOptimizer, lowModel);
    const lowRank = await train(lowModel, data, {
      ...rest,
      optimizer: lowOptimizer,
      epochs: o.epochs - switchEpoch,
      stopAfterEpoch: o.stopAfterEpoch !== undefined ? Math.max(1, o.stopAfterEpoch - switchEpoch) : undefined,
      scheduleSpan: { firstEpoch: switchEpoch + 1, totalEpochs: o.epochs },
      checkpointDir: o.checkpointDir && join(o.checkpointDir, "low-rank"),
      label: `${o.label ?? model.name} low-rank`,
    });
    const history = [...dense.history, ...lowRank.history.map((r) => ({ ...r, epoch: r.epoch + switchEpoch }))];
    const result = { model: lowModel, dense, lowRank, history, carried };
    lowModel = undefined;
    return result;
  } finally {
    lowModel?.dispose();
    disposeOptimizer(denseOptimizer);
    if (lowOptimizer) disposeOptimizer(lowOptimizer);
  }
}
