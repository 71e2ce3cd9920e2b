import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Cifar10 } from "../../src/data";
import { tinyCnn, vggSmall } from "../../src/models";
import { lowRankConvs } from "../../src/lowrank";
import { train, type TrainOptions } from "../../src/train";
import { canTraceGraphs } from "../../src/backend/traced-graph";
import { maxRelativeDifference, smallCifar, snapshot } from "./fixtures";

let data: Cifar10;
before(async () => {
  // 330 images in batches of 32: 10 full batches and a short last one, which runs op by op.
  data = await smallCifar(330, 64);
});
after(() => data?.dispose());

const net = (dropout = 0) => vggSmall({ widths: [4, 8, 8], seed: 3, dropout });
const options: TrainOptions = {
  epochs: 2,
  batchSize: 32,
  optimizer: "sgd",
  learningRate: 0.05,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  lrSchedule: "cosine",
  warmupEpochs: 1,
  augment: true,
  evaluateEachEpoch: false,
  progress: "none",
};

const cases: Record<string, { make: () => tf.LayersModel; options?: Partial<TrainOptions> }> = {
  "vggSmall (BN), SGD Nesterov": { make: () => net() },
  "tinyCnn with V/H pairs, BN between": { make: () => tinyCnn({ seed: 5, lowRank: lowRankConvs({ ranks: { conv1: 2, conv2: 3 }, bn: "between" }) }) },
  "vggSmall (BN), Adam": { make: () => net(), options: { optimizer: "adam", learningRate: 3e-3 } },
};

for (const [label, { make, options: own }] of Object.entries(cases)) test(`${label}: graph steps train exactly as op-by-op steps: same weights, BN statistics and losses (per-step learning rate, short last batch)`, { skip: !canTraceGraphs() && "needs the tensorflow backend" }, async () => {
  const runs = [];
  for (const graphStep of [false, true]) {
    const model = make();
    const r = await train(model, { train: data.train }, { ...options, ...own, graphStep });
    runs.push({ r, weights: snapshot(model.getWeights()) });
    model.dispose();
  }
  const [eager, graph] = runs;
  assert.deepEqual(eager.r.stepMode, { mode: "eager", reason: "turned off (graphStep: false)" });
  assert.equal(graph.r.stepMode?.mode, "graph", JSON.stringify(graph.r.stepMode));
  assert.ok(graph.r.stepMode!.mode === "graph" && graph.r.stepMode.ops > 100);
  eager.weights.forEach((w, i) => assert.ok(maxRelativeDifference(graph.weights[i], w) <= 1e-4, `weight ${i}: ${maxRelativeDifference(graph.weights[i], w)}`));
  graph.r.history.forEach((row, i) => assert.ok(Math.abs(row.trainLoss - eager.r.history[i].trainLoss) <= 1e-4 * eager.r.history[i].trainLoss, `epoch ${i + 1} loss ${row.trainLoss} vs ${eager.r.history[i].trainLoss}`));
});

test("graph steps leak no tensors and free their graphs", { skip: !canTraceGraphs() && "needs the tensorflow backend" }, async () => {
  const model = net();
  await train(model, { train: data.train }, { ...options, epochs: 1, warmupEpochs: 0 });
  const tensors = tf.memory().numTensors;
  const r = await train(model, { train: data.train }, { ...options, epochs: 1, warmupEpochs: 0 });
  assert.equal(r.stepMode?.mode, "graph");
  // The optimizer is made and freed inside train(): what is left is exactly what was there.
  assert.equal(tf.memory().numTensors, tensors);
  model.dispose();
});

test("op by op, with the reason, where a graph would replay what must change: the rate of a TF.js Adam passed in; a dropout mask made in JavaScript", { skip: !canTraceGraphs() && "needs the tensorflow backend" }, async () => {
  const adam = net();
  const optimizer = tf.train.adam(1e-3);
  const a = await train(adam, { train: data.train }, { ...options, epochs: 1, warmupEpochs: 0, optimizer });
  assert.deepEqual(a.stepMode, { mode: "eager", reason: 'the Adam optimizer passed in builds its learning rate inside each step (graph steps: SGD, momentum and optimizer: "adam", which holds its rate as a tensor)' });
  optimizer.dispose();
  adam.dispose();

  const dropped = net(0.5);
  const d = await train(dropped, { train: data.train }, { ...options, epochs: 1, warmupEpochs: 0 });
  // A mask drawn by a TensorFlow random op would be drawn again by the graph; one drawn in JavaScript is a constant that changes per step.
  console.log("dropout:", JSON.stringify(d.stepMode));
  if (d.stepMode?.mode === "eager") assert.equal(d.stepMode.reason, "the step's ops or constants change from one step to the next");
  dropped.dispose();
});

test("with another backend, steps run op by op and say why", async () => {
  const was = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    const model = net();
    const r = await train(model, { train: data.train }, { ...options, epochs: 1, warmupEpochs: 0, maxStepsPerEpoch: 4 });
    assert.deepEqual(r.stepMode, { mode: "eager", reason: "graph steps need the tensorflow backend (tfjs-node); the backend is cpu" });
    model.dispose();
  } finally {
    await tf.setBackend(was);
  }
});
