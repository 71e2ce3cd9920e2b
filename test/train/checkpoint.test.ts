import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Cifar10 } from "../../src/data";
import { tinyCnn } from "../../src/models";
import { latestCheckpoint, loadCheckpoint, loadModel, saveModel } from "../../src/train/checkpoint";
import { train, type TrainOptions } from "../../src/train/train";
import { smallCifar, snapshot, tempDir } from "./fixtures";

let data: Cifar10;
let probe: tf.Tensor4D;
before(async () => {
  data = await smallCifar(600, 200);
  probe = tf.keep(data.test.xs.slice(0, 64));
});
after(() => {
  probe?.dispose();
  data?.dispose();
});

const predictions = (m: tf.LayersModel): Float32Array => tf.tidy(() => (m.predict(probe) as tf.Tensor).dataSync() as Float32Array);

/** Optimizer state as plain values: [name, values][] (getWeights' fresh 'iter' tensor disposed). */
async function optimizerState(opt: tf.Optimizer): Promise<[string, number[]][]> {
  const named = await opt.getWeights();
  const out = named.map((w): [string, number[]] => [w.name, Array.from(w.tensor.dataSync())]);
  tf.dispose(named.filter((w) => w.name === "iter").map((w) => w.tensor));
  return out;
}

/** Names differ between model instances (unique suffixes); compare the momentum values by position. */
const values = (state: [string, number[]][]): number[][] => state.map(([, v]) => v);

const quick: TrainOptions = { epochs: 3, batchSize: 50, learningRate: 0.05, maxStepsPerEpoch: 4, progress: "none", seed: 7 };

test("saveModel/loadModel round-trip dense and LowRankConv2D models with identical predictions", async () => {
  for (const bn of ["none", "between", "after"] as const) {
    const model = tinyCnn({ seed: 1, lowRank: { ranks: { conv2: 3 }, bn } });
    // Train briefly so BN statistics and weights are not at their initial values.
    await train(model, data, { ...quick, epochs: 1, evaluateEachEpoch: false });
    const dir = tempDir("save");
    await saveModel(model, dir);
    assert.ok(fs.existsSync(path.join(dir, "model.json")) && fs.existsSync(path.join(dir, "weights.bin")));
    const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
    assert.equal(json.weightsManifest[0].paths[0], "./weights.bin");
    assert.equal(fs.readdirSync(dir).filter((f) => f.includes(".tmp-")).length, 0, "no temporary files left");
    const loaded = await loadModel(dir);
    assert.equal(loaded.getLayer("conv2").getClassName(), "LowRankConv2D");
    assert.deepEqual(predictions(loaded), predictions(model), `bn=${bn}`);
    loaded.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true });
  }
  const empty = tempDir("empty");
  await assert.rejects(loadModel(empty), /No saved model in .* \(missing model\.json\)/);
  fs.rmSync(empty, { recursive: true });
});

test("a checkpoint written mid-run loads into a model with identical predictions", async () => {
  const dir = tempDir("mid");
  const model = tinyCnn({ seed: 2 });
  let atEpoch1: Float32Array | undefined;
  await train(model, data, {
    ...quick,
    epochs: 2,
    checkpointDir: dir,
    keepCheckpoints: 2,
    onEpochEnd: (row) => {
      if (row.epoch === 1) atEpoch1 = predictions(model);
    },
  });
  assert.deepEqual(fs.readdirSync(dir).sort(), ["epoch-0001", "epoch-0002", "latest.json"]);
  assert.deepEqual(latestCheckpoint(dir), { epoch: 2, path: "epoch-0002" });
  const mid = await loadModel(path.join(dir, "epoch-0001"));
  assert.deepEqual(predictions(mid), atEpoch1);
  assert.notDeepEqual(predictions(mid), predictions(model), "epoch 2 moved on from epoch 1");
  const last = await loadCheckpoint(dir);
  assert.ok(last);
  assert.deepEqual(predictions(last.model), predictions(model));
  assert.deepEqual(last.state.history.map((h) => h.epoch), [1, 2]);
  assert.equal(last.state.options.learningRate, 0.05);
  last.dispose();
  mid.dispose();
  model.dispose();
  fs.rmSync(dir, { recursive: true });
});

for (const optimizer of ["sgd", "adam"] as const) {
  test(`a run stopped after epoch 1 resumes at epoch 2 with identical weights and ${optimizer} state`, async () => {
    const dir = tempDir(`resume-${optimizer}`);
    const opts: TrainOptions = { ...quick, optimizer, learningRate: optimizer === "adam" ? 0.003 : 0.05, checkpointDir: dir };

    const first = tinyCnn({ seed: 3 });
    let savedState: [string, number[]][] = [];
    let savedWeights: number[][] = [];
    const r1 = await train(first, data, {
      ...opts,
      stopAfterEpoch: 1,
      onEpochEnd: async (_row, ctx) => {
        savedState = await optimizerState(ctx.optimizer);
        savedWeights = snapshot(ctx.model.getWeights());
      },
    });
    assert.equal(r1.stopReason, "stop-after-epoch");
    assert.deepEqual(r1.history.map((h) => h.epoch), [1]);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["epoch-0001", "latest.json"]);
    first.dispose();

    // A fresh process would build the model again, with other initial weights.
    const second = tinyCnn({ seed: 99 });
    const before = tf.memory().numTensors;
    let resumedState: [string, number[]][] = [];
    let resumedWeights: number[][] = [];
    const started: number[] = [];
    const r2 = await train(second, data, {
      ...opts,
      resume: true,
      onEpochStart: async (ctx) => {
        started.push(ctx.epoch);
        if (ctx.epoch === 2) {
          resumedState = await optimizerState(ctx.optimizer);
          resumedWeights = snapshot(ctx.model.getWeights());
        }
      },
    });
    assert.equal(r2.startEpoch, 2);
    assert.deepEqual(started, [2, 3]);
    assert.equal(r2.stopReason, "completed");
    assert.deepEqual(r2.history.map((h) => h.epoch), [1, 2, 3]);
    assert.deepEqual(r2.history[0], r1.history[0], "the restored history is the saved one");
    assert.ok(savedState.length > 1, "the optimizer has state beyond its iteration count");
    assert.deepEqual(resumedState[0], savedState[0], "iteration count");
    assert.deepEqual(values(resumedState), values(savedState));
    assert.deepEqual(resumedWeights, savedWeights);
    assert.equal(tf.memory().numTensors, before, "resume leaks no tensors");

    // Running again finds the work done.
    const r3 = await train(second, data, { ...opts, resume: true });
    assert.equal(r3.stopReason, "already-complete");
    assert.equal(r3.history.length, 3);
    second.dispose();
    fs.rmSync(dir, { recursive: true });
  });
}

test("resume refuses a different architecture or optimizer, and starts afresh without a checkpoint", async () => {
  const dir = tempDir("mismatch");
  const m = tinyCnn({ seed: 4 });
  await train(m, data, { ...quick, epochs: 2, stopAfterEpoch: 1, checkpointDir: dir, evaluateEachEpoch: false });
  const wider = tinyCnn({ widths: [8, 32] });
  await assert.rejects(
    train(wider, data, { ...quick, checkpointDir: dir, resume: true }),
    /does not match the checkpoint in .*epoch-0001 \(first difference: conv1\/kernel\[3,3,3,16\] vs conv1\/kernel\[3,3,3,8\]\)/,
  );
  await assert.rejects(train(m, data, { ...quick, optimizer: "adam", checkpointDir: dir, resume: true }), /trained with Momentum, not Adam/);
  const fresh = tempDir("fresh");
  const r = await train(m, data, { ...quick, epochs: 1, checkpointDir: fresh, resume: true, evaluateEachEpoch: false });
  assert.equal(r.startEpoch, 1);
  assert.equal(latestCheckpoint(fresh)?.epoch, 1);
  wider.dispose();
  m.dispose();
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(fresh, { recursive: true });
});
