import { test } from "node:test";
import assert from "node:assert/strict";
import type { ScratchArm, ScratchRow } from "../../src/experiments/from-scratch-compared";
import { meanCurve, scratchCurvesFigure } from "../../src/plot/scratch-curves";

const row = (arm: ScratchArm, seed: number, curve: number[], lowRankFrom = 1): ScratchRow => ({
  model: "vgg-small", arm, seed, bestTestAccuracy: Math.max(...curve), bestEpoch: 1, trainAccuracyAtBest: 1, finalTestAccuracy: curve[curve.length - 1], finalTrainAccuracy: 1,
  epochs: curve.length, stopReason: "early-stop", params: 1, convMacs: 1, trainSeconds: 1, testAccuracyByEpoch: curve, lowRankFrom,
});

test("meanCurve: per epoch, the mean over the seeds that reached it", () => {
  assert.deepEqual(meanCurve([row("dense", 0, [0.2, 0.4, 0.6]), row("dense", 1, [0.4, 0.6])]), [
    { epoch: 1, mean: 0.30000000000000004, seeds: 2 },
    { epoch: 2, mean: 0.5, seeds: 2 },
    { epoch: 3, mean: 0.6, seeds: 1 },
  ]);
});

test("scratchCurvesFigure: one line per arm; a hybrid's dense phase dotted up to its switch, then solid", () => {
  const fig = scratchCurvesFigure([row("dense", 0, [0.3, 0.5, 0.6]), row("hybrid", 0, [0.3, 0.5, 0.55, 0.6], 3), row("TRP", 0, [0.2, 0.4]), { ...row("dense", 0, [0.9]), model: "tai-cnn" }]);
  const names = fig.data.map((t) => t.name);
  assert.deepEqual(names, ["dense", "hybrid (dense phase)", "hybrid", "TRP"]);
  const dense = fig.data[1] as unknown as { x: number[]; line: { dash: string } };
  const low = fig.data[2] as unknown as { x: number[]; line: { dash: string } };
  assert.deepEqual([dense.x, dense.line.dash, low.x, low.line.dash], [[1, 2, 3], "dot", [3, 4], "solid"]);
  assert.throws(() => scratchCurvesFigure([row("dense", 0, [0.5])], { model: "nin" }), /no rows of model 'nin'/);
});
