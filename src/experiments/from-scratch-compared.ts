import { join } from "node:path";
import type { Cifar10Split } from "../data";
import { lowRankConvs, type BnPlacement, type RankRule } from "../lowrank";
import { convMacsOf } from "../measure/layer-cost";
import { buildModel, type ModelName } from "../models";
import { modelOptions, trainOptions, type ProfileSettings } from "../profiles";
import { bestEpoch } from "../train/history";
import { train } from "../train/train";
import { trainSeconds } from "./summary";

/** The arms of the comparison: the dense net, and its low-rank twin with BN after the pair (the authors') or also between V and H. */
export const SCRATCH_ARMS = ["dense", "low-rank, BN after", "low-rank, BN between"] as const;
export type ScratchArm = (typeof SCRATCH_ARMS)[number];

const BN_OF: Record<Exclude<ScratchArm, "dense">, BnPlacement> = { "low-rank, BN after": "after", "low-rank, BN between": "between" };

export interface ScratchRow {
  model: ModelName;
  arm: ScratchArm;
  seed: number;
  /** Best test accuracy over the epochs (the paper's figure is such a best), its epoch, and the training accuracy then. */
  bestTestAccuracy: number;
  bestEpoch: number;
  trainAccuracyAtBest: number;
  finalTestAccuracy: number;
  finalTrainAccuracy: number;
  epochs: number;
  stopReason: string;
  params: number;
  /** Multiply-adds per image of every conv. */
  convMacs: number;
  trainSeconds: number;
}

export interface FromScratchOptions {
  /** Default ["vgg-small", "tai-cnn"]. */
  models?: readonly ModelName[];
  /** Default settings.scratchCompare.seeds. */
  seeds?: readonly number[];
  /** The low-rank twins' rank rule per model. Default { speedup: 2 }. */
  rule?: (model: ModelName) => RankRule;
  checkpointsRoot?: string;
  onRow?: (row: ScratchRow) => void;
}

const armKey = (arm: ScratchArm) => arm.replace(/[^a-z]+/g, "-");

/**
 * The paper's second claim, tested so that it can fail: each model dense and as its low-rank twins,
 * trained from scratch with the same schedule, data and seeds, without augmentation, until test accuracy
 * stops improving (settings.scratchCompare). BN is in every arm — the dense nets have it after each conv —
 * so a low-rank win cannot come from BN alone. Each run checkpoints and resumes like the baseline's.
 */
export async function fromScratchCompared(settings: ProfileSettings, data: { train: Cifar10Split; test: Cifar10Split }, options: FromScratchOptions = {}): Promise<ScratchRow[]> {
  const models = options.models ?? ["vgg-small", "tai-cnn"];
  const seeds = options.seeds ?? settings.scratchCompare.seeds;
  const { maxEpochs, patience } = settings.scratchCompare;
  if (!seeds.length || !seeds.every(Number.isInteger)) throw new Error(`fromScratchCompared: seeds must be integers, got [${seeds.join(", ")}].`);
  const rows: ScratchRow[] = [];
  for (const model of models) {
    for (const arm of SCRATCH_ARMS) {
      for (const seed of seeds) {
        const lowRank = arm === "dense" ? undefined : lowRankConvs({ ...(options.rule?.(model) ?? { speedup: 2 }), bn: BN_OF[arm] } as RankRule & { bn: BnPlacement });
        const net = buildModel(model, { ...modelOptions(settings, model), seed, ...(lowRank ? { lowRank } : {}) });
        try {
          const run = await train(net, data, {
            ...trainOptions(settings, { scratch: true }),
            epochs: maxEpochs,
            warmupEpochs: Math.min(settings.warmupEpochs, maxEpochs - 1),
            patience,
            augment: false,
            seed,
            checkpointDir: join(options.checkpointsRoot ?? "checkpoints", `${model}-${settings.profile}`, `scratch-compare-${armKey(arm)}-seed${seed}`),
            resume: true,
            label: `${model} ${arm} seed ${seed}`,
          });
          const best = bestEpoch(run.history);
          const last = run.history[run.history.length - 1];
          if (!best || best.testAccuracy === undefined || !last) throw new Error(`fromScratchCompared: ${model} ${arm} has no evaluated epoch.`);
          const row: ScratchRow = {
            model,
            arm,
            seed,
            bestTestAccuracy: best.testAccuracy,
            bestEpoch: best.epoch,
            trainAccuracyAtBest: best.trainAccuracy,
            finalTestAccuracy: last.testAccuracy ?? NaN,
            finalTrainAccuracy: last.trainAccuracy,
            epochs: run.history.length,
            stopReason: run.stopReason,
            params: net.countParams(),
            convMacs: convMacsOf(net),
            trainSeconds: trainSeconds(run.history),
          };
          rows.push(row);
          options.onRow?.(row);
        } finally {
          net.dispose();
        }
      }
    }
  }
  return rows;
}

/** Mean and spread (max − min) of the best test accuracies of one model and arm. */
export interface ArmStats {
  mean: number;
  spread: number;
  runs: number;
}

export function armStats(rows: readonly ScratchRow[], model: ModelName, arm: ScratchArm): ArmStats | undefined {
  const acc = rows.filter((r) => r.model === model && r.arm === arm).map((r) => r.bestTestAccuracy);
  if (!acc.length) return undefined;
  return { mean: acc.reduce((a, b) => a + b, 0) / acc.length, spread: Math.max(...acc) - Math.min(...acc), runs: acc.length };
}

export type ArmComparison = "beats" | "matches" | "falls short of";

/**
 * A low-rank arm against the dense one, from the seeds' best test accuracies: **beats** when its mean is
 * higher by more than both arms' seed spreads, **matches** when the means differ by no more than that,
 * **falls short of** otherwise.
 */
export function compareArms(rows: readonly ScratchRow[], model: ModelName, arm: ScratchArm): { dense: ArmStats; low: ArmStats; diff: number; word: ArmComparison } | undefined {
  const dense = armStats(rows, model, "dense");
  const low = armStats(rows, model, arm);
  if (!dense || !low) return undefined;
  const margin = Math.max(dense.spread, low.spread);
  const diff = low.mean - dense.mean;
  return { dense, low, diff, word: diff > margin ? "beats" : diff >= -margin ? "matches" : "falls short of" };
}

/** The second claim per model and low-rank arm (compareArms), and how far the dense net overfits. */
export function fromScratchVerdict(rows: readonly ScratchRow[]): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const lines: string[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    if (!armStats(rows, model, "dense")) continue;
    for (const arm of SCRATCH_ARMS.filter((a) => a !== "dense")) {
      const c = compareArms(rows, model, arm);
      if (!c) continue;
      lines.push(
        `${model}, ${arm}: ${pct(c.low.mean)} (spread ${(100 * c.low.spread).toFixed(2)} points over ${c.low.runs} seeds) against dense ${pct(c.dense.mean)} ` +
          `(spread ${(100 * c.dense.spread).toFixed(2)}) — it **${c.word}** the dense net (${c.diff >= 0 ? "+" : ""}${(100 * c.diff).toFixed(2)} points).`,
      );
    }
    const overfit = rows.filter((r) => r.model === model && r.arm === "dense");
    const gap = overfit.reduce((s, r) => s + (r.finalTrainAccuracy - r.finalTestAccuracy), 0) / Math.max(overfit.length, 1);
    lines.push(`${model} dense: training accuracy ends ${(100 * gap).toFixed(1)} points above test accuracy (the overfitting a low-rank constraint could curb).`);
  }
  return lines.length ? lines : ["No model has both a dense and a low-rank arm."];
}
