import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import { builderForLayer, lowRankConvs, planMethod, spectralInitialize, type BnPlacement, type Rank, type RankRule } from "../lowrank";
import { buildModel, type ModelName } from "../models";
import { modelOptions, type ProfileSettings } from "../profiles";
import type { TrainHistoryRow } from "../train/history";
import { trainHybrid } from "../train/hybrid";
import { train, type StopReason, type TrainOptions } from "../train/train";
import { trainTrp } from "../train/trained-rank-pruning";

/**
 * Ways to get a low-rank network without a trained dense one to decompose (issue 14;
 * ../shared/notes/lowrank-training-recipes.md has the sources):
 * - `paper`: the low-rank twin trained from its own random factors, BN after the pair (Tai et al.);
 * - `spectral-frobenius`: the same twin with spectral initialisation and Frobenius decay (Khodak et al. 2021);
 * - `hybrid`: dense for `switchEpoch` epochs, then Tai's closed form and low-rank training (Pufferfish);
 * - `trp`: dense training projected onto the ranks every few steps, decomposed at the end (Trained Rank Pruning);
 * - `cuttlefish`: a hybrid that switches once the convs' stable ranks settle and takes its ranks from them
 *   (Cuttlefish) — the only recipe whose ranks, and so multiply-adds, are not the twin's.
 */
export const SCRATCH_RECIPES = ["paper", "spectral-frobenius", "hybrid", "trp", "cuttlefish"] as const;
export type ScratchRecipe = (typeof SCRATCH_RECIPES)[number];

export function checkRecipe(recipe: string): asserts recipe is ScratchRecipe {
  if (!SCRATCH_RECIPES.includes(recipe as ScratchRecipe)) throw new Error(`Unknown low-rank training recipe '${recipe}': use one of ${SCRATCH_RECIPES.join(", ")}.`);
}

export interface RecipeOptions {
  recipe: ScratchRecipe;
  /** The twin's rank rule (e.g. { speedup: 2 }); every recipe ends with the ranks this twin has, so multiply-adds match. */
  rule: RankRule;
  /** BN inside the pair: "after" (the authors', the default for tai) or "between" (paper and spectral-frobenius only). */
  bn?: BnPlacement;
  seed?: number;
  /** Dense epochs before a hybrid's switch (1 ≤ switchEpoch < train.epochs); cuttlefish's latest switch. */
  switchEpoch: number;
  /** Steps between TRP's projections. */
  projectEverySteps: number;
  /** TRP's nuclear-norm penalty (trainTrp nuclearDecay). Default 0. */
  nuclearDecay?: number;
  /** The whole run: epochs, schedule, data order, patience, checkpointDir, resume… */
  train: TrainOptions;
}

export interface RecipeRun {
  /** The trained low-rank network; the caller disposes it. */
  model: tf.LayersModel;
  /** Every epoch of the run (a hybrid's dense epochs first). */
  history: TrainHistoryRow[];
  stopReason: StopReason;
  /** First epoch whose network was low-rank (hybrid: the one after the switch; 1 otherwise). */
  lowRankFrom: number;
}

/** The ranks of `model`'s low-rank twin under `rule`, by layer name: what every recipe ends with. */
export function twinRanks(settings: ProfileSettings, model: ModelName, rule: RankRule): Record<string, Rank> {
  const twin = buildModel(model, { ...modelOptions(settings, model), lowRank: lowRankConvs(rule) });
  try {
    return Object.fromEntries(twin.layers.flatMap((l) => {
      const builder = builderForLayer(l);
      return builder ? [[l.name, builder.rankOf(l)]] : [];
    }));
  } finally {
    twin.dispose();
  }
}

/** Train `model` (a zoo name) low-rank by one recipe, at the multiply-adds of its twin under `o.rule`. */
export async function trainLowRankRecipe(settings: ProfileSettings, data: { train: Cifar10Split; test?: Cifar10Split }, model: ModelName, o: RecipeOptions): Promise<RecipeRun> {
  checkRecipe(o.recipe);
  const bn = o.bn;
  if (bn !== undefined && bn !== "after" && (o.recipe === "hybrid" || o.recipe === "trp" || o.recipe === "cuttlefish")) {
    throw new Error(`The ${o.recipe} recipe decomposes a dense net whose BN follows each conv, so its pairs have BN after: bn '${bn}' applies to the paper and spectral-frobenius recipes only.`);
  }
  const method = planMethod(o.rule).name;
  if (method !== "tai" && o.recipe !== "paper" && o.recipe !== "hybrid") {
    throw new Error(`The ${o.recipe} recipe works on Tai's vertical/horizontal pairs, not ${method} layers: use method tai, or the paper or hybrid recipe.`);
  }
  const build = (lowRank: boolean) =>
    buildModel(model, { ...modelOptions(settings, model), ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(lowRank ? { lowRank: lowRankConvs({ ...o.rule, ...(bn ? { bn } : {}) } as RankRule & { bn?: BnPlacement }) } : {}) });
  if (o.recipe === "paper" || o.recipe === "spectral-frobenius") {
    const net = build(true);
    try {
      if (o.recipe === "spectral-frobenius") spectralInitialize(net);
      // Spectral initialisation shapes the run but not the options: the fingerprint records the recipe.
      const run = await train(net, data, o.recipe === "spectral-frobenius" ? { ...o.train, factorDecay: "frobenius", fingerprintExtra: { ...o.train.fingerprintExtra, recipe: o.recipe } } : o.train);
      return { model: net, history: run.history, stopReason: run.stopReason, lowRankFrom: 1 };
    } catch (err) {
      net.dispose();
      throw err;
    }
  }
  const ranks = twinRanks(settings, model, o.rule);
  const dense = build(false);
  try {
    if (o.recipe === "hybrid" || o.recipe === "cuttlefish") {
      const { optimizer, ...rest } = o.train;
      if (typeof optimizer === "object") throw new Error(`The ${o.recipe} recipe makes an optimizer per phase: give train.optimizer by name.`);
      const r =
        o.recipe === "hybrid"
          ? await trainHybrid(dense, data, { ...rest, optimizer, switchEpoch: o.switchEpoch, plan: { ranks, method } })
          : await trainHybrid(dense, data, { ...rest, optimizer, switchEpoch: "auto", autoSwitch: { maxEpoch: o.switchEpoch }, plan: "stable-rank" });
      return { model: r.model, history: r.history, stopReason: r.lowRank.stopReason, lowRankFrom: r.switchedAt + 1 };
    }
    const r = await trainTrp(dense, data, { ...o.train, plan: { ranks }, everySteps: o.projectEverySteps, nuclearDecay: o.nuclearDecay ?? 0 });
    return { model: r.model, history: r.run.history, stopReason: r.run.stopReason, lowRankFrom: 1 };
  } finally {
    dense.dispose();
  }
}
