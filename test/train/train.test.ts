import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { cifar10FromRaw, readCifar10Raw, type Cifar10 } from "../../src/data";
import { lowRankConvs } from "../../src/lowrank";
import { nin, tinyCnn, vggSmall } from "../../src/models";
import { evaluate } from "../../src/train/evaluate";
import { historyFrame } from "../../src/tables/history-frame";
import { train } from "../../src/train/train";
import { CIFAR10_DIR, snapshot } from "./fixtures";

let data: Cifar10;
let few: Cifar10;
before(async () => {
  await initBackend(undefined, { quiet: true });
  const raw = readCifar10Raw(CIFAR10_DIR);
  data = cifar10FromRaw(raw, { trainLimit: 2000, testLimit: 1000 });
  few = cifar10FromRaw(raw, { trainLimit: 64, testLimit: 10 });
});
after(() => {
  data?.dispose();
  few?.dispose();
});

test("tinyCnn learns real CIFAR-10: loss falls and test accuracy clearly beats chance", async () => {
  const model = tinyCnn({ seed: 1 });
  const r = await train(model, data, {
    epochs: 2,
    batchSize: 32,
    learningRate: 0.05,
    lrSchedule: "cosine",
    weightDecay: 5e-4,
    progress: "none",
  });
  assert.equal(r.stopReason, "completed");
  assert.deepEqual(r.history.map((h) => h.epoch), [1, 2]);
  const [e1, e2] = r.history;
  assert.ok(e2.trainLoss < e1.trainLoss, `train loss should fall: ${e1.trainLoss} → ${e2.trainLoss}`);
  assert.ok((e2.testAccuracy ?? 0) > 0.25, `test accuracy ${e2.testAccuracy} should beat chance (0.1) clearly`);
  for (const h of r.history) {
    for (const v of [h.trainLoss, h.trainAccuracy, h.testLoss, h.testAccuracy, h.seconds, h.imagesPerSecond, h.lr]) {
      assert.ok(Number.isFinite(v) && (v as number) >= 0, `history value ${v}`);
    }
  }
  assert.ok(e2.lr < e1.lr, "cosine schedule lowers the rate");
  // The test columns match an independent evaluation of the final model.
  const ev = evaluate(model, data.test, 100);
  assert.ok(Math.abs(ev.accuracy - (e2.testAccuracy as number)) < 1e-9);
  assert.ok(Math.abs(ev.loss - (e2.testLoss as number)) < 1e-4);
  const df = historyFrame(r.history);
  assert.deepEqual(df.shape, [2, 8]);
  assert.deepEqual(df.columns, ["epoch", "trainLoss", "trainAccuracy", "testLoss", "testAccuracy", "seconds", "imagesPerSecond", "lr"]);
  model.dispose();
});

test("batch norm updates its moving statistics in training steps, not in evaluation", async () => {
  const model = tinyCnn({ seed: 2 });
  const bn = model.getLayer("conv1_bn");
  const [gamma0, beta0, mean0, var0] = snapshot(bn.getWeights());
  await train(model, data, { epochs: 1, batchSize: 32, learningRate: 0.01, maxStepsPerEpoch: 3, evaluateEachEpoch: false, progress: "none" });
  const [gamma1, beta1, mean1, var1] = snapshot(bn.getWeights());
  const changed = (a: number[], b: number[]): boolean => a.some((x, i) => Math.abs(x - b[i]) > 1e-6);
  assert.ok(changed(mean0, mean1), "moving mean must move during training");
  assert.ok(changed(var0, var1), "moving variance must move during training");
  assert.ok(changed(gamma0, gamma1) && changed(beta0, beta1), "gamma/beta are trained");
  // Starting from mean 0, three momentum-0.9 updates give at most 1 − 0.9³ ≈ 27% of the batch means.
  assert.ok(mean1.some((m) => Math.abs(m) > 1e-3));
  evaluate(model, data.test, 250);
  tf.tidy(() => model.predict(data.test.xs.slice(0, 8)));
  const [, , mean2, var2] = snapshot(bn.getWeights());
  assert.deepEqual(mean2, mean1, "inference must not touch the moving mean");
  assert.deepEqual(var2, var1, "inference must not touch the moving variance");
  model.dispose();
});

test("tf.memory().numTensors stays flat across 100 training steps, op by op and as graph steps, and train cleans up", async () => {
  for (const graphStep of [false, true]) {
    const model = tinyCnn({ seed: 3 });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await train(model, data, {
      epochs: 1,
      batchSize: 16,
      learningRate: 0.02,
      weightDecay: 5e-4,
      augment: true,
      maxStepsPerEpoch: 100,
      evaluateEachEpoch: false,
      progress: "none",
      graphStep,
      onStep: () => counts.push(tf.memory().numTensors),
    });
    assert.equal(counts.length, 100);
    // Graph steps hold their traced constants from the third step (the second trace) until train returns.
    const steady = graphStep ? counts.slice(2) : counts;
    assert.equal(new Set(steady).size, 1, `graphStep ${graphStep}: tensor counts across steps: ${[...new Set(counts)].join(", ")}`);
    assert.equal(r.stepMode?.mode, graphStep && tf.getBackend() === "tensorflow" ? "graph" : "eager");
    assert.equal(tf.memory().numTensors, before, "the optimizer, its state and the graph are disposed at the end");
    assert.ok(r.history[0].trainLoss > 0);
    model.dispose();
  }
});

test("weight decay shrinks kernels relative to the same run without it", async () => {
  const norms: number[] = [];
  for (const weightDecay of [0, 0.5]) {
    const model = tinyCnn({ seed: 4 });
    await train(model, data, { epochs: 1, batchSize: 32, learningRate: 0.02, weightDecay, maxStepsPerEpoch: 5, evaluateEachEpoch: false, progress: "none" });
    const k = model.getLayer("conv2").getWeights()[0];
    norms.push(tf.tidy(() => tf.norm(k).dataSync()[0]));
    model.dispose();
  }
  assert.ok(norms[1] < norms[0] * 0.99, `kernel norms without/with decay: ${norms.join(" / ")}`);
});

test("early stopping ends the run when the monitored value stops improving", async () => {
  const model = tinyCnn({ seed: 5 });
  // A negligible rate: the train loss (monitored when there is no evaluation) cannot rise by minDelta.
  const r = await train(model, data, {
    epochs: 5,
    batchSize: 32,
    learningRate: 1e-9,
    maxStepsPerEpoch: 2,
    shuffle: false,
    evaluateEachEpoch: false,
    patience: 1,
    minDelta: 0.01,
    progress: "none",
  });
  assert.equal(r.stopReason, "early-stop");
  assert.equal(r.history.length, 2);
  assert.equal(r.bestEpoch !== undefined, true);
  model.dispose();
});

test("an abort signal stops between steps and discards the partial epoch", async () => {
  const model = tinyCnn({ seed: 6 });
  const before = tf.memory().numTensors;
  const ac = new AbortController();
  const steps: number[] = [];
  const r = await train(model, data, {
    epochs: 2,
    batchSize: 32,
    learningRate: 0.01,
    signal: ac.signal,
    progress: "none",
    onStep: (s) => {
      steps.push(s.step);
      if (s.step === 3) ac.abort();
    },
  });
  assert.equal(r.stopReason, "aborted");
  assert.deepEqual(steps, [1, 2, 3]);
  assert.equal(r.history.length, 0);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test("an abort from a timer stops training within a step, not at the end of the epoch (the loop yields to the event loop)", async () => {
  const model = tinyCnn({ seed: 6 });
  const ac = new AbortController();
  const steps: number[] = [];
  setTimeout(() => ac.abort(), 0);
  const r = await train(model, data, { epochs: 1, batchSize: 16, learningRate: 0.01, signal: ac.signal, progress: "none", onStep: (s) => steps.push(s.step) });
  assert.equal(r.stopReason, "aborted");
  assert.ok(steps.length <= 2, `aborted after ${steps.length} steps`);
  model.dispose();
});

test("models built with LowRankConv2D layers train: every BN placement fits a small fixed set", async () => {
  // 64 fixed images, 10 epochs: a network whose gradients flow through V and H memorises them, so the
  // epoch loss falls steadily — a robust check where a few steps on fresh data would be noise.
  const models = [
    tinyCnn({ seed: 7, lowRank: lowRankConvs({ speedup: 2 }) }),
    vggSmall({ widths: [8, 16, 32], seed: 8, lowRank: lowRankConvs({ speedup: 2, bn: "after" }) }),
    vggSmall({ widths: [8, 16, 32], seed: 8, lowRank: lowRankConvs({ speedup: 2, bn: "between" }) }),
    nin({ widthMultiplier: 0.1, dropout: 0, seed: 8, lowRank: lowRankConvs({ speedup: 2, bn: "none" }) }),
  ];
  for (const m of models) {
    const pairs = m.layers.filter((l) => l.getClassName() === "LowRankConv2D");
    assert.ok(pairs.length >= 2, `${m.name} has LowRankConv2D layers`);
    const before = snapshot(pairs[0].getWeights());
    const r = await train(m, { train: few.train }, { epochs: 10, batchSize: 32, learningRate: 0.05, progress: "none" });
    const losses = r.history.map((h) => h.trainLoss);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[9] < 0.85 * losses[0], `${m.name}: epoch loss ${losses.map((l) => l.toFixed(2)).join(" → ")}`);
    const after = snapshot(pairs[0].getWeights());
    assert.ok(after.every((w, i) => w.some((x, j) => x !== before[i][j])), `${m.name}: every weight of the pair (V, H, BN) is trained or updated`);
    m.dispose();
  }
});

test("bad options are refused with messages that say what to do", async () => {
  const model = tinyCnn({ seed: 9 });
  const base = { epochs: 1, batchSize: 32, learningRate: 0.01, progress: "none" as const };
  await assert.rejects(train(model, data, { ...base, epochs: 0 }), /epochs must be an integer ≥ 1, got 0/);
  await assert.rejects(train(model, data, { ...base, batchSize: 2.5 }), /batchSize must be an integer ≥ 1/);
  await assert.rejects(train(model, data, { ...base, learningRate: -1 }), /learningRate must be > 0/);
  await assert.rejects(train(model, data, { ...base, resume: true }), /resume: true needs checkpointDir/);
  await assert.rejects(train(model, data, { ...base, optimizer: "rmsprop" as never }), /Unknown optimizer 'rmsprop'/);
  await assert.rejects(train(model, data, { ...base, lrSchedule: { kind: "step" } }), /every.*milestones/);
  const small = tinyCnn({ inputShape: [16, 16, 3] });
  await assert.rejects(train(small, data, base), /expects inputs 16×16×3 but data.test images are 32×32×3/);
  await assert.rejects(train(small, { train: data.train }, base), /expects inputs 16×16×3 but data.train images are 32×32×3/);
  small.dispose();
  model.dispose();
});
