/**
 * Inference side of the bench: vggSmall (full-profile widths) forward at batch 128, dense and with every
 * eligible 3×3 conv replaced by its V/H pair at 2×, 3×, 4× theoretical speed-up; and each of those pairs
 * alone against its dense conv, theory beside measurement. Ranks come from `rankForSpeedup`, the rule
 * the main job uses, and are returned so the peers run the very same networks.
 */
import * as tf from "@tensorflow/tfjs";
import { convCost, lowRankCost, LowRankConv2D, type ConvSpec } from "../src/lowrank";
import { convSpecOfLayer, lowRankConvs } from "../src/lowrank";
import { measureLayerSpeedup, pairedSpeedup, timeModelsTogether } from "../src/measure";
import { vggSmall } from "../src/models";

export const BENCH_WIDTHS = [32, 64, 128];

export interface NetworkForward {
  /** "dense" or e.g. "2x" (every eligible conv at ≥ 2× fewer MACs). */
  variant: string;
  /** Layer name → K of each V/H pair (empty for dense). */
  ranks: Record<string, number>;
  /** Median ms of its deploy form (BN folded, ReLU fused, pairs as plain convs), one batch. */
  ms: number;
  /** How many times faster than the dense net's deploy form: median of the rounds' ratios (timed in turns). */
  speedup: number;
  /** Median ms of the model as trained (BN and ReLU layers, LowRankConv2D), one batch. */
  asTrainedMs: number;
  /** The same for the models as trained. */
  asTrainedSpeedup: number;
  /** Dense conv-stack MACs / this network's conv-stack MACs. */
  theoryConvSpeedup: number;
}

export interface PairForward {
  variant: string;
  layer: string;
  rank: number;
  theory: number;
  measured: number;
}

export interface ModelForwardResult {
  batch: number;
  networks: NetworkForward[];
  pairs: PairForward[];
}

/** Conv specs of the dense vggSmall by layer name. */
function convSpecs(model: tf.LayersModel): Map<string, ConvSpec> {
  return new Map(model.layers.filter((l) => l.getClassName() === "Conv2D").map((l) => [l.name, convSpecOfLayer(l)]));
}

/**
 * All networks are built first and timed in turns (measure/timeModelsTogether): each variant's speed-up is
 * the median of its round-by-round ratios to the dense net, which a change of load between variants cannot skew.
 * `roundTo`: also time each target with its ranks rounded down to these multiples (variant "2x, K÷8"), for the effect of rounding.
 */
export async function benchModelForward(opts: { batch: number; speedups: number[]; runs: number; roundTo?: number[] }): Promise<ModelForwardResult> {
  const dense = vggSmall({ widths: BENCH_WIDTHS, seed: 1 });
  const specs = convSpecs(dense);
  const denseMacs = [...specs.values()].reduce((a, s) => a + convCost(s).macs, 0);
  const models: Record<string, tf.LayersModel> = { dense };
  const variants: Omit<NetworkForward, "ms" | "asTrainedMs" | "speedup" | "asTrainedSpeedup">[] = [{ variant: "dense", ranks: {}, theoryConvSpeedup: 1 }];
  try {
    for (const [s, multiple] of opts.speedups.flatMap((x) => [[x, undefined] as const, ...(opts.roundTo ?? []).map((m) => [x, m] as const)])) {
      const variant = multiple ? `${s}x, K÷${multiple}` : `${s}x`;
      // bn "none": the model's own BN layer stays after each pair, as decomposeModel leaves it.
      const model = vggSmall({ widths: BENCH_WIDTHS, seed: 1, lowRank: lowRankConvs({ speedup: s, bn: "none", ...(multiple ? { roundTo: multiple } : {}) }) });
      models[variant] = model;
      const ranks: Record<string, number> = {};
      let macs = 0;
      for (const [name, spec] of specs) {
        const layer = model.getLayer(name);
        if (layer instanceof LowRankConv2D) {
          ranks[name] = layer.rank;
          macs += lowRankCost(spec, layer.rank).macs;
        } else {
          macs += convCost(spec).macs;
        }
      }
      variants.push({ variant, ranks, theoryConvSpeedup: denseMacs / macs });
    }
    const timing = { warmup: 2, runs: opts.runs };
    const deployed = await timeModelsTogether(models, opts.batch, timing);
    const asTrained = await timeModelsTogether(models, opts.batch, { ...timing, deployed: false });
    const networks: NetworkForward[] = variants.map((v) => ({
      ...v,
      ms: deployed[v.variant].medianMs,
      speedup: pairedSpeedup(deployed.dense, deployed[v.variant]),
      asTrainedMs: asTrained[v.variant].medianMs,
      asTrainedSpeedup: pairedSpeedup(asTrained.dense, asTrained[v.variant]),
    }));
    const pairs: PairForward[] = [];
    for (const v of variants) {
      if (v.variant === "dense" || v.variant.includes("÷")) continue; // pairs alone: the unrounded ranks only
      for (const [name, rank] of Object.entries(v.ranks)) {
        const r = await measureLayerSpeedup(specs.get(name) as ConvSpec, rank, { batchSize: opts.batch, timing: { warmup: 1, runs: opts.runs } });
        pairs.push({ variant: v.variant, layer: name, rank, theory: r.theoreticalSpeedup, measured: r.measuredSpeedup });
      }
    }
    return { batch: opts.batch, networks, pairs };
  } finally {
    for (const m of Object.values(models)) m.dispose();
  }
}
