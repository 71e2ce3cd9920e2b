import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { dataOptions, fineTuneOptions, modelOptions, PROFILE_NAMES, profileName, profileSettings, sweepFineTuneOptions, trainOptions } from "../../src/profiles";

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
  assert.equal(modelOptions(s, { numClasses: 5 }).numClasses, 5);
  assert.deepEqual(dataOptions(s), { trainLimit: s.trainLimit, testLimit: s.testLimit, seed: s.seed });
  const ft = fineTuneOptions(s);
  assert.deepEqual(ft.plan, { speedup: s.speedup });
  assert.equal(ft.training.learningRate, s.fineTuneLearningRate);
  const tuned = fineTuneOptions(s, { schedule: "layer-by-layer", training: { label: "x", batchSize: 7 } });
  assert.deepEqual([tuned.schedule, tuned.training.label, tuned.training.batchSize, tuned.training.optimizer], ["layer-by-layer", "x", 7, s.optimizer], "overrides merge into each part");
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

test("profileName: explicit, then LOWRANK_PROFILE, then quick", () => {
  assert.deepEqual([...PROFILE_NAMES], ["quick", "full"]);
  process.env.LOWRANK_PROFILE = "full";
  assert.equal(profileName(), "full");
  assert.equal(profileName("quick"), "quick");
  delete process.env.LOWRANK_PROFILE;
  assert.equal(profileName(), "quick");
  assert.throws(() => profileName("huge"), /Unknown profile 'huge': use one of quick, full/);
});

test("modelOptions: vgg-small gets the profile's widths and dropout, other zoo models the seed and their zoo size", () => {
  const s = { ...profileSettings("full"), seed: 7, dropout: 0.1 };
  assert.deepEqual(modelOptions(s), { widths: [32, 64, 128], dropout: 0.1, seed: 7 });
  assert.deepEqual(modelOptions(s, "vgg-small"), modelOptions(s));
  assert.deepEqual(modelOptions(s, "vgg-small", { numClasses: 5 }), { widths: [32, 64, 128], dropout: 0.1, seed: 7, numClasses: 5 });
  assert.deepEqual(modelOptions(s, "tiny-cnn"), { seed: 7 });
  assert.deepEqual(modelOptions(s, "reference-cnn"), {}, "the fixed benchmark network takes no options");
  assert.deepEqual(modelOptions(s, "nin", { numClasses: 5 }), { seed: 7, widthMultiplier: 0.5, numClasses: 5 });
  assert.deepEqual(modelOptions(s, "nin", { widthMultiplier: 1 }), { seed: 7, widthMultiplier: 1 }, "the caller's options win");
  assert.deepEqual(modelOptions(profileSettings("quick"), "resnet"), { seed: 0, depth: 8, widths: [8, 16, 32] });
  const q = profileSettings("quick");
  (q.zoo.resnet as { depth: number }).depth = 32;
  assert.equal(profileSettings("quick").zoo.resnet?.depth, 8, "settings are fresh copies");
  assert.notEqual(modelOptions(s).widths, s.widths, "a copy: the model cannot edit the settings");
});

test("sweep policy: speed-ups, fine-tune steps per point, measurement batch, fine-tune schedule", () => {
  const q = profileSettings("quick");
  const f = profileSettings("full");
  for (const s of [q, f]) {
    assert.deepEqual(s.sweepSpeedups, [1.5, 2, 3, 4, 6]);
    assert.equal(s.measureBatchSize, 128);
    assert.equal(s.fineTuneLrSchedule, "cosine");
    assert.equal(fineTuneOptions(s).training.lrSchedule, s.fineTuneLrSchedule);
  }
  assert.equal(q.sweepFineTuneSteps, 10);
  assert.equal(f.sweepFineTuneSteps, 60);
  q.sweepSpeedups.push(8);
  assert.equal(profileSettings("quick").sweepSpeedups.length, 5, "a fresh copy each time");
});

test("sweepFineTuneOptions: the fine-tune's training options, one epoch cut to the sweep's steps, silent", () => {
  for (const name of PROFILE_NAMES) {
    const s = { ...profileSettings(name), fineTuneEpochs: 3 };
    // The fine-tune options less what only fineTune reads, as the main job built them before.
    assert.deepEqual(sweepFineTuneOptions(s), {
      epochs: 1,
      batchSize: s.batchSize,
      optimizer: s.optimizer,
      learningRate: s.fineTuneLearningRate,
      momentum: s.momentum,
      nesterov: s.nesterov,
      weightDecay: s.weightDecay,
      lrSchedule: s.fineTuneLrSchedule,
      augment: s.augment,
      seed: s.seed,
      maxStepsPerEpoch: s.sweepFineTuneSteps,
      progress: "none",
    });
  }
});
