import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { median, pairedSpeedup, timeInterleaved, timeIt } from "../../src/measure/time-it";
import { timeModelsTogether } from "../../src/measure/model-profile";

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

test("timeInterleaved: every round runs each function once, who goes first rotating; no tensor left", async () => {
  const a = tf.randomNormal([64, 64]);
  const before = tf.memory().numTensors;
  const calls: string[] = [];
  const fn = (name: string) => () => {
    calls.push(name);
    return tf.matMul(a, a);
  };
  const t = await timeInterleaved({ p: fn("p"), q: fn("q"), r: fn("r") }, { warmup: 1, runs: 4 });
  assert.deepEqual(Object.keys(t), ["p", "q", "r"]);
  for (const name of ["p", "q", "r"]) {
    assert.equal(t[name].runsMs.length, 4);
    assert.equal(t[name].medianMs, median(t[name].runsMs));
  }
  // Untimed first: warm-up + one call each; then rounds p q r, q r p, r p q, p q r.
  assert.deepEqual(calls, ["p", "p", "q", "q", "r", "r", ..."pqr qrp rpq pqr".replace(/ /g, "").split("")]);
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
  await assert.rejects(timeInterleaved({}), /at least one function/);
  await assert.rejects(timeInterleaved({ p: fn("p") }, { runs: 0 }), /runs must be an integer ≥ 1, got 0/);
  a.dispose();
});

test("pairedSpeedup: the median of the rounds' ratios, which a slow round cannot skew; needs the same rounds", () => {
  const t = (runsMs: number[]) => ({ runsMs, medianMs: median(runsMs), minMs: Math.min(...runsMs) });
  // Ratios 2, 5, 1 → 2; the ratio of the medians would be 30 / 20 = 1.5.
  assert.equal(pairedSpeedup(t([10, 100, 30]), t([5, 20, 30])), 2);
  assert.throws(() => pairedSpeedup(t([10, 20]), t([5])), /same rounds, got 2 and 1 runs/);
});

test("timeModelsTogether: each model's deploy form (or the model itself) timed in turns on one input; mismatched inputs refused", async () => {
  const build = (units: number, shape = [8]) => tf.sequential({ layers: [tf.layers.dense({ inputShape: shape, units }), tf.layers.dense({ units: 2 })] });
  const small = build(4), big = build(64), other = build(4, [6]);
  const before = tf.memory().numTensors;
  for (const deployed of [true, false]) {
    const t = await timeModelsTogether({ small, big }, 16, { warmup: 1, runs: 3, deployed });
    assert.deepEqual(Object.keys(t), ["small", "big"]);
    assert.ok([t.small, t.big].every((x) => x.runsMs.length === 3 && x.runsMs.every((ms) => Number.isFinite(ms) && ms > 0)));
    assert.ok(Number.isFinite(pairedSpeedup(t.big, t.small)));
  }
  assert.equal(tf.memory().numTensors, before, "deploy forms and inputs disposed");
  await assert.rejects(timeModelsTogether({ small, other }, 16), /take different inputs \(small: \[8\]; other: \[6\]\)/);
  await assert.rejects(timeModelsTogether({ small }, 0), /positive integers/);
  await assert.rejects(timeModelsTogether({}, 4), /at least one model/);
  for (const m of [small, big, other]) m.dispose();
});
