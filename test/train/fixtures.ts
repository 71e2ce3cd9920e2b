import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import { initBackend } from "../../src/backend/init";
import { loadCifar10, type Cifar10 } from "../../src/data";
import type { TrainHistoryRow } from "../../src/train/history";

/** The shared real CIFAR-10 (../shared/data next to the repo here and in CI), or CIFAR10_DIR. */
export const CIFAR10_DIR = process.env.CIFAR10_DIR ?? path.resolve(__dirname, "../../../shared/data/cifar-10-batches-bin");

/** A small class-balanced slice of the real data set: quick enough for tests, real enough to learn from. */
export async function smallCifar(trainLimit = 2000, testLimit = 1000): Promise<Cifar10> {
  await initBackend(undefined, { quiet: true });
  return loadCifar10({ dir: CIFAR10_DIR, trainLimit, testLimit, quiet: true });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lowrank-${prefix}-`));
}

/** Flat copies of a list of tensors' values (for before/after comparisons). */
export function snapshot(tensors: { dataSync(): ArrayLike<number> }[]): number[][] {
  return tensors.map((t) => Array.from(t.dataSync()));
}

/** One synthetic epoch of history; test columns only when `testAccuracy` is given. */
export function historyRow(epoch: number, trainLoss: number, testAccuracy?: number): TrainHistoryRow {
  return {
    epoch,
    trainLoss,
    trainAccuracy: 0.5,
    ...(testAccuracy === undefined ? {} : { testLoss: 1, testAccuracy }),
    seconds: 10,
    imagesPerSecond: 100,
    lr: 0.1,
  };
}

/** max |a − b| over max |b|: the relative difference of two flat arrays (b the reference). */
export function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
