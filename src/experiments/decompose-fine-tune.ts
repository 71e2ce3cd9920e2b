import type * as tf from "@tensorflow/tfjs";
import type { Cifar10Split } from "../data";
import { rankLabel, type LayerDecompositionReport, type DecompositionPlan } from "../lowrank";
import { fineTuneOptions, type ProfileSettings } from "../profiles";
import { evaluate } from "../train/evaluate";
import { fineTune } from "../train/fine-tune";
import type { TrainHistoryRow } from "../train/history";
import { convStackSpeedup, type SweepRow } from "./rank-sweep";

export interface DecomposedNetwork {
  /** Decomposed and fine-tuned; the caller disposes it. */
  model: tf.LayersModel;
  layers: LayerDecompositionReport[];
  history: TrainHistoryRow[];
  /** Test accuracy right after decomposing, before fine-tuning. */
  accuracyBefore: number;
  accuracyAfter: number;
  /** Dense MACs of the decomposed convs over their replacements' MACs. */
  convSpeedup: number;
}

/**
 * Decompose every layer the rule picks in `baseline` and fine-tune them all at once (the paper's
 * schedule), with the profile's fine-tune settings. `baseline` is not changed.
 */
export async function decomposeAndFineTune(
  baseline: tf.LayersModel,
  data: { train: Cifar10Split; test: Cifar10Split },
  settings: ProfileSettings,
  rule: DecompositionPlan,
): Promise<DecomposedNetwork> {
  const ft = await fineTune(baseline, data, fineTuneOptions(settings, { plan: rule, schedule: "all-at-once", training: { label: "decomposed" } }));
  try {
    return {
      model: ft.model,
      layers: ft.layers,
      history: ft.history,
      accuracyBefore: ft.stages[0]?.accuracyBefore ?? NaN,
      accuracyAfter: evaluate(ft.model, data.test).accuracy,
      convSpeedup: convStackSpeedup(ft.layers),
    };
  } catch (err) {
    ft.model.dispose();
    throw err;
  }
}

/** One decomposed layer of the report's table; the measured speed-up comes from a per-layer sweep when it has that rank. */
export interface DecompositionRow {
  layer: string;
  kernel: string;
  /** One number, or "R1×R2" for a method with two ranks (tucker2). */
  rank: number | string;
  maxRank: number | string;
  relativeError: number;
  theoreticalSpeedup: number;
  measuredSpeedup?: number;
}

export function decompositionRows(layers: readonly LayerDecompositionReport[], perLayer: readonly SweepRow[] = []): DecompositionRow[] {
  return layers.map((l) => {
    const rank = rankLabel(l.rank);
    return {
      layer: l.name,
      kernel: l.kernelShape.join("×"),
      rank,
      maxRank: rankLabel(l.maxRank),
      relativeError: l.relativeError,
      theoreticalSpeedup: l.theoreticalSpeedup,
      measuredSpeedup: perLayer.find((r) => r.layer === l.name && (r.rankLabel ?? r.rank) === rank)?.measuredSpeedup,
    };
  });
}
