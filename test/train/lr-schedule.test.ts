import { test } from "node:test";
import assert from "node:assert/strict";
import { learningRateAt, resolveSchedule, type LrScheduleOptions } from "../../src/train/lr-schedule";

const base: LrScheduleOptions = { learningRate: 0.1, epochs: 10, stepsPerEpoch: 100 };

test("constant schedule keeps the rate", () => {
  for (const e of [0, 3, 9]) assert.equal(learningRateAt(base, e, 50), 0.1);
});

test("step schedule decays by gamma every N epochs, or at milestones", () => {
  const o: LrScheduleOptions = { ...base, schedule: { kind: "step", every: 3, gamma: 0.5 }, per: "epoch" };
  assert.deepEqual([0, 2, 3, 5, 6, 9].map((e) => learningRateAt(o, e)), [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
  const m: LrScheduleOptions = { ...base, schedule: { kind: "step", milestones: [5, 8] }, per: "epoch" };
  const got = [4, 5, 7, 8].map((e) => learningRateAt(m, e));
  [0.1, 0.01, 0.01, 0.001].forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-12, `epoch ${[4, 5, 7, 8][i]}: ${got[i]}`));
});

test("cosine falls monotonically from the peak towards the minimum, per step", () => {
  const o: LrScheduleOptions = { ...base, schedule: { kind: "cosine", minLearningRate: 0.001 }, per: "step" };
  assert.equal(learningRateAt(o, 0, 0), 0.1);
  let prev = Infinity;
  for (let e = 0; e < 10; e++) {
    for (const s of [0, 50, 99]) {
      const lr = learningRateAt(o, e, s);
      assert.ok(lr <= prev && lr >= 0.001, `epoch ${e} step ${s}: ${lr}`);
      prev = lr;
    }
  }
  // Halfway through training the cosine is at the midpoint.
  assert.ok(Math.abs(learningRateAt(o, 5, 0) - (0.001 + 0.099 / 2)) < 1e-12);
  assert.ok(learningRateAt(o, 9, 99) < 0.0011);
});

test("warm-up ramps linearly to the peak, then the schedule runs over the rest", () => {
  const o: LrScheduleOptions = { ...base, schedule: "cosine", warmupEpochs: 2, per: "step" };
  const first = learningRateAt(o, 0, 0);
  assert.ok(first > 0 && first < 0.001, `first warm-up rate ${first}`);
  assert.ok(Math.abs(learningRateAt(o, 0, 99) - 0.05) < 1e-12);
  assert.ok(Math.abs(learningRateAt(o, 1, 99) - 0.1) < 1e-12);
  assert.equal(learningRateAt(o, 2, 0), 0.1);
  // Per-epoch warm-up: 1/2, then full.
  const e: LrScheduleOptions = { ...base, warmupEpochs: 2, per: "epoch" };
  assert.deepEqual([0, 1, 2].map((x) => learningRateAt(e, x)), [0.05, 0.1, 0.1]);
});

test("per-epoch updates hold the rate within an epoch", () => {
  const o: LrScheduleOptions = { ...base, schedule: "cosine", per: "epoch" };
  assert.equal(learningRateAt(o, 4, 0), learningRateAt(o, 4, 99));
  assert.ok(learningRateAt(o, 5, 0) < learningRateAt(o, 4, 0));
});

test("bad schedules and options are refused with a message", () => {
  assert.throws(() => resolveSchedule({ kind: "step" }), /every.*milestones/);
  assert.throws(() => resolveSchedule({ kind: "step", every: 2, gamma: 2 }), /gamma/);
  assert.throws(() => resolveSchedule("linear" as never), /Unknown learning-rate schedule 'linear'/);
  assert.throws(() => learningRateAt({ ...base, warmupEpochs: 10 }, 0), /warmupEpochs/);
  assert.throws(() => learningRateAt({ ...base, learningRate: 0 }, 0), /learningRate must be > 0/);
  assert.throws(() => learningRateAt({ ...base, stepsPerEpoch: 0 }, 0), /stepsPerEpoch/);
});
