import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { cifar10FromRaw, readCifar10Raw, type Cifar10 } from "../../src/data";
import { closedFormVerdict, errorAtEqualSpeedup, iterativeFitTrace, networksByMethod, reconstructionByMethod, rulesCompared } from "../../src/experiments/methods-compared";
import { kernelOfLayer, singularValuesOfKernel } from "../../src/lowrank";
import { tinyCnn } from "../../src/models";
import { fitTraceFigure, methodErrorFigure } from "../../src/plot/methods";
import { profileSettings } from "../../src/profiles";
import { CIFAR10_DIR } from "../train/fixtures";

let data: Cifar10;
before(async () => {
  await initBackend(undefined, { quiet: true });
  data = cifar10FromRaw(readCifar10Raw(CIFAR10_DIR), { trainLimit: 200, testLimit: 100 });
});
after(() => data?.dispose());

test("reconstruction by method: same ranks for both, the iterative fit never beats the closed form", () => {
  const model = tinyCnn({ seed: 3 });
  const rows = reconstructionByMethod(model, ["tai", "jaderberg"], [2, 4]);
  const tai = rows.filter((r) => r.method === "tai");
  const als = rows.filter((r) => r.method === "jaderberg");
  assert.ok(tai.length > 0);
  assert.deepEqual(als.map((r) => [r.layer, r.rank]), tai.map((r) => [r.layer, r.rank]));
  for (let i = 0; i < tai.length; i++) {
    assert.ok(als[i].relError >= tai[i].relError - 1e-9, `${tai[i].layer} K=${tai[i].rank}: ${als[i].relError} < ${tai[i].relError}`);
    assert.ok(als[i].iterations! >= 1 && tai[i].iterations === undefined);
  }
  const fig = methodErrorFigure(rows);
  assert.equal(fig.data.length, new Set(rows.map((r) => `${r.layer}/${r.method}`)).size);
  const trace = iterativeFitTrace(model, tai[0].layer, tai[0].rank, { maxIterations: 20 });
  assert.equal(trace.trace.length, 20, "tolerance 0: every sweep is recorded");
  assert.ok(trace.trace.every((t) => t.residual >= trace.optimum - 1e-9 * trace.energy));
  const tf2 = fitTraceFigure(trace, { x: "seconds" });
  assert.equal((tf2.data[0].y as number[]).length, 20);
  assert.ok((tf2.data[0].y as number[]).every((v) => v >= 1e-16));
  model.dispose();
});

test("networks by method: the same budget for each; accuracy and speed-ups are measured; nothing leaks", async () => {
  const model = tinyCnn({ seed: 3 });
  const settings = { ...profileSettings("quick"), batchSize: 50, fineTuneEpochs: 1, measureBatchSize: 8 };
  const rows = await networksByMethod(model, { train: data.train, test: data.test }, settings, ["tai", "jaderberg"], 2);
  assert.deepEqual(rows.map((r) => r.method), ["tai", "jaderberg"]);
  for (const r of rows) {
    for (const v of [r.accuracyBefore, r.accuracyAfter]) assert.ok(v >= 0 && v <= 1);
    assert.ok(r.convSpeedup >= 2 && r.measuredSpeedup > 0 && r.relError > 0);
  }
  assert.ok(rows[1].relError >= rows[0].relError - 1e-9);
  assert.equal(rows[0].convSpeedup, rows[1].convSpeedup, "equal theoretical cost");
  assert.ok(rows.every((r) => r.keptDense === ""));
  // Tucker-2 cannot bring tinyCnn's 3→16 conv1 to 4× at any rank pair: it stays dense and the row says so.
  const [tucker] = await networksByMethod(model, { train: data.train, test: data.test }, settings, ["tucker2"], 4);
  assert.equal(tucker.keptDense, "conv1");
  assert.ok(tucker.convSpeedup > 1 && tucker.convSpeedup < 4, `conv speed-up ${tucker.convSpeedup} counts the dense conv1`);
  // The first training of a process caches a few constants; a second comparison must add nothing.
  const before = tf.memory().numTensors;
  await networksByMethod(model, { train: data.train, test: data.test }, settings, ["jaderberg"], 2);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test("the verdict follows the numbers: confirmed when the iterative fit never goes below, not confirmed otherwise", () => {
  const row = (method: string, relError: number, seconds: number) => ({ layer: "c", method, rank: 2, relError, seconds, ...(method === "jaderberg" ? { iterations: 9, converged: true } : {}) });
  const ok = closedFormVerdict([row("tai", 0.5, 0.01), row("jaderberg", 0.5000001, 0.2)], []);
  assert.match(ok[0], /^Optimality: confirmed — in all 1/);
  assert.match(ok[1], /0\.01 s .* 0\.20 s \(20\.0×\); every fit converged/);
  const bad = closedFormVerdict([row("tai", 0.5, 0.01), row("jaderberg", 0.4, 0.2)], []);
  assert.match(bad[0], /NOT confirmed — the iterative fit went below the closed form in 1 of 1/);
  assert.match(closedFormVerdict([row("tai", 0.5, 0.01)], [])[0], /No \(layer, rank\) was factored by both/);
});

test("rules side by side: a per-layer target and the joint budget at the same speed-up; the budget's total error is no larger", () => {
  const model = tinyCnn({ seed: 4 });
  const rows = rulesCompared(model, data.test, [
    { label: "per layer 2×", rule: { speedup: 2 } },
    { label: "budget 2× (exact)", rule: { budget: 2 } },
    { label: "budget 2× (greedy)", rule: { budget: 2, allocation: "greedy" } },
  ]);
  assert.deepEqual(rows.map((r) => r.rule), ["per layer 2×", "budget 2× (exact)", "budget 2× (greedy)"]);
  for (const r of rows) {
    assert.ok(r.convSpeedup >= 2 - 1e-9, `${r.rule}: ${r.convSpeedup}`);
    assert.match(r.ranks, /conv1:\d+ conv2:\d+/);
    assert.ok(r.accuracyBefore >= 0 && r.accuracyBefore <= 1);
  }
  assert.ok(rows[1].totalError <= rows[0].totalError + 1e-12, "the per-layer ranks are one feasible choice of the budget");
  assert.ok(rows[1].totalError <= rows[2].totalError + 1e-12);
  model.dispose();
});

test("error at equal speed-up across structures: each method at its own rank for the target; tai's error is its dropped spectrum", () => {
  const model = tinyCnn({ seed: 3 });
  const rows = errorAtEqualSpeedup(model, ["tai", "tucker2"], [2, 3]);
  const tucker = rows.filter((r) => r.method === "tucker2");
  const tai = rows.filter((r) => r.method === "tai");
  assert.ok(tucker.length > 0 && tai.length > 0);
  assert.ok(tucker.every((r) => typeof r.rank === "string" && /^\d+×\d+$/.test(r.rank)));
  assert.ok(rows.every((r) => r.theoreticalSpeedup >= r.speedup && r.relError >= 0 && r.relError <= 1));
  for (const r of tai) {
    const s = singularValuesOfKernel(kernelOfLayer(model.getLayer(r.layer)));
    const total = Array.from(s).reduce((a, x) => a + x * x, 0);
    const dropped = Array.from(s.slice(r.rank as number)).reduce((a, x) => a + x * x, 0);
    assert.ok(Math.abs(r.relError - Math.sqrt(dropped / total)) < 1e-9);
  }
  model.dispose();
});
