import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import type { ConvSpec } from "../../src/lowrank/cost";
import { measureLayerSpeedup } from "../../src/measure/layer-speedup";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

const spec: ConvSpec = { inH: 32, inW: 32, inC: 64, outC: 64, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" };

test("V/H pair at K=16 of a 32×32×64→64 3×3 conv: theoretical 6×, measured finite", async () => {
  const before = tf.memory().numTensors;
  const r = await measureLayerSpeedup(spec, 16, { batchSize: 4, timing: { warmup: 1, runs: 3 } });
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
  // dense 32·32·64·64·9 over pair 32·32·3·64·16 (vertical) + 32·32·3·16·64 (horizontal)
  assert.equal(r.theoreticalSpeedup, (32 * 32 * 64 * 64 * 9) / (2 * 32 * 32 * 3 * 64 * 16));
  assert.equal(r.theoreticalSpeedup, 6);
  assert.ok(Number.isFinite(r.originalMs) && r.originalMs > 0);
  assert.ok(Number.isFinite(r.lowRankMs) && r.lowRankMs > 0);
  assert.ok(Number.isFinite(r.measuredSpeedup) && r.measuredSpeedup > 0, "the median of the rounds' ratios (pairedSpeedup)");
  assert.equal(r.batchSize, 4);
  assert.equal(r.environment.backend, tf.getBackend());
});

test("a built Conv2D layer (stride 2) is measured from its shape", async () => {
  const input = tf.input({ shape: [16, 16, 32] });
  const conv = tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: "same" });
  conv.apply(input);
  const r = await measureLayerSpeedup(conv, 8, { batchSize: 2, timing: { warmup: 0, runs: 2 } });
  assert.deepEqual(r.spec, { inH: 16, inW: 16, inC: 32, outC: 64, kh: 3, kw: 3, strideH: 2, strideW: 2, padding: "same", bias: true });
  // dense 8·8·9·32·64; vertical keeps all 16 columns: 8·16·3·32·8; horizontal 8·8·3·8·64
  assert.equal(r.theoreticalSpeedup, (8 * 8 * 9 * 32 * 64) / (8 * 16 * 3 * 32 * 8 + 8 * 8 * 3 * 8 * 64));
  assert.ok(r.measuredSpeedup > 0 && Number.isFinite(r.measuredSpeedup));
});

test("bad rank, batch size or layer give clear errors", async () => {
  await assert.rejects(measureLayerSpeedup(spec, 0), /Rank must be an integer in 1\.\.192/);
  await assert.rejects(measureLayerSpeedup(spec, 4, { batchSize: 0 }), /batchSize/);
  const dense = tf.layers.dense({ units: 3 });
  dense.apply(tf.input({ shape: [4] }));
  await assert.rejects(measureLayerSpeedup(dense, 2), /'.*' is a Dense layer, which the tai method does not factor: pass \{ method: pointwiseSvd \}/);
  const pool = tf.layers.maxPooling2d({ poolSize: 2 });
  pool.apply(tf.input({ shape: [4, 4, 2] }));
  await assert.rejects(measureLayerSpeedup(pool, 2), /is a MaxPooling2D, not a Conv2D or Dense layer/);
});
