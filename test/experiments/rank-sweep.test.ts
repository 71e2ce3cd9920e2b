import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Cifar10 } from "../../src/data";
import { rankSweep } from "../../src/experiments/rank-sweep";
import { tinyCnn } from "../../src/models";
import { evaluate } from "../../src/train/evaluate";
import { train } from "../../src/train/train";
import { smallCifar } from "../train/fixtures";

let data: Cifar10;
let model: tf.LayersModel;

before(async () => {
  data = await smallCifar(1000, 500);
  model = tinyCnn({ seed: 1 });
  await train(model, { train: data.train }, { epochs: 1, batchSize: 64, learningRate: 0.05, progress: "none", seed: 1 });
});

after(() => {
  model.dispose();
  data.dispose();
});

test("per-layer sweep: error falls and speed-up falls as rank grows; full rank keeps accuracy", async () => {
  const baseAcc = evaluate(model, data.test).accuracy;
  // conv2 is 16→32 with d=3: matrix (16·3)×(32·3), full rank 48.
  const rows = await rankSweep(model, { train: data.train, test: data.test }, { layers: ["conv2"], points: { rank: [2, 8, 48] }, fineTune: false, measure: { batchSize: 8 } });
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.map((r) => r.rank), [2, 8, 48]);
  assert.ok(rows.every((r) => r.layer === "conv2"));
  assert.ok(rows[0].relError > rows[1].relError && rows[1].relError > rows[2].relError);
  assert.ok(rows[2].relError < 1e-5, `full rank is exact, got ${rows[2].relError}`);
  assert.ok(rows[0].theoreticalSpeedup > rows[1].theoreticalSpeedup && rows[1].theoreticalSpeedup > rows[2].theoreticalSpeedup);
  assert.ok(Math.abs((rows[2].accuracyBefore ?? NaN) - baseAcc) < 1e-9, "full rank: same accuracy as the dense model");
  for (const r of rows) assert.ok(Number.isFinite(r.measuredSpeedup) && (r.measuredSpeedup as number) > 0);
  assert.equal(rows[0].accuracyAfter, undefined);
});

test("all-layers sweep with a fine-tune budget: accuracy after is measured, tensors are not leaked", async () => {
  const before = tf.memory().numTensors;
  const rows = await rankSweep(model, { train: data.train, test: data.test }, {
    mode: "all",
    points: { speedup: [2] },
    fineTune: { epochs: 1, batchSize: 64, learningRate: 0.01, maxStepsPerEpoch: 5, progress: "none" },
    measure: false,
  });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].layer, "all");
  assert.ok(rows[0].theoreticalSpeedup >= 2, `speed-up ${rows[0].theoreticalSpeedup}`);
  assert.ok(rows[0].accuracyAfter !== undefined && rows[0].accuracyAfter >= 0 && rows[0].accuracyAfter <= 1);
  assert.equal(rows[0].measuredSpeedup, undefined);
  assert.equal(tf.memory().numTensors, before);
});

test("rankSweep refuses layers that cannot be decomposed and empty point lists", async () => {
  await assert.rejects(rankSweep(model, { train: data.train, test: data.test }, { layers: ["logits"], points: { rank: [2] } }), /'logits' is not a layer of this model the tai method can decompose/);
  await assert.rejects(rankSweep(model, { train: data.train, test: data.test }, { points: { rank: [] } }), /at least one sweep point/);
});

test("targets that give the same ranks are measured once", async () => {
  // conv1 is 3→16 with d=3: K = 1 gives ≈7.6×, K = 2 ≈3.8×, so 5× and 7× both fall to K = 1; 20× is out of reach.
  const skipped: string[] = [];
  const rows = await rankSweep(model, { train: data.train, test: data.test }, { layers: ["conv1"], points: { speedup: [5, 7, 20] }, fineTune: false, measure: false, onSkip: (_l, why) => skipped.push(why) });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].rank, 1);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0], /No rank reaches a 20× speedup/);
});
