import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { dataOptions, fineTuneOptions, modelOptions, profileSettings, trainOptions } from "../../src/train/profiles";

const saved = process.env.LOWRANK_PROFILE;
afterEach(() => {
  if (saved === undefined) delete process.env.LOWRANK_PROFILE;
  else process.env.LOWRANK_PROFILE = saved;
});

test("quick is a few thousand images for 1–2 epochs; full is the whole set, longer, wider", () => {
  const q = profileSettings("quick");
  const f = profileSettings("full");
  assert.equal(q.profile, "quick");
  assert.ok(q.trainLimit !== undefined && q.trainLimit >= 1000 && q.trainLimit <= 10000, `quick trainLimit ${q.trainLimit}`);
  assert.ok(q.epochs >= 1 && q.epochs <= 2);
  assert.equal(f.trainLimit, undefined, "full trains on all 50,000 images");
  assert.equal(f.testLimit, undefined, "full tests on all 10,000 images");
  assert.ok(f.epochs > q.epochs && f.scratchEpochs >= q.scratchEpochs);
  assert.ok(f.widths.every((w, i) => w >= q.widths[i]));
  for (const s of [q, f]) {
    assert.ok(s.speedup >= 2, "decompose at ≥ 2× theoretical conv speedup");
    assert.ok(s.fineTuneLearningRate < s.learningRate, "fine-tuning uses a lower rate");
    assert.ok(s.fineTuneEpochs >= 1 && s.scratchEpochs >= 1);
  }
});

test("LOWRANK_PROFILE picks the default profile; unknown names are refused", () => {
  process.env.LOWRANK_PROFILE = "full";
  assert.equal(profileSettings().profile, "full");
  delete process.env.LOWRANK_PROFILE;
  assert.equal(profileSettings().profile, "quick");
  assert.throws(() => profileSettings("huge"), /Unknown profile 'huge'/);
});

test("overrides spread over the settings and flow into the derived options", () => {
  const s = { ...profileSettings("quick"), epochs: 3, widths: [8, 16, 32], learningRate: 0.2 };
  const t = trainOptions(s, { progress: "none" });
  assert.equal(t.epochs, 3);
  assert.equal(t.learningRate, 0.2);
  assert.equal(t.progress, "none");
  assert.equal(trainOptions(s, { scratch: true }).epochs, s.scratchEpochs);
  assert.deepEqual(modelOptions(s).widths, [8, 16, 32]);
  assert.deepEqual(modelOptions(s, { lowRank: { speedup: s.speedup } }).lowRank, { speedup: s.speedup });
  assert.deepEqual(dataOptions(s), { trainLimit: s.trainLimit, testLimit: s.testLimit, seed: s.seed });
  const ft = fineTuneOptions(s);
  assert.deepEqual(ft.plan, { speedup: s.speedup });
  assert.equal(ft.learningRate, s.fineTuneLearningRate);
  assert.equal(fineTuneOptions(s, { plan: { ranks: { conv1_1: 2 } } }).plan.layers, undefined);
  // A copy each time: editing one result does not change the profile.
  s.widths.push(64);
  profileSettings("quick").widths.push(1);
  assert.equal(profileSettings("quick").widths.length, 3);
});

test("warm-up never swallows a whole short run", () => {
  const s = { ...profileSettings("full"), epochs: 1, warmupEpochs: 1 };
  assert.equal(trainOptions(s).warmupEpochs, 0);
});
