import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { cifar10FromRaw, readCifar10Raw, type Cifar10 } from "../../src/data";
import { acrossArchitectures, architecturesVerdict, type ArchitectureRow } from "../../src/experiments";
import { profileSettings } from "../../src/profiles";
import { CIFAR10_DIR, tempDir } from "../train/fixtures";

let data: Cifar10;
const root = tempDir("architectures-step");
before(async () => {
  await initBackend(undefined, { quiet: true });
  data = cifar10FromRaw(readCifar10Raw(CIFAR10_DIR), { trainLimit: 200, testLimit: 100 });
});
after(() => {
  data?.dispose();
  rmSync(root, { recursive: true, force: true });
});

test("acrossArchitectures: a dense row and one row per target for each model; baselines checkpointed per model", async () => {
  const settings = { ...profileSettings("quick"), epochs: 1, fineTuneEpochs: 1, batchSize: 50, measureBatchSize: 8 };
  const seen: string[] = [];
  const rows = await acrossArchitectures(settings, data, { models: ["resnet", "tai-cnn"], speedups: [2, 3], checkpointsRoot: root, onRow: (r) => seen.push(`${r.model} ${r.target}`) });
  assert.deepEqual(seen, ["resnet 1", "resnet 2", "resnet 3", "tai-cnn 1", "tai-cnn 2", "tai-cnn 3"]);
  for (const r of rows) {
    assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1, `${r.model} ${r.network}`);
    assert.ok(r.forwardMs > 0 && Number.isFinite(r.modelSpeedupMeasured));
  }
  const byModel = (m: string) => rows.filter((r) => r.model === m);
  for (const m of ["resnet", "tai-cnn"]) {
    const [dense, two, three] = byModel(m) as ArchitectureRow[];
    assert.equal(dense.network, "dense");
    assert.ok(two.decomposedConvSpeedup >= 2 && three.decomposedConvSpeedup >= 3, `${m}: each decomposed conv at its target`);
    // 1×1 convs (projections, cccp-like) stay dense, so the whole stack gains less than the decomposed convs.
    assert.ok(two.convSpeedupTheoretical > 1 && two.convSpeedupTheoretical <= two.decomposedConvSpeedup + 1e-9);
    assert.ok(three.convMacs < two.convMacs && two.convMacs < dense.convMacs);
    assert.ok(two.params < dense.params);
    assert.ok(Math.abs(two.accuracyChange - (two.testAccuracy - dense.testAccuracy)) < 1e-12);
  }
  // Again: the baselines are loaded, not trained; every model is disposed (the first run filled TF.js's one-time caches).
  const before = tf.memory().numTensors;
  const again = await acrossArchitectures(settings, data, { models: ["tai-cnn"], speedups: [2], checkpointsRoot: root });
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  assert.equal(again[0].testAccuracy, byModel("tai-cnn")[0].testAccuracy);
  await assert.rejects(acrossArchitectures(settings, data, { models: ["tai-cnn"], speedups: [1], checkpointsRoot: root }), /speed-ups must be numbers > 1/);
});

test("architecturesVerdict: confirmed, partly and not confirmed from accuracy change and measured speed-up", () => {
  const row = (model: "nin" | "resnet" | "tai-cnn", target: number, accuracyChange: number, measured: number): ArchitectureRow => ({
    model, network: `${target}×`, target, testAccuracy: 0.8 + accuracyChange, accuracyChange, params: 1, convMacs: 1, decomposedConvSpeedup: target,
    convSpeedupTheoretical: target, forwardMs: 1, modelSpeedupMeasured: measured, decomposedLayers: 1, trainSeconds: 1,
  });
  const lines = architecturesVerdict([row("nin", 1, 0, 1), row("nin", 2, -0.003, 1.3), row("resnet", 2, -0.02, 1.1), row("tai-cnn", 2, -0.03, 0.9)]);
  assert.match(lines[0], /^nin at 2× .*-0\.30 points.*1\.30× faster — \*\*confirmed\*\*/);
  assert.match(lines[1], /resnet .*\*\*partly\*\*/);
  assert.match(lines[2], /tai-cnn .*\*\*not confirmed\*\*/);
  assert.match(lines[3], /1 confirmed, 1 partly, 1 not confirmed of 3 networks/);
  assert.equal(lines.length, 4, "no network beat its baseline: no note about it");
  const better = architecturesVerdict([row("nin", 2, 0.02, 1.2)]);
  assert.match(better[1], /1 decomposed network\(s\) beat their dense baseline/);
  assert.deepEqual(architecturesVerdict([row("nin", 1, 0, 1)]), ["No decomposed network to judge."]);
});
