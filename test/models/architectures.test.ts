/**
 * The architectures the paper's third claim is tested on (NIN, the authors' 3-conv CNN, a ResNet, a
 * BN-Inception-style net): each goes through decomposition (all at once and layer by layer), the deploy
 * form, save/load, cost counting and from-scratch building; at full rank it predicts what it predicted.
 */
import { before, after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeLayerByLayer, decomposeModel, eligibleConvLayers, inferenceModel, kernelSizeOfLayer, lowRankConvs, maxRank } from "../../src/lowrank";
import { inceptionNet, nin, resnet, TAI_CIFAR_CNN_RANKS, taiCifarCnn } from "../../src/models";
import { layerCost } from "../../src/measure";
import { loadModel, saveModel } from "../../src/train";
import { randomizeBatchNorms } from "../lowrank/tf-fixtures";
import { tempDir } from "../train/fixtures";

const dir = tempDir("architectures");
before(async () => {
  await initBackend(undefined, { quiet: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ARCHITECTURES: Record<string, () => tf.LayersModel> = {
  nin: () => nin({ widthMultiplier: 0.1, seed: 1 }),
  "tai-cnn": () => taiCifarCnn({ widthMultiplier: 0.125, seed: 1 }),
  resnet: () => resnet({ depth: 8, widths: [4, 8, 8], seed: 1 }),
  inception: () => inceptionNet({ widthMultiplier: 0.125, seed: 1 }),
};

function maxDiff(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => {
    const [pa, pb] = [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor];
    return pa.sub(pb).abs().max().dataSync()[0] / Math.max(1e-12, pa.abs().max().dataSync()[0]);
  });
}

const totalMacs = (m: tf.LayersModel): number => m.layers.reduce((s, l) => s + layerCost(l).macs, 0);

for (const [name, build] of Object.entries(ARCHITECTURES)) {
  test(`${name}: full-rank decomposition predicts what the original predicts; 2× decomposes, counts, saves, deploys`, async () => {
    const model = build();
    randomizeBatchNorms(model, 3);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 5);
    const eligible = eligibleConvLayers(model);
    assert.ok(eligible.length >= 3, `${name}: ${eligible.length} decomposable convs`);
    const full = Object.fromEntries(eligible.map((l) => [l.name, maxRank(kernelSizeOfLayer(l))]));
    const exact = decomposeModel(model, { ranks: full });
    assert.ok(maxDiff(model, exact, x) <= 1e-4, `${name}: full rank changes predictions by ${maxDiff(model, exact, x)}`);
    exact.dispose();

    const half = decomposeModel(model, { speedup: 2 });
    assert.ok(totalMacs(half) < totalMacs(model), `${name}: MACs ${totalMacs(model)} → ${totalMacs(half)}`);
    const deploy = inferenceModel(half);
    assert.ok(maxDiff(half, deploy, x) <= 1e-4, `${name}: the deploy form differs`);
    deploy.dispose();
    await saveModel(half, `${dir}/${name}`);
    const loaded = await loadModel(`${dir}/${name}`);
    assert.ok(maxDiff(half, loaded, x) === 0, `${name}: save → load changes predictions`);
    for (const m of [loaded, half]) m.dispose();

    let steps = 0;
    let last: tf.LayersModel | undefined;
    for (const step of decomposeLayerByLayer(model, { speedup: 2 })) {
      last?.dispose();
      last = step.model;
      steps++;
    }
    assert.equal(steps, eligible.length, `${name}: one step per decomposable conv`);
    last?.dispose();

    const twin = buildTwin(name);
    assert.ok(twin.layers.some((l) => l.getClassName() === "LowRankConv2D"), `${name}: the low-rank twin builds`);
    assert.deepEqual((twin.predict(x) as tf.Tensor).shape, [2, 10]);
    twin.dispose();
    x.dispose();
    model.dispose();
  });
}

function buildTwin(name: string): tf.LayersModel {
  const lowRank = lowRankConvs(name === "tai-cnn" ? { ranks: { conv1: 2, conv2: 5, conv3: 5 } } : { speedup: 2 });
  if (name === "nin") return nin({ widthMultiplier: 0.1, lowRank });
  if (name === "tai-cnn") return taiCifarCnn({ widthMultiplier: 0.125, lowRank });
  if (name === "resnet") return resnet({ depth: 8, widths: [4, 8, 8], lowRank });
  return inceptionNet({ widthMultiplier: 0.125, lowRank });
}

test("tai-cnn at full width: the authors' shapes and their low-rank ranks", () => {
  const m = taiCifarCnn();
  const k = (n: string): number[] => m.getLayer(n).getWeights()[0].shape;
  assert.deepEqual(k("conv1"), [5, 5, 3, 96]);
  assert.deepEqual(k("conv3"), [5, 5, 128, 256]);
  assert.deepEqual(k("conv4"), [1, 1, 256, 64]);
  assert.deepEqual(k("fc1"), [1024, 256], "4×4×64 = 1024 inputs to the first FC layer");
  const twin = taiCifarCnn({ lowRank: lowRankConvs({ ranks: { ...TAI_CIFAR_CNN_RANKS } }) });
  assert.deepEqual(twin.layers.filter((l) => l.getClassName() === "LowRankConv2D").map((l) => [l.name, l.getConfig().rank]), [["conv1", 10], ["conv2", 51], ["conv3", 51]]);
  for (const t of [m, twin]) t.dispose();
});

test("resnet: residual adds, stride-2 convs and 1×1 projections where the shape changes", () => {
  const m = resnet();
  assert.equal(m.layers.filter((l) => l.getClassName() === "Add").length, 9);
  assert.deepEqual(m.getLayer("s2b1_conv1").outputShape, [null, 16, 16, 32]);
  assert.deepEqual(m.getLayer("s2b1_proj").getWeights()[0].shape, [1, 1, 16, 32]);
  assert.equal(m.layers.some((l) => l.name === "s1b1_proj"), false, "identity shortcut where the shape stays");
  assert.throws(() => resnet({ depth: 21 }), /depth must be 6n \+ 2/);
  m.dispose();
});
