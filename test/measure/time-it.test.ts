import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { median, timeIt } from "../../src/measure/time-it";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

test("median of odd and even counts", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no values/);
});

test("timeIt returns finite positive timings and disposes every tensor", async () => {
  const a = tf.randomNormal([128, 128]);
  const before = tf.memory().numTensors;
  let calls = 0;
  for (const sync of ["element", "full"] as const) {
    const t = await timeIt(() => {
      calls++;
      const b = tf.matMul(a, a); // an intermediate: must be freed too
      return [tf.relu(b), tf.sum(b)];
    }, { warmup: 1, runs: 4, sync });
    assert.equal(t.runsMs.length, 4);
    assert.ok(t.runsMs.every((ms) => Number.isFinite(ms) && ms > 0));
    assert.ok(Number.isFinite(t.medianMs) && t.medianMs > 0);
    assert.ok(t.minMs <= t.medianMs);
    assert.equal(t.medianMs, median(t.runsMs));
  }
  assert.equal(calls, 10, "1 warm-up + 4 timed calls per mode");
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
  a.dispose();
});

test("timeIt rejects bad options and non-tensor results", async () => {
  const x = tf.ones([2]);
  await assert.rejects(timeIt(() => tf.add(x, 1), { runs: 0 }), /runs must be an integer ≥ 1/);
  await assert.rejects(timeIt(() => tf.add(x, 1), { warmup: -1 }), /warmup/);
  await assert.rejects(timeIt(() => 3 as unknown as tf.Tensor, { warmup: 0, runs: 1 }), /must return a tensor/);
  x.dispose();
});
