import * as tf from "@tensorflow/tfjs";
import {
  decomposeModelWithReport,
  eligibleConvLayers,
  checkPlan,
  factorizationMethod,
  RankUnreachableError,
  type DecompositionPlan,
  type Rank,
  type FactorizationMethod,
  type LayerDecompositionReport,
} from "../lowrank";
import { DEFAULT_TIMING_BATCH, measureLayerSpeedup } from "../measure/layer-speedup";
import { forwardSpeedup } from "./summary";
import { evaluate } from "../train/evaluate";
import { train, type TrainData, type TrainOptions } from "../train/train";

/** One (layer, rank) point of a rank sweep. Accuracies are fractions in [0, 1]. */
export interface SweepRow {
  layer: string;
  /** K; for a method with two ranks (tucker2) its first, R1 (R2 follows it on the method's path), with both in rankLabel. */
  rank: number;
  /** "R1×R2" for two-rank methods. */
  rankLabel?: string;
  /** ‖W − W_K‖_F / ‖W‖_F of the layer's kernel. */
  relError: number;
  /** Test accuracy with the layer replaced by its rank-K replacement, before fine-tuning. */
  accuracyBefore?: number;
  /** Test accuracy after fine-tuning the low-rank network. */
  accuracyAfter?: number;
  /** MACs(original) / MACs(replacement). */
  theoreticalSpeedup: number;
  /** time(original) / time(replacement), forward pass. */
  measuredSpeedup?: number;
}

/** The points of a sweep: one rank rule per value (a rank in every swept layer, an energy fraction kept, a speed-up target). */
export type SweepPoints = { rank: number[] } | { energy: number[] } | { speedup: number[] } | { budget: number[] };

export interface RankSweepOptions {
  /** "each": every layer alone, the rest dense (default). "all": every point applied to all layers at once. */
  mode?: "each" | "all";
  /** Layers to sweep; default every eligible d×d conv (d > 1). */
  layers?: string[];
  points: SweepPoints;
  /** Factorisation method of every point (methods/); default "tai". */
  method?: string;
  /** Short fine-tune after decomposing (training options less what the sweep sets), or false. */
  fineTune?: Omit<TrainOptions, "checkpointDir" | "resume"> | false;
  /** Time the original and low-rank convs (forward, this batch size); false to skip. Default DEFAULT_TIMING_BATCH (128). */
  measure?: { batchSize?: number } | false;
  evalBatchSize?: number;
  /** Called with each row as soon as it is known. */
  onRow?: (row: SweepRow) => void;
  /** Called for a speed-up target no rank of a layer reaches (that point is left out). */
  onSkip?: (layers: string[], reason: string) => void;
}

const POINT_KINDS = ["rank", "energy", "speedup", "budget"] as const;

/** Plans, one per point, for one layer (mode "each") or for all of `layers` at once (mode "all"). */
function plansFor(points: SweepPoints, layers: string[], method?: string): DecompositionPlan[] {
  const kinds = POINT_KINDS.filter((k) => (points as Record<string, unknown>)[k] !== undefined);
  if (kinds.length !== 1) throw new Error("rankSweep: points must be one of { rank: [...] }, { energy: [...] }, { speedup: [...] } or { budget: [...] }.");
  const values = (points as Record<string, unknown>)[kinds[0]];
  if (!Array.isArray(values) || values.length === 0) throw new Error("rankSweep: give at least one sweep point.");
  return values.map((v) => ({ [kinds[0]]: v, layers, ...(method ? { method } : {}) }) as DecompositionPlan);
}

/**
 * Rank sweep over trained `model`: for each layer (or all layers together) and each point, decompose
 * with Theorem 1, record the relative reconstruction error, test accuracy before and after an optional
 * short fine-tune, and the theoretical and measured forward speed-up. `model` is not changed.
 */
export async function rankSweep(model: tf.LayersModel, data: TrainData & { test: NonNullable<TrainData["test"]> }, options: RankSweepOptions): Promise<SweepRow[]> {
  const method = factorizationMethod(options.method);
  plansFor(options.points, [], options.method).forEach(checkPlan); // validates the points before any work
  const eligible = eligibleConvLayers(model, method);
  const layers = options.layers ?? eligible.map((l) => l.name);
  for (const name of layers) {
    if (!eligible.some((l) => l.name === name)) {
      throw new Error(`rankSweep: '${name}' is not a layer of this model the ${method.name} method can decompose (eligible: ${eligible.map((l) => l.name).join(", ")}).`);
    }
  }
  const mode = options.mode ?? "each";
  const groups = mode === "each" ? layers.map((l) => [l]) : [layers];
  const measure = options.measure === false ? undefined : { batchSize: options.measure?.batchSize ?? DEFAULT_TIMING_BATCH };
  const rows: SweepRow[] = [];

  for (const group of groups) {
    // Two targets can land on the same ranks (e.g. 4× and 6× both give K = 1 on a thin layer): measure once.
    const seen = new Set<string>();
    for (const plan of plansFor(options.points, group, options.method)) {
      let decomposed;
      try {
        decomposed = decomposeModelWithReport(model, plan);
      } catch (err) {
        // A thin layer (e.g. 3 input channels) cannot reach a high speed-up at any rank.
        if (!(err instanceof RankUnreachableError)) throw err;
        options.onSkip?.(group, (err as Error).message);
        continue;
      }
      const { model: lowRank, layers: report } = decomposed;
      try {
        const key = report.map((r) => `${r.name}:${r.rank}`).join(",");
        if (seen.has(key)) continue;
        seen.add(key);
        const before = evaluate(lowRank, data.test, options.evalBatchSize).accuracy;
        let after: number | undefined;
        if (options.fineTune) {
          const res = await train(lowRank, { train: data.train, test: data.test }, { ...options.fineTune, evaluateEachEpoch: true });
          after = res.history[res.history.length - 1]?.testAccuracy;
        }
        rows.push(...(await rowsFor(model, lowRank, report, mode, before, after, measure, method)));
        options.onRow?.(rows[rows.length - 1]);
      } finally {
        lowRank.dispose();
      }
    }
  }
  return rows;
}

type Report = LayerDecompositionReport[];

/** A sweep row's rank: K itself, or R1 with "R1×R2" beside it for a two-rank method. */
function sweepRank(rank: Rank): { rank: number; rankLabel?: string } {
  return typeof rank === "number" ? { rank } : { rank: rank[0], rankLabel: rank.join("×") };
}

/** Theoretical speed-up of all decomposed convs together: their dense MACs over their V/H MACs. */
export function convStackSpeedup(report: readonly LayerDecompositionReport[]): number {
  const dense = report.reduce((s, r) => s + r.originalMacs, 0);
  const low = report.reduce((s, r) => s + r.lowRankMacs, 0);
  return dense / low;
}

async function rowsFor(
  dense: tf.LayersModel,
  lowRank: tf.LayersModel,
  report: Report,
  mode: "each" | "all",
  accuracyBefore: number,
  accuracyAfter: number | undefined,
  measure: { batchSize: number } | undefined,
  method: FactorizationMethod,
): Promise<SweepRow[]> {
  if (mode === "each") {
    const r = report[0];
    const measured = measure ? await measureLayerSpeedup(dense.getLayer(r.name), r.rank, { batchSize: measure.batchSize, method }) : undefined;
    return [
      { layer: r.name, ...sweepRank(r.rank), relError: r.relativeError, accuracyBefore, accuracyAfter, theoreticalSpeedup: r.theoreticalSpeedup, measuredSpeedup: measured?.measuredSpeedup },
    ];
  }
  // Whole network: MAC-weighted speed-up of the decomposed convs, and the measured whole-model ratio.
  const errSq = report.reduce((s, r) => s + r.residual, 0);
  const normSq = report.reduce((s, r) => s + r.energy, 0);
  // Timed beside the dense net, in turns: the ratio holds up under changing load.
  const measured = measure ? (await forwardSpeedup(dense, lowRank, measure.batchSize, 5)).speedup : undefined;
  return [
    {
      layer: "all",
      // Ranks differ per layer under energy/speed-up rules: report their mean.
      rank: Math.round(report.reduce((s, r) => s + sweepRank(r.rank).rank, 0) / report.length),
      relError: Math.sqrt(errSq / normSq),
      accuracyBefore,
      accuracyAfter,
      theoreticalSpeedup: convStackSpeedup(report),
      measuredSpeedup: measured,
    },
  ];
}
