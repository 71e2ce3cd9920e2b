/**
 * One epoch of training, as the plots and tables read it. Accuracies are fractions in [0, 1]; losses
 * are cross-entropy without the weight-decay term, so train and test losses compare.
 */
export interface HistoryRow {
  /** 1-based epoch number (continues across a resumed run). */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  /** Wall-clock seconds of the epoch's training steps (evaluation excluded). */
  seconds: number;
  imagesPerSecond: number;
}

/** A history row as `train()` produces it and checkpoints store it (plain JSON). */
export interface TrainHistoryRow extends HistoryRow {
  /** Learning rate at the epoch's last step. */
  lr: number;
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
