import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { cifar10FromRaw, readCifar10Raw, type Cifar10 } from "../../src/data";
import { initBackend } from "../../src/backend/init";
import { convSpecOfLayer, LowRankConv2D, lowRankConvs, reconstructKernel, spectralInitialize, theoreticalSpeedup } from "../../src/lowrank";
import { tinyCnn, vggSmall } from "../../src/models";
import { decaySum, factorProductSquaredNorm } from "../../src/train/frobenius-decay";
import { trainHybrid } from "../../src/train/hybrid";
import { learningRateAt } from "../../src/train/lr-schedule";
import { train } from "../../src/train/train";
import { trainTrp } from "../../src/train/trained-rank-pruning";
import { CIFAR10_DIR, maxRelativeDifference as maxRel, tempDir } from "./fixtures";

let data: Cifar10;
before(async () => {
  await initBackend(undefined, { quiet: true });
  data = cifar10FromRaw(readCifar10Raw(CIFAR10_DIR), { trainLimit: 128, testLimit: 64 });
  // The backend keeps a few tensors of its own after the first low-rank training step: make them before any count.
  const warm = vggSmall({ widths: [8, 16, 16], seed: 0, lowRank: lowRankConvs({ speedup: 2 }) });
  await train(warm, data, { epochs: 1, batchSize: 32, maxStepsPerEpoch: 1, evaluateEachEpoch: false, learningRate: 0.01, progress: "none" });
  warm.dispose();
});
after(() => data?.dispose());


test("Frobenius decay: ‖V·H‖²_F from the Gram matrices equals the rebuilt kernel's norm, and its gradient matches finite differences of ½‖V·H‖²_F", () => {
  const [kh, kw, C, K, N] = [3, 3, 4, 3, 5];
  const rand = (n: number, seed: number) => Float64Array.from(tf.tidy(() => tf.randomNormal([n], 0, 1, "float32", seed).dataSync()));
  const v = rand(kh * C * K, 1);
  const h = rand(kw * K * N, 2);
  // ½‖V·H‖²_F in float64 on the host, the reference.
  const half = (vd: Float64Array, hd: Float64Array) => 0.5 * Array.from(reconstructKernel({ data: vd, shape: [kh, 1, C, K] }, { data: hd, shape: [1, kw, K, N] }).data).reduce((a, x) => a + x * x, 0);
  const before = tf.memory().numTensors;
  const V = tf.tensor(Float32Array.from(v), [kh, 1, C, K]);
  const H = tf.tensor(Float32Array.from(h), [1, kw, K, N]);
  const norm = tf.tidy(() => factorProductSquaredNorm(V, H).dataSync()[0]);
  assert.ok(Math.abs(norm - 2 * half(v, h)) < 1e-4 * norm, `${norm} vs ${2 * half(v, h)}`);
  const [gV, gH] = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.mul(factorProductSquaredNorm(a, b), 0.5))([V, H]).map((g) => g.dataSync()));
  const eps = 1e-4;
  const fd = (x: Float64Array, other: Float64Array, which: "v" | "h") =>
    Array.from(x, (_, i) => {
      const up = x.slice();
      const down = x.slice();
      up[i] += eps;
      down[i] -= eps;
      return which === "v" ? (half(up, other) - half(down, other)) / (2 * eps) : (half(other, up) - half(other, down)) / (2 * eps);
    });
  assert.ok(maxRel(gV, fd(v, h, "v")) < 1e-4, `∂/∂V rel. error ${maxRel(gV, fd(v, h, "v"))}`);
  assert.ok(maxRel(gH, fd(h, v, "h")) < 1e-4, `∂/∂H rel. error ${maxRel(gH, fd(h, v, "h"))}`);
  tf.dispose([V, H]);
  assert.equal(tf.memory().numTensors, before);
});

test("decaySum: 'l2' sums every kernel's ‖W‖²; 'frobenius' puts ‖V·H‖²_F in place of each pair's ‖V‖² + ‖H‖²", () => {
  const model = vggSmall({ widths: [8, 16, 16], seed: 2, lowRank: lowRankConvs({ speedup: 2 }) });
  const pairs = model.layers.filter((l): l is LowRankConv2D => l instanceof LowRankConv2D);
  assert.ok(pairs.length > 0);
  const value = (f: (() => tf.Scalar) | undefined) => tf.tidy(() => f!().dataSync()[0]);
  const sq = (t: tf.Tensor) => tf.tidy(() => tf.sum(tf.square(t)).dataSync()[0]);
  const l2 = value(decaySum(model, "l2"));
  const fro = value(decaySum(model, "frobenius"));
  let factors = 0;
  let products = 0;
  for (const p of pairs) {
    const { vertical, horizontal } = p.factorWeights();
    factors += sq(vertical.read()) + sq(horizontal.read());
    products += tf.tidy(() => factorProductSquaredNorm(vertical.read(), horizontal.read()).dataSync()[0]);
  }
  assert.ok(Math.abs(fro - (l2 - factors + products)) < 1e-4 * l2, `${fro} vs ${l2 - factors + products}`);
  model.dispose();
  const dense = tinyCnn({ seed: 1 });
  assert.equal(value(decaySum(dense, "frobenius")), value(decaySum(dense, "l2")), "a model without pairs decays the same either way");
  dense.dispose();
});

test("train with factorDecay 'frobenius' and spectral initialisation trains a low-rank twin and leaves no tensors", async () => {
  const model = vggSmall({ widths: [8, 16, 16], seed: 3, lowRank: lowRankConvs({ speedup: 2 }) });
  spectralInitialize(model);
  const before = tf.memory().numTensors;
  const r = await train(model, data, { epochs: 1, batchSize: 32, learningRate: 0.05, weightDecay: 5e-4, factorDecay: "frobenius", progress: "none" });
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  assert.ok(Number.isFinite(r.history[0].trainLoss));
  await assert.rejects(() => train(model, data, { epochs: 1, batchSize: 32, learningRate: 0.05, factorDecay: "nuclear" as "l2", progress: "none" }), /factorDecay must be one of l2, frobenius/);
  model.dispose();
});

test("scheduleSpan: a call covering epochs 3–4 of a 4-epoch run takes the rates of those epochs, and refuses a span it does not fit", async () => {
  const model = tinyCnn({ seed: 4 });
  const lrs: number[] = [];
  const o = { batchSize: 64, learningRate: 0.1, lrSchedule: "cosine" as const, warmupEpochs: 1, progress: "none" as const };
  await train(model, data, { ...o, epochs: 2, scheduleSpan: { firstEpoch: 3, totalEpochs: 4 }, onStep: (s) => lrs.push(s.lr) });
  const want = [2, 3].flatMap((e) => [0, 1].map((step) => learningRateAt({ learningRate: 0.1, schedule: "cosine", warmupEpochs: 1, per: "step", epochs: 4, stepsPerEpoch: 2 }, e, step)));
  assert.deepEqual(lrs, want);
  await assert.rejects(() => train(model, data, { ...o, epochs: 3, scheduleSpan: { firstEpoch: 3, totalEpochs: 4 } }), /do not fit in a run of 4 epochs/);
  model.dispose();
});

test("a run that stopped early is complete: resuming it trains no further epoch, unless with more patience (or none)", async () => {
  const dir = tempDir("early-stop-resume");
  const o = { epochs: 5, batchSize: 64, learningRate: 0.05, patience: 1, minDelta: 1, checkpointDir: dir, progress: "none" as const };
  const first = tinyCnn({ seed: 5 });
  const r1 = await train(first, data, o);
  assert.equal(r1.stopReason, "early-stop");
  assert.equal(r1.history.length, 2, "no later epoch can beat the first by minDelta = 1, so patience 1 stops after epoch 2");
  const again = tinyCnn({ seed: 5 });
  const r2 = await train(again, data, { ...o, resume: true });
  assert.equal(r2.stopReason, "already-complete");
  assert.equal(r2.history.length, 2);
  // With more patience, or none, the same checkpoint goes on: its epochs are those of the patient run.
  const patient = tinyCnn({ seed: 5 });
  const r3 = await train(patient, data, { ...o, patience: undefined, minDelta: undefined, resume: true });
  assert.deepEqual([r3.startEpoch, r3.history.length, r3.stopReason], [3, 5, "completed"]);
  assert.deepEqual(r3.history.slice(0, 2), r1.history);
  // Less patience than the run had is another run: refused.
  const dir2 = tempDir("early-stop-resume-less");
  await train(tinyCnn({ seed: 5 }), data, { ...o, patience: 3, checkpointDir: dir2, stopAfterEpoch: 1 });
  await assert.rejects(() => train(tinyCnn({ seed: 5 }), data, { ...o, checkpointDir: dir2, resume: true }), /other settings.*patience 3 \(now 1\)/s);
  first.dispose();
  again.dispose();
  patient.dispose();
});

test("hybrid: at the switch the full-rank low-rank net predicts what the dense net does; momentum carries over for surviving variables; one schedule spans both phases", async () => {
  const dense = vggSmall({ widths: [8, 16, 16], seed: 6 });
  const convs = dense.layers.filter((l) => l.getClassName() === "Conv2D");
  const full = Object.fromEntries(convs.map((l) => [l.name, Math.min(3 * (l.getWeights()[0].shape[2] as number), 3 * (l.getWeights()[0].shape[3] as number))]));
  const x = data.test.xs.slice([0, 0, 0, 0], [16, 32, 32, 3]);
  let atSwitch: number | undefined;
  const lrs: number[] = [];
  const dir = tempDir("hybrid");
  const before = tf.memory().numTensors;
  const r = await trainHybrid(dense, data, {
    epochs: 3,
    switchEpoch: 1,
    plan: { ranks: full },
    batchSize: 64,
    learningRate: 0.05,
    lrSchedule: "cosine",
    progress: "none",
    checkpointDir: dir,
    onStep: (s) => lrs.push(s.lr),
    onEpochStart: ({ model }) => {
      if (model === dense || atSwitch !== undefined) return;
      const [a, b] = [dense, model].map((m) => m.predict(x) as tf.Tensor);
      atSwitch = maxRel(b.dataSync(), a.dataSync());
      tf.dispose([a, b]);
    },
  });
  assert.ok(atSwitch !== undefined && atSwitch < 1e-4, `predictions at the switch differ by ${atSwitch}`);
  assert.deepEqual(r.history.map((h) => h.epoch), [1, 2, 3]);
  assert.ok(r.model.layers.some((l) => l instanceof LowRankConv2D));
  const pairs = r.model.layers.filter((l) => l instanceof LowRankConv2D).length;
  assert.equal(r.carried.fresh, 2 * pairs, "only the new factors start at zero");
  assert.equal(r.carried.carried, r.model.trainableWeights.length - 2 * pairs);
  const want = [0, 1, 2].flatMap((e) => [0, 1].map((step) => learningRateAt({ learningRate: 0.05, schedule: "cosine", per: "step", epochs: 3, stepsPerEpoch: 2 }, e, step)));
  assert.deepEqual(lrs, want);
  r.model.dispose();
  x.dispose();
  assert.equal(tf.memory().numTensors, before - 1, "no tensors left behind (x, made before the count, is disposed)");
  // Resumed from its checkpoints, the run is complete and trains nothing more.
  const again = vggSmall({ widths: [8, 16, 16], seed: 6 });
  const steps: number[] = [];
  const r2 = await trainHybrid(again, data, { epochs: 3, switchEpoch: 1, plan: { ranks: full }, batchSize: 64, learningRate: 0.05, lrSchedule: "cosine", progress: "none", checkpointDir: dir, resume: true, onStep: (s) => steps.push(s.step) });
  assert.equal(steps.length, 0);
  assert.deepEqual(r2.history.map((h) => h.testAccuracy), r.history.map((h) => h.testAccuracy));
  await assert.rejects(() => trainHybrid(again, data, { epochs: 3, switchEpoch: 3, plan: { ranks: full }, batchSize: 64, learningRate: 0.05 }), /switchEpoch must be an integer in \[1, epochs − 1\]/);
  r2.model.dispose();
  again.dispose();
  dense.dispose();
});

test("TRP: trains dense while projecting, then decomposes into a net that predicts what the projected one does", async () => {
  const model = vggSmall({ widths: [8, 16, 16], seed: 7 });
  const first = model.layers.find((l) => l.getClassName() === "Conv2D")!.name;
  const before = tf.memory().numTensors;
  const r = await trainTrp(model, data, { epochs: 1, batchSize: 32, learningRate: 0.05, plan: { energy: 0.9 }, everySteps: 2, skip: [first], progress: "none" });
  assert.equal(r.projections, 2, "after steps 2 and 4 (the last)");
  assert.ok(r.projection.length >= 3 && r.projection.every((p) => p.keptEnergy >= 0.9 - 1e-9));
  assert.ok(!r.model.layers.some((l) => l.name === first && l instanceof LowRankConv2D), "the first conv stays dense");
  const x = data.test.xs.slice([0, 0, 0, 0], [16, 32, 32, 3]);
  const [a, b] = [model, r.model].map((m) => m.predict(x) as tf.Tensor);
  assert.ok(maxRel(b.dataSync(), a.dataSync()) < 1e-4, `decomposed vs projected: ${maxRel(b.dataSync(), a.dataSync())}`);
  tf.dispose([x, a, b]);
  r.model.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  model.dispose();
});

test("hybrid, automatic switch (Cuttlefish): switches once stable ranks settle, ranks from them; a resumed run decides alike and trains nothing more", async () => {
  const o = { epochs: 4, batchSize: 64, learningRate: 0.05, progress: "none" as const };
  const tensorsBefore = tf.memory().numTensors;
  // A loose tolerance is met at the first epoch that has one before it.
  const loose = vggSmall({ widths: [8, 16, 16], seed: 8 });
  const first = loose.layers.find((l) => l.getClassName() === "Conv2D")!.name;
  const dir = tempDir("hybrid-auto");
  const r = await trainHybrid(loose, data, { ...o, switchEpoch: "auto", autoSwitch: { tolerance: 10 }, plan: "stable-rank", keepDense: [first], checkpointDir: dir });
  assert.equal(r.switchedAt, 2);
  assert.deepEqual(r.history.map((h) => h.epoch), [1, 2, 3, 4]);
  const sr = r.stableRanks!;
  assert.ok(!(first in sr.atInit) && !(first in r.ranks), "the first conv stays dense and untracked");
  // Every tracked conv: its scaled stable rank, factored at it when the pair is cheaper, else left dense.
  for (const layer of Object.keys(sr.atInit)) {
    const conv = loose.getLayer(layer);
    const [kh, kw, C, N] = conv.getWeights()[0].shape;
    const fullRank = Math.min(kh * C, kw * N);
    const want = Math.min(fullRank, Math.max(1, Math.round((sr.byEpoch[1].stableRanks[layer] * fullRank) / sr.atInit[layer])));
    const cheaper = theoreticalSpeedup(convSpecOfLayer(conv), want) > 1;
    assert.equal(r.ranks[layer], cheaper ? want : undefined, `${layer}: scaled stable rank ${want}, ${cheaper ? "factored" : "left dense"}`);
  }
  const pairs = r.model.layers.filter((l): l is LowRankConv2D => l instanceof LowRankConv2D);
  assert.deepEqual(Object.fromEntries(pairs.map((l) => [l.name, l.rank])), r.ranks);
  const steps: number[] = [];
  const again = vggSmall({ widths: [8, 16, 16], seed: 8 });
  const r2 = await trainHybrid(again, data, { ...o, switchEpoch: "auto", autoSwitch: { tolerance: 10 }, plan: "stable-rank", keepDense: [first], checkpointDir: dir, resume: true, onStep: (s) => steps.push(s.step) });
  assert.equal(steps.length, 0);
  assert.equal(r2.switchedAt, 2);
  assert.deepEqual(r2.ranks, r.ranks);
  // A tolerance nothing meets switches at the latest epoch allowed.
  const strict = vggSmall({ widths: [8, 16, 16], seed: 8 });
  const r3 = await trainHybrid(strict, data, { ...o, switchEpoch: "auto", autoSwitch: { tolerance: 1e-12, maxEpoch: 3 }, plan: { speedup: 2 } });
  assert.equal(r3.switchedAt, 3);
  assert.equal(r3.history.length, 4);
  for (const m of [loose, again, strict, r.model, r2.model, r3.model]) m.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensors left behind");
});

test("TRP and hybrid checkpoints record their projection and switch settings: a resume with others is refused, not mixed", async () => {
  const dir = tempDir("trp-fingerprint");
  const o = { epochs: 1, batchSize: 64, learningRate: 0.05, plan: { energy: 0.9 }, checkpointDir: dir, progress: "none" as const };
  const a = vggSmall({ widths: [8, 16, 16], seed: 10 });
  const r = await trainTrp(a, data, { ...o, everySteps: 2, nuclearDecay: 3e-4 });
  const b = vggSmall({ widths: [8, 16, 16], seed: 10 });
  await assert.rejects(() => trainTrp(b, data, { ...o, everySteps: 1, nuclearDecay: 3e-4, resume: true }), /other settings.*extra/s);
  const hdir = tempDir("hybrid-fingerprint");
  const h = { epochs: 2, batchSize: 64, learningRate: 0.05, progress: "none" as const, checkpointDir: hdir };
  const c = vggSmall({ widths: [8, 16, 16], seed: 11 });
  const rh = await trainHybrid(c, data, { ...h, switchEpoch: 1, plan: { speedup: 2 } });
  const d = vggSmall({ widths: [8, 16, 16], seed: 11 });
  await assert.rejects(() => trainHybrid(d, data, { ...h, switchEpoch: 1, plan: { speedup: 3 }, resume: true }), /other settings.*extra/s);
  for (const m of [a, b, c, d, r.model, rh.model]) m.dispose();
});

test("resuming with an optimizer that already holds state frees that state (nothing leaks)", async () => {
  const dir = tempDir("used-optimizer-resume");
  const o = { epochs: 2, batchSize: 64, learningRate: 0.05, progress: "none" as const, checkpointDir: dir };
  const first = tinyCnn({ seed: 12 });
  const firstOptimizer = tf.train.momentum(0.05, 0.9);
  await train(first, data, { ...o, optimizer: firstOptimizer, stopAfterEpoch: 1 });
  firstOptimizer.dispose();
  const model = tinyCnn({ seed: 12 });
  const optimizer = tf.train.momentum(0.05, 0.9);
  await train(model, data, { ...o, epochs: 1, checkpointDir: undefined, optimizer }); // the optimizer now holds momentum
  const before = tf.memory().numTensors;
  await train(model, data, { ...o, optimizer, resume: true });
  assert.equal(tf.memory().numTensors, before);
  optimizer.dispose();
  first.dispose();
  model.dispose();
});
