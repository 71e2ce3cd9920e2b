import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import * as tf from "@tensorflow/tfjs";
import type { Cifar10 } from "../../src/data";
import { lowRankConvs } from "../../src/lowrank";
import { tinyCnn } from "../../src/models";
import { copyWeights, latestCheckpoint, loadCheckpoint, loadModel, saveModel } from "../../src/train/checkpoint";
import { lockFolder } from "../../src/util/folder-lock";
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
    const model = tinyCnn({ seed: 1, lowRank: lowRankConvs({ ranks: { conv2: 3 }, bn }) });
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

test("resume refuses a checkpoint made with other settings, naming each difference; the same settings resume", async () => {
  const dir = tempDir("mismatch");
  const m = tinyCnn({ seed: 4 });
  const made: TrainOptions = { ...quick, epochs: 2, stopAfterEpoch: 1, checkpointDir: dir, evaluateEachEpoch: false };
  await train(m, data, made);
  const again = { ...made, stopAfterEpoch: undefined, resume: true };
  const wider = tinyCnn({ widths: [8, 32] });
  await assert.rejects(train(wider, data, again), /checkpoint in .*epoch-0001 was made with other settings: the model's architecture\..*--retrain/);
  await assert.rejects(train(m, data, { ...again, optimizer: "adam" }), /optimizer sgd \(now adam\)/);
  await assert.rejects(train(m, data, { ...again, epochs: 4 }), /epochs 2 \(now 4\)/);
  await assert.rejects(train(m, data, { ...again, batchSize: 25, seed: 8 }), /batchSize 50 \(now 25\); seed 7 \(now 8\)/);
  const other = await smallCifar(300, 100);
  try {
    await assert.rejects(train(m, { train: other.train }, again), /the training data/);
  } finally {
    other.dispose();
  }
  // A checkpoint of an earlier version records no settings: never resumed.
  const statePath = path.join(dir, "epoch-0001", "state.json");
  const state = JSON.parse(fs.readFileSync(statePath, "utf8")) as Record<string, unknown>;
  fs.writeFileSync(statePath, JSON.stringify({ ...state, version: 1, fingerprint: undefined }));
  await assert.rejects(train(m, data, again), /earlier version that did not record its settings/);
  fs.writeFileSync(statePath, JSON.stringify(state));
  const r = await train(m, data, again);
  assert.equal(r.startEpoch, 2, "the same settings (another stopAfterEpoch) resume");
  assert.throws(() => copyWeights(wider, m), /does not match the checkpoint \(first difference: conv1\/kernel\[3,3,3,8\] vs conv1\/kernel\[3,3,3,16\]\)/);

  const fresh = tempDir("fresh");
  const f = await train(m, data, { ...quick, epochs: 1, checkpointDir: fresh, resume: true, evaluateEachEpoch: false });
  assert.equal(f.startEpoch, 1);
  assert.equal(latestCheckpoint(fresh)?.epoch, 1);
  wider.dispose();
  m.dispose();
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(fresh, { recursive: true });
});

test("a checkpoint folder has one writer: a live holder is named, a stale lock is taken over, the lock is released", async () => {
  const dir = tempDir("locked");
  const m = tinyCnn({ seed: 5 });
  const opts: TrainOptions = { ...quick, epochs: 1, checkpointDir: dir, evaluateEachEpoch: false };
  const held = lockFolder(dir, "another training");
  await assert.rejects(train(m, data, opts), new RegExp(`in use by process ${process.pid} on .*another training.*delete .*\\.lock`));
  assert.equal(latestCheckpoint(dir), undefined, "nothing was written");
  held.release();
  // A lock left by a process that no longer runs.
  const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid as number;
  fs.writeFileSync(path.join(dir, ".lock"), JSON.stringify({ pid: dead, host: hostname(), purpose: "killed run", since: "then" }));
  await train(m, data, opts);
  assert.equal(latestCheckpoint(dir)?.epoch, 1);
  assert.equal(fs.existsSync(path.join(dir, ".lock")), false, "released after training");
  m.dispose();
  fs.rmSync(dir, { recursive: true });
});


test("a damaged checkpoint names the file and the fix instead of a raw TF.js error", async () => {
  const dir = tempDir("damaged");
  const m = tinyCnn({ seed: 6 });
  await train(m, data, { ...quick, epochs: 1, checkpointDir: dir, evaluateEachEpoch: false });
  const epoch = path.join(dir, "epoch-0001");
  for (const file of ["weights.bin", "optimizer.bin"]) {
    const full = path.join(epoch, file);
    const good = fs.readFileSync(full);
    fs.writeFileSync(full, good.subarray(0, good.length >> 1));
    await assert.rejects(loadCheckpoint(dir), new RegExp(`${file.replace(".", "\\.")} holds ${good.length >> 1} bytes but .* describes ${good.length}: the file is damaged.*Delete`));
    await assert.rejects(train(m, data, { ...quick, epochs: 2, checkpointDir: dir, resume: true }), /the file is damaged/);
    fs.writeFileSync(full, good);
  }
  fs.rmSync(path.join(epoch, "optimizer.bin"));
  await assert.rejects(loadCheckpoint(dir), /has no optimizer\.bin: it is incomplete/);
  m.dispose();
  fs.rmSync(dir, { recursive: true });
});
