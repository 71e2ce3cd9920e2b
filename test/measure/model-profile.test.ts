import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { profileModel, profileRows } from "../../src/measure/model-profile";
import { readCsvRows, writeCsv } from "../../src/tables/csv";
import { LowRankConv2D } from "../../src/lowrank/lowrank-conv2d";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

function smallCnn(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 8], filters: 16, kernelSize: 3, padding: "same", activation: "relu", name: "conv1" }),
      tf.layers.batchNormalization({ name: "bn1" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }),
      tf.layers.conv2d({ filters: 24, kernelSize: 3, strides: 2, padding: "same", name: "conv2" }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ units: 10, name: "fc" }),
    ],
  });
}

test("profileModel: per-layer params/MACs by hand, finite timings at batch 1 and 128, backend recorded", async () => {
  const model = smallCnn();
  const before = tf.memory().numTensors;
  const p = await profileModel(model, { timing: { warmup: 1, runs: 3 } });
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
  assert.deepEqual(p.batchSizes, [1, 128]);
  assert.deepEqual(p.layers.map((l) => l.name), ["conv1", "bn1", "pool1", "conv2", "flatten", "fc"]);
  const by = Object.fromEntries(p.layers.map((l) => [l.name, l]));
  assert.equal(by.conv1.macs, 16 * 16 * 9 * 8 * 16);
  assert.equal(by.conv1.params, 9 * 8 * 16 + 16);
  assert.equal(by.conv2.macs, 4 * 4 * 9 * 16 * 24); // 8×8 input, stride 2 → 4×4
  assert.equal(by.fc.macs, 4 * 4 * 24 * 10);
  assert.equal(by.bn1.macs, 0);
  assert.deepEqual(by.conv2.outputShape, [-1, 4, 4, 24]);
  assert.equal(p.total.params, model.countParams());
  assert.equal(p.total.macs, by.conv1.macs + by.conv2.macs + by.fc.macs);
  for (const t of [...p.layers.map((l) => l.timeMs), p.total.timeMs]) {
    for (const b of [1, 128]) assert.ok(Number.isFinite(t[b]) && t[b] > 0, `time at batch ${b}: ${t[b]}`);
  }
  assert.equal(p.environment.backend, tf.getBackend());
  assert.ok(p.environment.threads >= 1 && p.environment.machine.length > 0);
  model.dispose();
});

test("profileModel times a LowRankConv2D layer rebuilt from its config, with its weights", async () => {
  const model = tf.sequential({
    layers: [
      new LowRankConv2D({ inputShape: [12, 12, 6], filters: 10, kernelSize: 3, rank: 4, padding: "same", bn: "between", name: "lr1" }),
      tf.layers.globalAveragePooling2d({ name: "gap" }),
    ],
  });
  const before = tf.memory().numTensors;
  const p = await profileModel(model, { batchSizes: [1, 16], timing: { warmup: 1, runs: 2 } });
  assert.equal(tf.memory().numTensors, before, "no tensor leaked, original weights intact");
  const [lr] = p.layers;
  assert.equal(lr.kind, "lowrank");
  assert.equal(lr.macs, 12 * 12 * 3 * 6 * 4 + 12 * 12 * 3 * 4 * 10);
  assert.ok(lr.timeMs[1] > 0 && lr.timeMs[16] > 0);
  // The model still works after its layer was cloned and timed.
  const y = model.predict(tf.ones([1, 12, 12, 6])) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 10]);
  y.dispose();
  model.dispose();
});

test("profileRows → CSV: one row per layer plus a total", async () => {
  const model = smallCnn();
  const p = await profileModel(model, { batchSizes: [2], timing: { warmup: 0, runs: 1 } });
  const dir = mkdtempSync(join(tmpdir(), "lowrank-profile-"));
  try {
    writeCsv(profileRows(p), join(dir, "profile.csv"));
    const rows = await readCsvRows<Record<string, string | number>>(join(dir, "profile.csv"));
    assert.equal(rows.length, p.layers.length + 1);
    assert.equal(rows[rows.length - 1].layer, "total");
    assert.equal(rows[rows.length - 1].macs, p.total.macs);
    assert.equal(rows[0].backend, p.environment.backend);
    assert.ok((rows[0].ms_b2 as number) > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});

test("profileModel rejects bad batch sizes", async () => {
  const model = smallCnn();
  await assert.rejects(profileModel(model, { batchSizes: [0] }), /positive integers/);
  model.dispose();
});
