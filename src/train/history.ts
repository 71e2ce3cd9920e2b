import * as dfd from "danfojs-node";
import type { HistoryRow } from "../plot/types";

/**
 * One epoch of training, as a plain JSON-able row (checkpoints store these; the plot helpers take
 * them as `HistoryRow`s). Accuracies are fractions in [0, 1]; losses are cross-entropy without the
 * weight-decay term, so train and test losses compare.
 */
export interface TrainHistoryRow extends HistoryRow {
  /** 1-based epoch number (continues across a resumed run). */
  epoch: number;
  /** Wall-clock seconds of the epoch's training steps (evaluation excluded). */
  seconds: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
}

const COLUMNS: (keyof TrainHistoryRow)[] = [
  "epoch",
  "trainLoss",
  "trainAccuracy",
  "testLoss",
  "testAccuracy",
  "seconds",
  "imagesPerSecond",
  "lr",
];

/**
 * The history as a danfo DataFrame, one row per epoch. Test columns appear when any row has them
 * (missing values become NaN, which danfo treats as missing).
 */
export function historyFrame(rows: readonly TrainHistoryRow[]): dfd.DataFrame {
  if (rows.length === 0) throw new Error("historyFrame: the history is empty (train for at least one epoch first).");
  const columns = COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined));
  const data = rows.map((r) => columns.map((c) => r[c] ?? Number.NaN));
  return new dfd.DataFrame(data, { columns });
}

/** Best epoch by test accuracy (else train loss) — what early stopping monitors. */
export function bestEpoch(rows: readonly TrainHistoryRow[]): TrainHistoryRow | undefined {
  let best: TrainHistoryRow | undefined;
  for (const r of rows) {
    if (!best || monitorValue(r) > monitorValue(best)) best = r;
  }
  return best;
}

/** Higher is better: test accuracy when evaluated, else negative train loss. */
export function monitorValue(r: TrainHistoryRow): number {
  return r.testAccuracy ?? -r.trainLoss;
}
