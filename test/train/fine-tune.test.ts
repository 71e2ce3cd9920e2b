import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Cifar10 } from "../../src/data";
import { tinyCnn } from "../../src/models";
import { evaluate } from "../../src/train/evaluate";
import { fineTune } from "../../src/train/fine-tune";
import { train } from "../../src/train/train";
import { smallCifar } from "./fixtures";

let data: Cifar10;
let base: tf.LayersModel;
let baseAccuracy: number;
before(async () => {
  data = await smallCifar(2000, 1000);
  base = tinyCnn({ seed: 1 });
  await train(base, data, { epochs: 2, batchSize: 32, learningRate: 0.05, evaluateEachEpoch: false, progress: "none" });
  baseAccuracy = evaluate(base, data.test).accuracy;
});
after(() => {
  base?.dispose();
  data?.dispose();
});

const predictions = (m: tf.LayersModel): number[] => tf.tidy(() => Array.from((m.predict(data.test.xs.slice(0, 16)) as tf.Tensor).dataSync()));

test("all-at-once: a decomposition at low rank loses accuracy and fine-tuning wins it back", async () => {
  assert.ok(baseAccuracy > 0.25, `the trained base model reaches ${baseAccuracy}`);
  const untouched = predictions(base);
  const r = await fineTune(base, data, { plan: { ranks: { conv1: 2, conv2: 2 } }, epochs: 1, training: { batchSize: 32, progress: "none" } });
  const [s] = r.stages;
  assert.deepEqual(s.layers, ["conv1", "conv2"]);
  assert.ok((s.accuracyBefore as number) < baseAccuracy - 0.03, `rank 2 should hurt: ${baseAccuracy} → ${s.accuracyBefore}`);
  assert.ok((s.accuracyAfter as number) > (s.accuracyBefore as number) + 0.02, `fine-tuning should recover: ${s.accuracyBefore} → ${s.accuracyAfter}`);
  assert.equal(r.history.length, 1);
  assert.equal(r.history[0].lr, 0.01, "fine-tuning defaults to a lower, constant rate");
  assert.deepEqual(r.layers.map((l) => [l.name, l.rank]), [["conv1", 2], ["conv2", 2]]);
  assert.ok(r.layers.every((l) => l.theoreticalSpeedup > 1 && l.residual > 0));
  assert.equal(r.model.getLayer("conv2").getClassName(), "LowRankConv2D");
  assert.deepEqual(predictions(base), untouched, "the input model is not modified");
  r.model.dispose();
});

test("a fine-tune resumed from a finished checkpoint trains nothing and says so (fromCheckpoint)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fine-tune-ckpt-"));
  try {
    const run = () => fineTune(base, data, { plan: { ranks: { conv1: 2, conv2: 2 } }, epochs: 1, training: { batchSize: 32, progress: "none", checkpointDir: dir, resume: true } });
    const first = await run();
    assert.equal(first.stages[0].fromCheckpoint, undefined, "the first run trains");
    const again = await run();
    assert.equal(again.stages[0].fromCheckpoint, true);
    assert.deepEqual(again.history, first.history, "the finished run's history comes back from its checkpoint");
    assert.equal(again.stages[0].accuracyAfter, first.stages[0].accuracyAfter);
    first.model.dispose();
    again.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("layer-by-layer: one stage per layer, epochs numbered across stages, nothing leaked", async () => {
  const before = tf.memory().numTensors;
  const stepsPerEpoch: number[] = [];
  const r = await fineTune(base, data, {
    plan: { ranks: { conv1: 2, conv2: 4 } },
    schedule: "layer-by-layer",
    epochsPerLayer: 1,
    stepsPerLayer: 10,
    epochs: 1,
    training: {
      maxStepsPerEpoch: 15,
      batchSize: 32,
      progress: "none",
      onStep: (s) => {
        if (s.step === 1) stepsPerEpoch.push(0);
        stepsPerEpoch[stepsPerEpoch.length - 1]++;
      },
    },
  });
  assert.deepEqual(r.stages.map((s) => s.layers), [["conv1"], ["conv2"], ["conv1", "conv2"]]);
  assert.deepEqual(stepsPerEpoch, [10, 10, 15], "stepsPerLayer caps the per-layer stages only");
  assert.deepEqual(r.history.map((h) => h.epoch), [1, 2, 3]);
  for (const s of r.stages) assert.ok(s.accuracyBefore !== undefined && s.accuracyAfter !== undefined);
  // Each stage starts from the previous stage's fine-tuned model.
  assert.equal(r.stages[1].accuracyBefore === r.stages[0].accuracyAfter, false, "decomposing conv2 changes the accuracy");
  assert.equal(r.stages[2].accuracyBefore, r.stages[1].accuracyAfter);
  assert.deepEqual(
    r.model.layers.filter((l) => l.getClassName() === "LowRankConv2D").map((l) => l.name),
    ["conv1", "conv2"],
  );
  assert.ok((r.stages[2].accuracyAfter as number) > 0.15, `layer-by-layer result ${r.stages[2].accuracyAfter}`);
  r.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test("fine-tune options are checked", async () => {
  await assert.rejects(
    fineTune(base, data, { plan: { ranks: { conv1: 2 } }, schedule: "random" as never, training: { batchSize: 32 } }),
    /Unknown fine-tune schedule 'random'/,
  );
  await assert.rejects(
    fineTune(base, data, { plan: { ranks: { conv1: 2 } }, schedule: "layer-by-layer", training: { batchSize: 32, checkpointDir: "/tmp/x" } }),
    /all-at-once schedule only/,
  );
  await assert.rejects(fineTune(base, data, { plan: { ranks: { conv1: 2 } }, epochs: -1, training: { batchSize: 32 } }), /epochs must be an integer ≥ 0/);
  await assert.rejects(fineTune(base, data, { plan: { ranks: { nope: 2 } }, training: { batchSize: 32 } }), /No layer named 'nope'/);
  await assert.rejects(fineTune(base, data, { plan: { ranks: { conv1: 2 } } } as never), /fineTune needs `training` options/);
});
