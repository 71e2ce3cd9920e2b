import * as dfd from "danfojs-node";
import type { TrainHistoryRow } from "../train/history";

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
 * A training history as a danfo DataFrame, one row per epoch. Test columns appear when any row has
 * them (missing values become NaN, which danfo treats as missing).
 */
export function historyFrame(rows: readonly TrainHistoryRow[]): dfd.DataFrame {
  if (rows.length === 0) throw new Error("historyFrame: the history is empty (train for at least one epoch first).");
  const columns = COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined));
  const data = rows.map((r) => columns.map((c) => r[c] ?? Number.NaN));
  return new dfd.DataFrame(data, { columns });
}
