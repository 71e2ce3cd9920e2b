import { join } from "node:path";
import type { Cifar10Split } from "../data";
import type { BnPlacement, RankRule } from "../lowrank";
import { convMacsOf } from "../measure/layer-cost";
import { buildModel, type ModelName } from "../models";
import { modelOptions, trainOptions, type ProfileSettings } from "../profiles";
import { bestEpoch } from "../train/history";
import { train, type TrainOptions } from "../train/train";
import { trainLowRankRecipe, type RecipeRun, type ScratchRecipe } from "./scratch-recipes";
import { trainSeconds } from "./summary";

/**
 * The arms of the comparison, at the multiply-adds of one low-rank twin: the dense net; the twin trained
 * from scratch with BN after the pair (the authors' recipe) or also between V and H; and the later recipes
 * of issue 14 (experiments/scratch-recipes.ts): spectral initialisation + Frobenius decay, hybrid
 * dense → low-rank, Trained Rank Pruning.
 */
export const SCRATCH_ARMS = ["dense", "low-rank, BN after", "low-rank, BN between", "low-rank, SI + FD", "hybrid", "TRP"] as const;
export type ScratchArm = (typeof SCRATCH_ARMS)[number];

const RECIPE_OF: Record<Exclude<ScratchArm, "dense">, { recipe: ScratchRecipe; bn: BnPlacement }> = {
  "low-rank, BN after": { recipe: "paper", bn: "after" },
  "low-rank, BN between": { recipe: "paper", bn: "between" },
  "low-rank, SI + FD": { recipe: "spectral-frobenius", bn: "after" },
  hybrid: { recipe: "hybrid", bn: "after" },
  TRP: { recipe: "trp", bn: "after" },
};

export function checkArms(arms: readonly string[]): asserts arms is readonly ScratchArm[] {
  const unknown = arms.filter((a) => !SCRATCH_ARMS.includes(a as ScratchArm));
  if (unknown.length || !arms.length) throw new Error(`Unknown or no from-scratch arm(s) ${unknown.map((a) => `'${a}'`).join(", ")}: the arms are ${SCRATCH_ARMS.map((a) => `'${a}'`).join(", ")}.`);
}

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
  /** Test accuracy after each epoch (the training curve). */
  testAccuracyByEpoch: number[];
  /** First epoch whose network was low-rank (a hybrid's switch + 1; otherwise 1). */
  lowRankFrom: number;
}

export interface FromScratchOptions {
  /** Default ["vgg-small", "tai-cnn"]. */
  models?: readonly ModelName[];
  /** Default settings.scratchCompare.seeds. */
  seeds?: readonly number[];
  /** Default SCRATCH_ARMS (all); "dense" is the reference every verdict needs. */
  arms?: readonly ScratchArm[];
  /** The low-rank twins' rank rule per model. Default { speedup: 2 }. */
  rule?: (model: ModelName) => RankRule;
  checkpointsRoot?: string;
  /** Rows of runs already done (e.g. by an unfinished reproduction on another machine): returned as they are, not trained again. */
  finished?: readonly ScratchRow[];
  /** Each row as it is done; `reused`: it came from `finished`. */
  onRow?: (row: ScratchRow, reused: boolean) => void;
}

const armKey = (arm: ScratchArm) => arm.toLowerCase().replace(/[^a-z]+/g, "-");

/**
 * The paper's second claim, tested so that it can fail: each model dense and as its low-rank twins,
 * trained from scratch with the same schedule, data and seeds, without augmentation, for the whole schedule
 * (settings.scratchCompare; each run's best epoch is its result). BN is in every arm — the dense nets have it after each conv —
 * so a low-rank win cannot come from BN alone. Each run checkpoints and resumes like the baseline's.
 */
export async function fromScratchCompared(settings: ProfileSettings, data: { train: Cifar10Split; test: Cifar10Split }, options: FromScratchOptions = {}): Promise<ScratchRow[]> {
  const models = options.models ?? ["vgg-small", "tai-cnn"];
  const seeds = options.seeds ?? settings.scratchCompare.seeds;
  const { maxEpochs, patience } = settings.scratchCompare;
  if (!seeds.length || !seeds.every(Number.isInteger)) throw new Error(`fromScratchCompared: seeds must be integers, got [${seeds.join(", ")}].`);
  const arms = options.arms ?? SCRATCH_ARMS;
  checkArms(arms);
  const rows: ScratchRow[] = [];
  for (const model of models) {
    for (const arm of arms) {
      for (const seed of seeds) {
        const earlier = options.finished?.find((r) => r.model === model && r.arm === arm && r.seed === seed);
        if (earlier) {
          rows.push(earlier);
          options.onRow?.(earlier, true);
          continue;
        }
        const run: TrainOptions = {
          ...trainOptions(settings, { scratch: true }),
          epochs: maxEpochs,
          warmupEpochs: Math.min(settings.warmupEpochs, maxEpochs - 1),
          patience,
          augment: false,
          seed,
          checkpointDir: join(options.checkpointsRoot ?? "checkpoints", `${model}-${settings.profile}`, `scratch-compare-${armKey(arm)}-seed${seed}`),
          resume: true,
          label: `${model} ${arm} seed ${seed}`,
        };
        const trained: RecipeRun =
          arm === "dense"
            ? await trainDense(settings, data, model, seed, run)
            : await trainLowRankRecipe(settings, data, model, {
                ...RECIPE_OF[arm],
                rule: options.rule?.(model) ?? { speedup: 2 },
                seed,
                switchEpoch: settings.scratchCompare.switchEpoch,
                projectEverySteps: settings.scratchCompare.projectEverySteps,
                nuclearDecay: settings.scratchCompare.trpNuclearDecay,
                train: run,
              });
        const net = trained.model;
        try {
          const history = trained.history.slice(trained.lowRankFrom - 1);
          const best = bestEpoch(history);
          const last = history[history.length - 1];
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
            epochs: trained.history.length,
            stopReason: trained.stopReason,
            params: net.countParams(),
            convMacs: convMacsOf(net),
            trainSeconds: trainSeconds(trained.history),
            testAccuracyByEpoch: trained.history.map((h) => h.testAccuracy ?? NaN),
            lowRankFrom: trained.lowRankFrom,
          };
          rows.push(row);
          options.onRow?.(row, false);
        } finally {
          net.dispose();
        }
      }
    }
  }
  return rows;
}

async function trainDense(settings: ProfileSettings, data: { train: Cifar10Split; test: Cifar10Split }, model: ModelName, seed: number, run: TrainOptions): Promise<RecipeRun> {
  const net = buildModel(model, { ...modelOptions(settings, model), seed });
  try {
    const r = await train(net, data, run);
    return { model: net, history: r.history, stopReason: r.stopReason, lowRankFrom: 1 };
  } catch (err) {
    net.dispose();
    throw err;
  }
}

/** Mean, lowest, highest and spread (max − min) of the best test accuracies of one model and arm. */
export interface ArmStats {
  mean: number;
  min: number;
  max: number;
  spread: number;
  runs: number;
}

export function armStats(rows: readonly ScratchRow[], model: ModelName, arm: ScratchArm): ArmStats | undefined {
  const acc = rows.filter((r) => r.model === model && r.arm === arm).map((r) => r.bestTestAccuracy);
  if (!acc.length) return undefined;
  const min = Math.min(...acc), max = Math.max(...acc);
  return { mean: acc.reduce((a, b) => a + b, 0) / acc.length, min, max, spread: max - min, runs: acc.length };
}

export type ArmComparison = "beats" | "matches" | "falls short of" | "leans above" | "leans below";

/**
 * A low-rank arm against the dense one, from the seeds' best test accuracies: **beats** / **falls short of**
 * when the means differ by more than both arms' seed spreads; **matches** when they differ by no more and
 * the two arms' seeds interleave (their ranges overlap); **leans above** / **leans below** when every seed of
 * one arm is above every seed of the other but by no more than the seeds' own spread: more seeds would tell.
 */
export function compareArms(rows: readonly ScratchRow[], model: ModelName, arm: ScratchArm): { dense: ArmStats; low: ArmStats; diff: number; word: ArmComparison } | undefined {
  const dense = armStats(rows, model, "dense");
  const low = armStats(rows, model, arm);
  if (!dense || !low) return undefined;
  const margin = Math.max(dense.spread, low.spread);
  const diff = low.mean - dense.mean;
  const overlap = low.min <= dense.max && low.max >= dense.min;
  const word: ArmComparison = diff > margin ? "beats" : diff < -margin ? "falls short of" : overlap ? "matches" : diff > 0 ? "leans above" : "leans below";
  return { dense, low, diff, word };
}

/**
 * While the part runs: the rows of each (model, arm) whose `seeds` runs are all in, when the same model's
 * dense runs are too — what a verdict may already rest on.
 */
export function settledRows(rows: readonly ScratchRow[], seeds: number): ScratchRow[] {
  const complete = (model: ModelName, arm: ScratchArm) => (armStats(rows, model, arm)?.runs ?? 0) >= seeds;
  return rows.filter((r) => complete(r.model, r.arm) && complete(r.model, "dense"));
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
