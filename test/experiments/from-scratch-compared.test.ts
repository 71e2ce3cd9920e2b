import { test } from "node:test";
import assert from "node:assert/strict";
import { armStats, fromScratchVerdict, type ScratchArm, type ScratchRow } from "../../src/experiments/from-scratch-compared";

const row = (arm: ScratchArm, seed: number, best: number, finalTrain = 0.9, finalTest = best): ScratchRow => ({
  model: "vgg-small", arm, seed, bestTestAccuracy: best, bestEpoch: 3, trainAccuracyAtBest: 0.8, finalTestAccuracy: finalTest, finalTrainAccuracy: finalTrain,
  epochs: 5, stopReason: "early-stop", params: 1, convMacs: 1, trainSeconds: 1, testAccuracyByEpoch: [best], lowRankFrom: 1,
});

test("armStats: mean and max − min spread of the seeds' best test accuracies", () => {
  const rows = [row("dense", 0, 0.7), row("dense", 1, 0.74), row("low-rank, BN after", 0, 0.8)];
  const d = armStats(rows, "vgg-small", "dense")!;
  assert.ok(Math.abs(d.mean - 0.72) < 1e-12 && Math.abs(d.spread - 0.04) < 1e-12 && d.runs === 2);
  assert.deepEqual([d.min, d.max], [0.7, 0.74]);
  assert.equal(armStats(rows, "tai-cnn", "dense"), undefined);
});

test("fromScratchVerdict: beats / matches / falls short / leans, judged against the seeds' spread and ranges; the dense net's overfitting gap", () => {
  const rows = [
    row("dense", 0, 0.70, 0.99, 0.69), row("dense", 1, 0.72, 0.97, 0.71),
    row("low-rank, BN after", 0, 0.75), row("low-rank, BN after", 1, 0.76),
    row("low-rank, BN between", 0, 0.70), row("low-rank, BN between", 1, 0.71),
  ];
  const lines = fromScratchVerdict(rows);
  assert.match(lines[0], /vgg-small, low-rank, BN after: 75\.50 % .* against dense 71\.00 % .* \*\*beats\*\* the dense net \(\+4\.50 points\)/);
  assert.match(lines[1], /BN between: .* \*\*matches\*\* the dense net \(-0\.50 points\)/);
  assert.match(lines[2], /vgg-small dense: training accuracy ends 28\.0 points above test accuracy/);
  const short = fromScratchVerdict([row("dense", 0, 0.8), row("dense", 1, 0.81), row("low-rank, BN after", 0, 0.7), row("low-rank, BN after", 1, 0.7)]);
  assert.match(short[0], /\*\*falls short of\*\* the dense net/);
  // Every seed below dense's, but by less than the arm's own spread: not enough seeds to call it.
  const leans = fromScratchVerdict([row("dense", 0, 0.754), row("dense", 1, 0.755), row("low-rank, BN between", 0, 0.749), row("low-rank, BN between", 1, 0.736)]);
  assert.match(leans[0], /\*\*leans below\*\* the dense net \(-1\.20 points\)/);
  const above = fromScratchVerdict([row("dense", 0, 0.70), row("dense", 1, 0.72), row("low-rank, BN after", 0, 0.725), row("low-rank, BN after", 1, 0.765)]);
  assert.match(above[0], /\*\*leans above\*\* the dense net \(\+3\.50 points\)/);
  assert.deepEqual(fromScratchVerdict([row("dense", 0, 0.8)]), ["vgg-small dense: training accuracy ends 10.0 points above test accuracy (the overfitting a low-rank constraint could curb)."]);
});
