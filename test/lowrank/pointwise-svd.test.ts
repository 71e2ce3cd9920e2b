import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeModelWithReport, inferenceModel, kernelOfLayer, LowRankConv2D, singularValuesOfKernel } from "../../src/lowrank";
import { pointwiseSvd } from "../../src/lowrank/methods";
import { convMacsOf } from "../../src/measure/layer-cost";
import { nin } from "../../src/models";
import { maxRelativeDifference as maxRel } from "../train/fixtures";
import { randomizeBatchNorms } from "./tf-fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

test("svd method: only 1×1 convs; at rank K the residual is the sum of the dropped σ² of the C×N matrix", () => {
  assert.match(pointwiseSvd.refusal({ kh: 3, kw: 3, inC: 4, outC: 4 }) ?? "", /not 1×1 .*tai/);
  const data = Float64Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i * 1.7) + (i % 3));
  const kernel = { data, shape: [1, 1, 6, 5] as [number, number, number, number] };
  const s = singularValuesOfKernel(kernel);
  const f = pointwiseSvd.analyze(kernel).factor(2);
  const dropped = Array.from(s.slice(2)).reduce((a, x) => a + x * x, 0);
  assert.ok(Math.abs(f.residual - dropped) < 1e-10);
  assert.deepEqual([f.factors.vertical.shape, f.factors.horizontal.shape], [[1, 1, 6, 2], [1, 1, 2, 5]]);
});

test("NIN: tai on its d×d convs, then svd on its 1×1 cccp convs; full rank predicts as before, 2× costs less, the deploy form is plain convs", () => {
  const model = nin({ widthMultiplier: 0.1, seed: 1 });
  randomizeBatchNorms(model, 2);
  const pointwise = model.layers.filter((l) => l.getClassName() === "Conv2D" && kernelOfLayer(l).shape[0] === 1);
  assert.ok(pointwise.length > 0);
  const full = Object.fromEntries(pointwise.map((l) => [l.name, Math.min(...kernelOfLayer(l).shape.slice(2))]));
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 3);
  const y = model.predict(x) as tf.Tensor;
  const exact = decomposeModelWithReport(model, { method: "svd", ranks: full });
  assert.deepEqual(exact.layers.map((l) => l.name).sort(), pointwise.map((l) => l.name).sort(), "only the 1×1 convs");
  const ye = exact.model.predict(x) as tf.Tensor;
  assert.ok(maxRel(ye.dataSync(), y.dataSync()) < 1e-4);
  const tai = decomposeModelWithReport(model, { speedup: 2 }).model;
  const both = decomposeModelWithReport(tai, { method: "svd", speedup: 2 });
  assert.ok(both.layers.length === pointwise.length && both.layers.every((l) => l.theoreticalSpeedup >= 2));
  assert.ok(convMacsOf(both.model) < convMacsOf(tai));
  assert.ok(both.model.layers.filter((l) => l instanceof LowRankConv2D).length > pointwise.length);
  const deploy = inferenceModel(both.model);
  const [yb, yd] = [both.model, deploy].map((m) => m.predict(x) as tf.Tensor);
  assert.ok(maxRel(yd.dataSync(), yb.dataSync()) < 1e-4);
  tf.dispose([x, y, ye, yb, yd]);
  for (const m of [model, exact.model, tai, both.model, deploy]) m.dispose();
});
