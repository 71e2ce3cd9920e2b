import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import {
  decomposeModel,
  kernelOfLayer,
  lowRankConvs,
  LowRankConv2D,
  projectToLowRank,
  reconstructKernel,
  singularValuesOfKernel,
  spectralInitialize,
  type HostKernel,
} from "../../src/lowrank";
import { tinyCnn, vggSmall } from "../../src/models";
import { maxRelativeDifference as maxRel } from "../train/fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

const kernelOf = (v: tf.LayerVariable): HostKernel => ({ data: v.read().dataSync() as Float32Array, shape: v.shape as [number, number, number, number] });

test("spectral initialisation: at full rank V·H is exactly the dense kernel the layer's initializer draws; below it, Eckart–Young's share", () => {
  const input = tf.input({ shape: [8, 8, 5] });
  const seed = 7;
  const layers = [12, 3].map((rank) => new LowRankConv2D({ filters: 4, kernelSize: 3, rank, padding: "same", kernelInitializer: tf.initializers.heNormal({ seed }), name: `lr${rank}` }));
  const model = tf.model({ inputs: input, outputs: layers.map((l) => l.apply(input) as tf.SymbolicTensor) });
  const before = tf.memory().numTensors;
  const reports = spectralInitialize(model);
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  const drawn = tf.tidy(() => tf.initializers.heNormal({ seed }).apply([3, 3, 5, 4]).dataSync() as Float32Array);
  const [fullLayer, lowLayer] = layers;
  const w = reconstructKernel(kernelOf(fullLayer.factorWeights().vertical), kernelOf(fullLayer.factorWeights().horizontal));
  assert.ok(maxRel(w.data, drawn) < 1e-5, `full-rank factors rebuild the drawn kernel (rel. error ${maxRel(w.data, drawn)})`);
  assert.ok(Math.abs(reports[0].keptEnergy - 1) < 1e-9);
  // Rank 3 keeps exactly the top three σ² of the drawn kernel's spectrum.
  const s = singularValuesOfKernel({ data: drawn, shape: [3, 3, 5, 4] });
  const energy = s.reduce((a, x) => a + x * x, 0);
  const top = s.slice(0, 3).reduce((a, x) => a + x * x, 0);
  assert.ok(Math.abs(reports[1].keptEnergy - top / energy) < 1e-6);
  const w3 = reconstructKernel(kernelOf(lowLayer.factorWeights().vertical), kernelOf(lowLayer.factorWeights().horizontal));
  const s3 = singularValuesOfKernel(w3);
  assert.ok(s3.slice(0, 3).every((x, i) => Math.abs(x - s[i]) < 1e-4 * s[0]), "the rank-3 kernel has the drawn kernel's top three singular values");
  assert.ok(s3[3] < 1e-5 * s[0], "and nothing beyond them");
  model.dispose();
});

test("spectral initialisation refuses a model without low-rank layers, saying how to build one", () => {
  const model = tinyCnn({ seed: 1 });
  assert.throws(() => spectralInitialize(model), /no LowRankConv2D.*lowRankConvs/);
  model.dispose();
});

test("spectral initialisation of a zoo twin keeps its predictions finite and differs from the plain draw", () => {
  const a = vggSmall({ widths: [8, 16, 16], seed: 3, lowRank: lowRankConvs({ speedup: 2 }) });
  const b = vggSmall({ widths: [8, 16, 16], seed: 3, lowRank: lowRankConvs({ speedup: 2 }) });
  const reports = spectralInitialize(b);
  assert.equal(reports.length, a.layers.filter((l) => l instanceof LowRankConv2D).length);
  assert.ok(reports.every((r) => r.keptEnergy > 0 && r.keptEnergy < 1));
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 5);
  const [ya, yb] = [a, b].map((m) => m.predict(x) as tf.Tensor);
  assert.ok(Array.from(yb.dataSync()).every(Number.isFinite));
  assert.ok(maxRel(ya.dataSync(), yb.dataSync()) > 1e-3, "the factors changed");
  tf.dispose([x, ya, yb]);
  a.dispose();
  b.dispose();
});

test("TRP's projection keeps the stated energy, leaves a kernel of the reported rank, and decomposes with unchanged predictions", () => {
  const model = vggSmall({ widths: [8, 16, 16], seed: 4 });
  const first = model.layers.find((l) => l.getClassName() === "Conv2D")!.name;
  const before = tf.memory().numTensors;
  const originals = new Map(model.layers.filter((l) => l.getClassName() === "Conv2D").map((l) => [l.name, kernelOfLayer(l)]));
  const reports = projectToLowRank(model, { energy: 0.8 }, { skip: [first] });
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  assert.ok(!reports.some((r) => r.layer === first), "the skipped first conv is not projected");
  assert.deepEqual(Array.from(kernelOfLayer(model.getLayer(first)).data), Array.from(originals.get(first)!.data));
  assert.ok(reports.length >= 3);
  for (const r of reports) {
    const s0 = singularValuesOfKernel(originals.get(r.layer)!);
    const total = s0.reduce((a, x) => a + x * x, 0);
    assert.ok(r.keptEnergy >= 0.8 - 1e-9, `${r.layer} keeps ${r.keptEnergy}`);
    const keptBefore = s0.slice(0, r.rank - 1).reduce((a, x) => a + x * x, 0) / total;
    assert.ok(keptBefore < 0.8, `${r.layer}: rank ${r.rank} is the smallest that keeps 80 %`);
    const s = singularValuesOfKernel(kernelOfLayer(model.getLayer(r.layer)));
    assert.ok(s[r.rank] < 1e-4 * s[0], `${r.layer} is rank ${r.rank} after projection`);
    const kept = s.reduce((a, x) => a + x * x, 0) / total;
    assert.ok(Math.abs(kept - r.keptEnergy) < 1e-4, `${r.layer}: energy left ${kept} vs reported ${r.keptEnergy}`);
  }
  const ranks = Object.fromEntries(reports.map((r) => [r.layer, r.rank]));
  const low = decomposeModel(model, { ranks });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 6);
  const [y, yl] = [model, low].map((m) => m.predict(x) as tf.Tensor);
  assert.ok(maxRel(yl.dataSync(), y.dataSync()) < 1e-4, `decomposed at the projected ranks predicts the same (${maxRel(yl.dataSync(), y.dataSync())})`);
  // Projecting again at fixed ranks changes nothing.
  const k = kernelOfLayer(model.getLayer(reports[1].layer)).data.slice();
  projectToLowRank(model, { ranks });
  assert.ok(maxRel(kernelOfLayer(model.getLayer(reports[1].layer)).data, k) < 1e-5);
  tf.dispose([x, y, yl]);
  model.dispose();
  low.dispose();
});

test("projection with a nuclear-norm shrink: the kept singular values each fall by the shrink (never below 0), the rest are 0", () => {
  const model = vggSmall({ widths: [8, 16, 16], seed: 9 });
  const name = model.layers.filter((l) => l.getClassName() === "Conv2D")[2].name;
  const s0 = singularValuesOfKernel(kernelOfLayer(model.getLayer(name)));
  const shrink = s0[3] * 1.0001; // the 4th value and everything after it reach 0
  const [r] = projectToLowRank(model, { ranks: { [name]: 6 } }, { shrink });
  const s = singularValuesOfKernel(kernelOfLayer(model.getLayer(name)));
  for (let i = 0; i < s0.length; i++) {
    const want = i < 6 ? Math.max(s0[i] - shrink, 0) : 0;
    assert.ok(Math.abs(s[i] - want) < 1e-4 * s0[0], `σ${i}: ${s[i]} vs ${want}`);
  }
  assert.equal(r.rank, 6);
  assert.ok(Math.abs(r.keptEnergy - s.reduce((a, x) => a + x * x, 0) / s0.reduce((a, x) => a + x * x, 0)) < 1e-4);
  assert.throws(() => projectToLowRank(model, { rank: 2 }, { shrink: -1 }), /shrink must be ≥ 0/);
  model.dispose();
});
