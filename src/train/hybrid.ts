import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  decomposeModelWithReport,
  eligibleConvLayers,
  kernelOfLayer,
  kernelSizeOfLayer,
  largestStableRankChange,
  maxRank,
  scaledStableRank,
  singularValuesOfKernel,
  stableRank,
  theoreticalSpeedup,
  convSpecIfSized,
  type DecompositionPlan,
} from "../lowrank";
import { writeFileAtomic } from "../util/atomic-write";
import type { TrainHistoryRow } from "./history";
import { disposeOptimizer, makeOptimizer } from "./optimizer";
import { train, type TrainResult } from "./train";
import type { TrainData, TrainOptions } from "./train-options";

export interface HybridOptions extends Omit<TrainOptions, "optimizer" | "scheduleSpan"> {
  /** The optimizer is made twice (once per phase), so only a name is taken. Default "sgd". */
  optimizer?: "sgd" | "adam";
  /**
   * Dense epochs before the switch, 1 ≤ switchEpoch < epochs (`epochs` is the whole run); or "auto": switch
   * once the convs' stable ranks settle (autoSwitch), as Cuttlefish does.
   */
  switchEpoch: number | "auto";
  autoSwitch?: AutoSwitchOptions;
  /**
   * The low-rank network after the switch: Tai's closed form of the trained dense kernels with the plan's
   * ranks (leave a layer out of { ranks } or { layers } to keep it dense), or "stable-rank": Cuttlefish's
   * ranks, each conv's stable rank at the switch scaled by full rank / its stable rank at initialisation
   * (a conv whose pair at that rank would not cost fewer multiply-adds stays dense; when none would, the
   * run goes on dense and `ranks` is empty).
   */
  plan: DecompositionPlan | "stable-rank";
  /** With plan "stable-rank": convs kept dense (Pufferfish and Cuttlefish keep the first ones). Default []. */
  keepDense?: readonly string[];
}

export interface AutoSwitchOptions {
  /** Switch after the first epoch at which no conv's stable rank moved by more than this fraction since the epoch before. Default 0.05 (our choice). */
  tolerance?: number;
  /** Switch after this epoch at the latest. Default epochs − 1. */
  maxEpoch?: number;
}

/** The dense phase's stable ranks and the switch, kept in <checkpointDir>/switch.json so a resumed run decides alike. */
export interface SwitchRecord {
  atInit: Record<string, number>;
  byEpoch: { epoch: number; stableRanks: Record<string, number> }[];
  switchedAt?: number;
  ranks?: Record<string, number>;
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
  /** The last dense epoch. */
  switchedAt: number;
  /** The low-rank convs' ranks after the switch. */
  ranks: Record<string, number>;
  /** Stable ranks of the tracked convs at initialisation and after each dense epoch (auto switch or stable-rank plan). */
  stableRanks?: SwitchRecord;
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

/** The convs whose stable rank is tracked: every d×d conv (d > 1) the closed form can take, but `keepDense`. */
function trackedConvs(model: tf.LayersModel, keepDense: readonly string[]): tf.layers.Layer[] {
  return eligibleConvLayers(model).filter((l) => !keepDense.includes(l.name) && kernelOfLayer(l).shape.slice(0, 2).some((d) => d > 1));
}

function stableRanksOf(layers: readonly tf.layers.Layer[]): Record<string, number> {
  return Object.fromEntries(layers.map((l) => [l.name, stableRank(singularValuesOfKernel(kernelOfLayer(l)))]));
}

function readSwitchRecord(dir: string | undefined): SwitchRecord | undefined {
  const path = dir && join(dir, "switch.json");
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as SwitchRecord;
  } catch (err) {
    throw new Error(`${path} is unreadable (${(err as Error).message}): delete ${dir} to train the hybrid run afresh.`);
  }
}

/**
 * Hybrid training (Pufferfish, Wang et al. 2021): train the dense `model` for `switchEpoch` epochs — or,
 * with "auto", until its convs' stable ranks settle (Cuttlefish, Wang et al. 2023) — turn it into its
 * low-rank network by Tai's closed form (`plan`), and train that for the rest of the run. One
 * learning-rate schedule and data order span both phases (scheduleSpan); early stopping (`patience`)
 * watches the low-rank phase only. With `checkpointDir`, each phase checkpoints in its own subfolder
 * (dense/, low-rank/), the switch is recorded in switch.json, and a resumed run picks up where it stopped.
 */
export async function trainHybrid(model: tf.LayersModel, data: TrainData, o: HybridOptions): Promise<HybridResult> {
  const auto = o.switchEpoch === "auto";
  const maxDense = auto ? (o.autoSwitch?.maxEpoch ?? o.epochs - 1) : (o.switchEpoch as number);
  if (!(Number.isInteger(maxDense) && maxDense >= 1 && maxDense < o.epochs)) {
    const what = auto ? `autoSwitch.maxEpoch must be an integer in [1, epochs − 1] = [1, ${o.epochs - 1}], got ${maxDense}` : `switchEpoch must be an integer in [1, epochs − 1] = [1, ${o.epochs - 1}], got ${o.switchEpoch}`;
    throw new Error(`trainHybrid: ${what}: the run needs dense epochs and low-rank epochs.`);
  }
  const tolerance = o.autoSwitch?.tolerance ?? 0.05;
  if (!(tolerance > 0)) throw new Error(`trainHybrid: autoSwitch.tolerance must be > 0, got ${tolerance}.`);
  if (typeof o.optimizer === "object") throw new Error("trainHybrid makes one optimizer per phase: pass its name (\"sgd\" or \"adam\"), not an instance.");
  const { switchEpoch: _switch, autoSwitch: _auto, keepDense = [], plan, fingerprintExtra, ...rest } = o;
  // The switch's settings live outside the loop's options: both phases' checkpoints record them.
  const extra = { ...fingerprintExtra, hybrid: { switchEpoch: o.switchEpoch, autoSwitch: o.autoSwitch ?? null, keepDense, plan } };
  const tracking = auto || plan === "stable-rank";
  const tracked = tracking ? trackedConvs(model, keepDense) : [];
  if (tracking && !tracked.length) throw new Error(`trainHybrid: ${model.name} has no d×d conv (d > 1) left to track${keepDense.length ? ` once ${keepDense.join(", ")} stay dense` : ""}.`);
  const denseDir = o.checkpointDir && join(o.checkpointDir, "dense");
  // The model is fresh here, so its stable ranks are those at initialisation, in a resumed run too.
  // A fresh run (resume off) decides afresh, whatever an earlier run in the folder recorded.
  const record: SwitchRecord = (o.resume ? readSwitchRecord(o.checkpointDir) : undefined) ?? { atInit: tracking ? stableRanksOf(tracked) : {}, byEpoch: [] };
  const save = () => {
    if (!o.checkpointDir) return;
    mkdirSync(o.checkpointDir, { recursive: true });
    writeFileAtomic(join(o.checkpointDir, "switch.json"), `${JSON.stringify(record, null, 1)}\n`);
  };
  const settle = new AbortController();
  const onAbort = () => settle.abort();
  o.signal?.addEventListener("abort", onAbort);
  const make = () => makeOptimizer({ optimizer: o.optimizer ?? "sgd", learningRate: o.learningRate, momentum: o.momentum, nesterov: o.nesterov });
  const denseOptimizer = make();
  let lowOptimizer: tf.Optimizer | undefined;
  let lowModel: tf.LayersModel | undefined;
  try {
    const stopAfter = record.switchedAt ?? (o.stopAfterEpoch !== undefined && o.stopAfterEpoch < maxDense ? o.stopAfterEpoch : undefined);
    const dense = await train(model, data, {
      ...rest,
      optimizer: denseOptimizer,
      epochs: maxDense,
      patience: undefined,
      stopAfterEpoch: stopAfter,
      scheduleSpan: { firstEpoch: 1, totalEpochs: o.epochs },
      fingerprintExtra: extra,
      checkpointDir: denseDir,
      signal: settle.signal,
      label: `${o.label ?? model.name} dense`,
      onEpochEnd: async (row, ctx) => {
        await o.onEpochEnd?.(row, ctx);
        if (!tracking) return;
        const now = stableRanksOf(tracked);
        record.byEpoch = [...record.byEpoch.filter((e) => e.epoch < row.epoch), { epoch: row.epoch, stableRanks: now }];
        const before = row.epoch === 1 ? undefined : record.byEpoch.find((e) => e.epoch === row.epoch - 1)?.stableRanks;
        if (auto && before && largestStableRankChange(before, now) <= tolerance) {
          record.switchedAt = row.epoch;
          settle.abort(); // train stops before the next epoch
        }
        save();
      },
    });
    if (o.signal?.aborted || (dense.stopReason === "stop-after-epoch" && record.switchedAt === undefined)) {
      throw new Error(`trainHybrid: the dense phase stopped at epoch ${dense.history.length} of at most ${maxDense} (${o.signal?.aborted ? "aborted" : "stop-after-epoch"}); resume it with the same checkpointDir.`);
    }
    const switchedAt = dense.history.length;
    record.switchedAt = switchedAt;
    let ranks: Record<string, number>;
    if (plan === "stable-rank") {
      const last = record.byEpoch.find((e) => e.epoch === switchedAt)?.stableRanks ?? stableRanksOf(tracked);
      // A pair that would cost as much as the dense conv saves nothing: that conv stays dense (our choice).
      ranks = Object.fromEntries(
        tracked
          .map((l) => [l, scaledStableRank(last[l.name], record.atInit[l.name], maxRank(kernelSizeOfLayer(l)))] as const)
          .filter(([l, rank]) => theoreticalSpeedup(convSpecIfSized(l) ?? { ...kernelSizeOfLayer(l), inH: 1, inW: 1, strideH: 1, strideW: 1, padding: "same" }, rank) > 1)
          .map(([l, rank]) => [l.name, rank]),
      );
    }
    const decomposition = decomposeModelWithReport(model, plan === "stable-rank" ? { ranks: ranks! } : plan);
    lowModel = decomposition.model;
    ranks = Object.fromEntries(decomposition.layers.map((l) => [l.name, l.rank as number]));
    record.ranks = ranks;
    save();
    lowOptimizer = make();
    // A low-rank phase resumed from its own checkpoint restores the optimizer state saved there instead.
    const carried = await carryMomentum(denseOptimizer, model, lowOptimizer, lowModel);
    const lowRank = await train(lowModel, data, {
      ...rest,
      optimizer: lowOptimizer,
      epochs: o.epochs - switchedAt,
      stopAfterEpoch: o.stopAfterEpoch !== undefined ? Math.max(1, o.stopAfterEpoch - switchedAt) : undefined,
      scheduleSpan: { firstEpoch: switchedAt + 1, totalEpochs: o.epochs },
      fingerprintExtra: extra,
      checkpointDir: o.checkpointDir && join(o.checkpointDir, "low-rank"),
      label: `${o.label ?? model.name} low-rank`,
    });
    const history = [...dense.history, ...lowRank.history.map((r) => ({ ...r, epoch: r.epoch + switchedAt }))];
    const result: HybridResult = { model: lowModel, dense, lowRank, history, carried, switchedAt, ranks, ...(tracking ? { stableRanks: record } : {}) };
    lowModel = undefined;
    return result;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    lowModel?.dispose();
    disposeOptimizer(denseOptimizer);
    if (lowOptimizer) disposeOptimizer(lowOptimizer);
  }
}
