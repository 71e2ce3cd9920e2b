import type * as tf from "@tensorflow/tfjs";
import { decomposeModel, projectToLowRank, type DecompositionPlan, type RankProjectionReport } from "../lowrank";
import { train, type TrainResult } from "./train";
import type { TrainData, TrainOptions } from "./train-options";

export interface TrpOptions extends TrainOptions {
  /** The rank each projection keeps: { energy: 0.99 } as TRP does, or fixed ranks ({ ranks }, { speedup }). */
  plan: DecompositionPlan;
  /** Project every this many steps, and always after an epoch's last step (so each evaluation sees a low-rank net). Default 10. */
  everySteps?: number;
  /** Convs never projected, kept dense in the end. TRP leaves the first conv alone. Default []. */
  skip?: readonly string[];
  /**
   * Nuclear-norm penalty λ·Σσ (TRP's regulariser, ≈ 3e-4 there), applied by its proximal step at each
   * projection: the kept σ shrink by learning rate × λ × the steps since the last projection. Default 0.
   */
  nuclearDecay?: number;
}

export interface TrpResult {
  /** The trained dense model, decomposed with the last projection's ranks; the caller disposes it. */
  model: tf.LayersModel;
  run: TrainResult;
  /** What the last projection did per layer. */
  projection: RankProjectionReport[];
  projections: number;
}

/**
 * Trained Rank Pruning (Xu et al. 2020): train the dense `model` (in place)
 * while projecting its convs onto low-rank kernels (projectToLowRank) every few steps, then decompose it
 * by Tai's closed form at the ranks the last projection kept, which predicts what the projected net does.
 */
export async function trainTrp(model: tf.LayersModel, data: TrainData, o: TrpOptions): Promise<TrpResult> {
  const every = o.everySteps ?? 10;
  if (!(Number.isInteger(every) && every >= 1)) throw new Error(`trainTrp: everySteps must be a positive integer, got ${o.everySteps}.`);
  const { plan, everySteps: _every, skip = [], nuclearDecay = 0, ...rest } = o;
  if (!(nuclearDecay >= 0)) throw new Error(`trainTrp: nuclearDecay must be ≥ 0, got ${o.nuclearDecay}.`);
  let projection: RankProjectionReport[] = [];
  let projections = 0;
  let sinceLast = 0;
  const run = await train(model, data, {
    ...rest,
    // The projection happens outside the loop's options, so its settings join the fingerprint here.
    fingerprintExtra: { ...o.fingerprintExtra, trp: { plan, everySteps: every, skip, nuclearDecay } },
    onStep: (info) => {
      o.onStep?.(info);
      sinceLast++;
      if (info.step % every === 0 || info.step === info.stepsPerEpoch) {
        projection = projectToLowRank(model, plan, { skip, shrink: info.lr * nuclearDecay * sinceLast });
        projections++;
        sinceLast = 0;
      }
    },
  });
  // A run finished earlier (resumed from its checkpoint) holds projected kernels already: projecting at
  // fixed ranks changes nothing, and an energy rule reads their rank (all but float round-off, 1e-6 of Σσ²).
  if (!projections) projection = projectToLowRank(model, "energy" in plan ? { ...plan, energy: 1 - 1e-6 } : plan, { skip });
  const ranks = Object.fromEntries(projection.map((p) => [p.layer, p.rank]));
  return { model: decomposeModel(model, { ranks, bn: plan.bn, method: plan.method }), run, projection, projections };
}
