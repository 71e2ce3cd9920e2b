import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { convCost, lowRankConvs, lowRankCost, rankForSpeedup, type ConvSpec } from "../../src/lowrank";
import { buildModel, MODEL_NAMES, nin, tinyCnn, vggSmall } from "../../src/models";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

const classOf = (m: tf.LayersModel, name: string): string => m.getLayer(name).getClassName();
const convNames = (m: tf.LayersModel): string[] =>
  m.layers.filter((l) => ["Conv2D", "LowRankConv2D"].includes(l.getClassName())).map((l) => l.name);

function outputShape(m: tf.LayersModel, batch = 2): number[] {
  return tf.tidy(() => (m.predict(tf.zeros([batch, 32, 32, 3])) as tf.Tensor).shape);
}

/** The input [h, w, c] and config of a conv layer, as a ConvSpec. */
function specOf(m: tf.LayersModel, name: string): ConvSpec {
  const layer = m.getLayer(name);
  const [, inH, inW, inC] = layer.inboundNodes[0].inputShapes[0] as number[];
  const cfg = layer.getConfig();
  const k = cfg.kernelSize as number[];
  return { inH, inW, inC, outC: cfg.filters as number, kh: k[0], kw: k[1], strideH: 1, strideW: 1, padding: "same" };
}

test("each zoo model builds by name, outputs 10 logits per image, with unique readable layer names", () => {
  const expected: Record<string, string[]> = {
    "tiny-cnn": ["conv1", "conv2"],
    "vgg-small": ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2"],
    nin: ["conv1", "cccp1", "cccp2", "conv2", "cccp3", "cccp4", "conv3", "cccp5", "cccp6"],
    "tai-cnn": ["conv1", "conv2", "conv3", "conv4"],
  };
  // ResNet-20: the stem, 9 blocks of two convs, 2 projections; Inception: the stem and 5 modules' branches.
  const convCount: Record<string, number> = { resnet: 21, inception: 1 + 7 + 5 + 7 + 5 + 7 };
  const small: Record<string, object> = { nin: { widthMultiplier: 0.25 }, inception: { widthMultiplier: 0.25 }, "tai-cnn": { widthMultiplier: 0.25 } };
  for (const name of MODEL_NAMES.filter((n) => n !== "reference-cnn")) {
    const m = buildModel(name, small[name] ?? {});
    assert.deepEqual(outputShape(m), [2, 10], name);
    if (expected[name]) assert.deepEqual(convNames(m), expected[name], name);
    else assert.equal(convNames(m).length, convCount[name], name);
    const names = m.layers.map((l) => l.name);
    assert.equal(new Set(names).size, names.length, `${name}: layer names are unique`);
    assert.ok(!m.layers.some((l) => l.getConfig().activation === "softmax"), `${name} outputs logits`);
    m.dispose();
  }
  const reference = buildModel("reference-cnn");
  assert.deepEqual(outputShape(reference), [2, 10], "the benchmark CNN is reachable by name too");
  reference.dispose();
  assert.throws(() => buildModel("reference-cnn", { widths: [8] }), /reference-cnn takes no options/);
  assert.throws(() => buildModel("resnet50"), /Unknown model 'resnet50': use one of tiny-cnn, vgg-small, nin, tai-cnn, resnet, inception, reference-cnn/);
});

test("vggSmall: blocks of 3×3 conv → BN → ReLU at the given widths, and the options change the head", () => {
  const m = vggSmall({ widths: [8, 16], convsPerBlock: 3, dropout: 0.3, head: "dense", denseUnits: 20 });
  assert.deepEqual(convNames(m), ["conv1_1", "conv1_2", "conv1_3", "conv2_1", "conv2_2", "conv2_3"]);
  assert.deepEqual(m.getLayer("conv2_3").getWeights()[0].shape, [3, 3, 16, 16]);
  assert.equal(m.getLayer("conv1_1").getWeights().length, 1, "no conv bias before BN");
  assert.equal(classOf(m, "conv1_1_bn"), "BatchNormalization");
  const relu = m.getLayer("conv1_1_relu").getConfig();
  assert.equal(relu.alpha, 0, "ReLU (a LeakyReLU with slope 0)");
  assert.equal(classOf(m, "dropout"), "Dropout");
  assert.deepEqual(m.getLayer("fc").getWeights()[0].shape, [8 * 8 * 16, 20]);
  assert.deepEqual(outputShape(m), [2, 10]);
  m.dispose();
  const d = vggSmall();
  assert.deepEqual(d.getLayer("conv3_2").getWeights()[0].shape, [3, 3, 128, 128], "default widths 32-64-128");
  assert.equal(d.layers.some((l) => l.name === "dropout"), false);
  d.dispose();
  assert.throws(() => vggSmall({ widths: [] }), /widths must be positive integers/);
  assert.throws(() => vggSmall({ dropout: 1 }), /dropout must be in \[0, 1\)/);
});

test("nin: the paper's mlpconv layout (5×5, 1×1, 1×1 | 5×5, 1×1, 1×1 | 3×3, 1×1, 1×1 → GAP)", () => {
  const m = nin();
  const k = (n: string): number[] => m.getLayer(n).getWeights()[0].shape;
  assert.deepEqual(k("conv1"), [5, 5, 3, 192]);
  assert.deepEqual(k("cccp1"), [1, 1, 192, 160]);
  assert.deepEqual(k("cccp2"), [1, 1, 160, 96]);
  assert.deepEqual(k("conv2"), [5, 5, 96, 192]);
  assert.deepEqual(k("conv3"), [3, 3, 192, 192]);
  assert.deepEqual(k("cccp6"), [1, 1, 192, 10]);
  assert.deepEqual(m.getLayer("conv3").outputShape, [null, 8, 8, 192], "two 3×3/2 poolings: 32 → 16 → 8");
  assert.equal(classOf(m, "gap"), "GlobalAveragePooling2D");
  m.dispose();
  const plain = nin({ widthMultiplier: 0.5, batchNorm: false, dropout: 0 });
  assert.equal(plain.layers.some((l) => l.getClassName() === "BatchNormalization" || l.getClassName() === "Dropout"), false);
  assert.equal(plain.getLayer("conv1").getWeights().length, 2, "conv bias without BN");
  assert.deepEqual(plain.getLayer("conv2").getWeights()[0].shape, [5, 5, 48, 96]);
  plain.dispose();
});

test("lowRank.ranks builds exactly the named convs as LowRankConv2D at those ranks", () => {
  const m = vggSmall({ widths: [8, 16, 32], lowRank: lowRankConvs({ ranks: { conv1_2: 3, conv3_1: 5 } }) });
  const lowRank = m.layers.filter((l) => l.getClassName() === "LowRankConv2D");
  assert.deepEqual(lowRank.map((l) => [l.name, l.getConfig().rank]), [["conv1_2", 3], ["conv3_1", 5]]);
  // Vertical d×1 (C→K) then horizontal 1×d (K→N) kernels.
  const shapes = m.getLayer("conv3_1").getWeights().map((w) => w.shape);
  assert.ok(shapes.some((s) => s.join() === "3,1,16,5") && shapes.some((s) => s.join() === "1,3,5,32"), JSON.stringify(shapes));
  assert.equal(classOf(m, "conv2_1"), "Conv2D");
  assert.deepEqual(outputShape(m), [2, 10]);
  m.dispose();
});

test("lowRank.speedup picks each layer's rank from the cost model: every d×d conv ≥ the target", () => {
  const target = 2;
  const m = nin({ widthMultiplier: 0.25, lowRank: lowRankConvs({ speedup: target }) });
  const dense = nin({ widthMultiplier: 0.25 });
  assert.deepEqual(
    m.layers.filter((l) => l.getClassName() === "LowRankConv2D").map((l) => l.name),
    ["conv1", "conv2", "conv3"],
    "1×1 convs stay dense",
  );
  for (const name of ["conv1", "conv2", "conv3"]) {
    const spec = specOf(dense, name);
    const rank = m.getLayer(name).getConfig().rank as number;
    assert.equal(rank, rankForSpeedup(spec, target), name);
    assert.ok(convCost(spec).macs / lowRankCost(spec, rank).macs >= target, name);
    assert.ok(convCost(spec).macs / lowRankCost(spec, rank + 1).macs < target, `${name}: the largest such rank`);
  }
  m.dispose();
  dense.dispose();
  const some = vggSmall({ widths: [8, 16, 32], lowRank: lowRankConvs({ speedup: 3, layers: ["conv2_2"] }) });
  assert.deepEqual(some.layers.filter((l) => l.getClassName() === "LowRankConv2D").map((l) => l.name), ["conv2_2"]);
  some.dispose();
});

test("lowRank.bn: 'after' folds the model's BN into the pair, 'between'/'none' keep it after the pair", () => {
  const after = tinyCnn({ lowRank: lowRankConvs({ ranks: { conv2: 4 } }) });
  assert.equal(after.getLayer("conv2").getConfig().bn, "after", "default for from-scratch training");
  assert.equal(after.layers.some((l) => l.name === "conv2_bn"), false);
  assert.equal(classOf(after, "conv1_bn"), "BatchNormalization", "dense convs keep their BN");
  after.dispose();
  for (const bn of ["between", "none"] as const) {
    const m = tinyCnn({ lowRank: lowRankConvs({ ranks: { conv2: 4 }, bn }) });
    assert.equal(m.getLayer("conv2").getConfig().bn, bn);
    assert.equal(classOf(m, "conv2_bn"), "BatchNormalization");
    assert.equal(m.getLayer("conv2").getConfig().useBias, false, "BN follows: no bias");
    m.dispose();
  }
  const noBn = nin({ widthMultiplier: 0.25, batchNorm: false, lowRank: lowRankConvs({ ranks: { conv3: 4 }, bn: "none" }) });
  assert.equal(noBn.getLayer("conv3").getConfig().useBias, true, "no BN anywhere: the pair keeps its bias");
  noBn.dispose();
});

test("the same seed gives the same weights, another seed different ones", () => {
  const weights = (seed: number): number[] => {
    const m = tinyCnn({ seed, lowRank: lowRankConvs({ ranks: { conv2: 4 } }) });
    const v = m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    m.dispose();
    return v;
  };
  assert.deepEqual(weights(5), weights(5));
  assert.notDeepEqual(weights(5), weights(6));
});

test("bad lowRank options are refused with the reason", () => {
  assert.throws(() => vggSmall({ lowRank: lowRankConvs({ ranks: { conv9_9: 4 } }) }), /unknown layer\(s\) 'conv9_9' in vgg_small: its convs are conv1_1, conv1_2/);
  assert.throws(() => nin({ lowRank: lowRankConvs({ ranks: { cccp1: 4 } }) }), /'cccp1', which cannot be low-rank: it is a 1×1 conv/);
  assert.throws(() => lowRankConvs({ ranks: { conv1: 2 }, speedup: 2 } as never), /exactly one of 'ranks'.*got ranks and speedup/);
  assert.throws(() => lowRankConvs({} as never), /exactly one of/);
  assert.throws(() => lowRankConvs({ ranks: { conv1: 0 } }), /ranks\['conv1'\] must be an integer ≥ 1 \(or a tuple of them\), got 0/);
  assert.throws(() => lowRankConvs({ speedup: 0 }), /Target speedup must be a positive number/);
  assert.throws(() => lowRankConvs({ energy: 0.9 }), /Energy and budget rules read trained weights/);
  assert.throws(() => lowRankConvs({ budget: 2 }), /Energy and budget rules read trained weights/);
  assert.throws(() => tinyCnn({ lowRank: lowRankConvs({ ranks: { conv1: 10 } }) }), /Rank for layer 'conv1' \(3×3 conv 3→16, kernel matrix 9×48\) must be an integer in 1\.\.9, got 10/);
  assert.throws(() => tinyCnn({ lowRank: lowRankConvs({ speedup: 2, layers: ["conv7"] }) }), /unknown layer\(s\) 'conv7'/);
  assert.throws(() => nin({ lowRank: lowRankConvs({ speedup: 2, layers: ["conv1", "cccp2"] }) }), /lowRank names 'cccp2', which cannot be low-rank: it is a 1×1 conv/);
  // svd factors only 1×1 convs: on a net of 3×3 convs its "twin" would be the dense net.
  assert.throws(() => vggSmall({ widths: [8, 16, 32], lowRank: lowRankConvs({ speedup: 2, method: "svd" }) }), /No conv of vgg_small \(3×3\) can be built low-rank by the svd method at this rule, so its low-rank twin would be the dense net/);
  assert.throws(() => lowRankConvs({ ranks: { conv1: 2 }, bn: "before" as never }), /bn must be one of none, between, after/);
  assert.throws(() => tinyCnn({ inputShape: [32, 32] as never }), /inputShape must be \[height, width, channels\]/);
});
