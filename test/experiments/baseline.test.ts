import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../../src/backend/init";
import { cifar10FromRaw, readCifar10Raw, type Cifar10 } from "../../src/data";
import { baselineFor, checkpointPaths } from "../../src/experiments/baseline";
import { profileSettings } from "../../src/profiles";
import { CIFAR10_DIR, snapshot, tempDir } from "../train/fixtures";

let data: Cifar10;
before(async () => {
  await initBackend(undefined, { quiet: true });
  data = cifar10FromRaw(readCifar10Raw(CIFAR10_DIR), { trainLimit: 200, testLimit: 100 });
});
after(() => data?.dispose());

test("checkpointPaths: the folders npm start and the notebooks have always used", () => {
  const p = checkpointPaths(profileSettings("quick"));
  assert.equal(p.dir, "checkpoints/vgg-small-quick");
  assert.equal(p.training, "checkpoints/vgg-small-quick/training");
  assert.equal(p.final, "checkpoints/vgg-small-quick/final");
  assert.equal(p.fineTune(2), "checkpoints/vgg-small-quick/fine-tune-2x");
  assert.equal(p.fromScratch({ speedup: 2 }), "checkpoints/vgg-small-quick/from-scratch-2x");
  assert.equal(p.fromScratch({ rank: 4 }), "checkpoints/vgg-small-quick/from-scratch-rank4");
  assert.equal(p.fromScratch({ speedup: 2, roundTo: 8, method: "cp" }), "checkpoints/vgg-small-quick/from-scratch-2x-k8-cp", "another architecture, another folder");
  const q = checkpointPaths(profileSettings("full"), "nin", "/tmp/ck");
  assert.equal(q.training, "/tmp/ck/nin-full/training");
  assert.equal(q.fineTune(1.5), "/tmp/ck/nin-full/fine-tune-1.5x");
});

test("baselineFor trains once, then loads the finished run; retrain trains again", async () => {
  const root = tempDir("baseline");
  const settings = { ...profileSettings("quick"), epochs: 1, batchSize: 50 };
  const opts = { model: "tiny-cnn" as const, checkpointsRoot: root, progress: "none" as const };

  const first = await baselineFor(settings, data, opts);
  assert.equal(first.loaded, false);
  assert.equal(first.run.stopReason, "completed");
  assert.equal(first.model.name.startsWith("tiny_cnn"), true);
  assert.equal(first.paths.training, join(root, "tiny-cnn-quick", "training"));
  assert.ok(existsSync(first.paths.training));
  assert.ok(first.accuracy >= 0 && first.accuracy <= 1);

  const second = await baselineFor(settings, data, opts);
  assert.equal(second.loaded, true, "the finished checkpoint is loaded, not trained again");
  assert.equal(second.run.stopReason, "already-complete");
  assert.deepEqual(second.run.history, first.run.history);
  assert.deepEqual(snapshot(second.model.getWeights()), snapshot(first.model.getWeights()));
  assert.equal(second.accuracy, first.accuracy);

  const again = await baselineFor(settings, data, { ...opts, retrain: true });
  assert.equal(again.loaded, false);
  assert.equal(again.run.stopReason, "completed");
  for (const b of [first, second, again]) b.model.dispose();
});
