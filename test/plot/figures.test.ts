import { test } from "node:test";
import assert from "node:assert/strict";
import { accuracyVsRankFigure } from "../../src/plot/accuracy-rank";
import { architecturesFigure } from "../../src/plot/architectures";
import { filterGridFigure } from "../../src/plot/filters";
import { accuracyVsSpeedupFigure, paretoFront } from "../../src/plot/pareto";
import { reconstructionErrorFigure } from "../../src/plot/reconstruction-error";
import { spectrumFigure } from "../../src/plot/spectrum";
import { speedupVsRankFigure } from "../../src/plot/speedup-rank";
import { layerColors, logTicks } from "../../src/plot/theme";
import { trainingCurvesFigure } from "../../src/plot/training-curves";
import type { PlotlyFigure, PlotlyTrace } from "../../src/plot/types";
import * as fx from "./fixtures";
import { assertValidFigure } from "./fixtures";

const named = (fig: PlotlyFigure, name: string): PlotlyTrace => {
  const t = fig.data.find((d) => d.name === name);
  assert.ok(t, `trace '${name}'`);
  return t;
};

test("paretoFront keeps exactly the non-dominated points, by ascending x", () => {
  const pts = [
    { x: 1, y: 0.9 }, { x: 2, y: 0.85 }, { x: 2, y: 0.8 }, { x: 1.5, y: 0.7 },
    { x: 4, y: 0.6 }, { x: 3, y: 0.6 }, { x: 4, y: 0.6 }, { x: Number.NaN, y: 1 },
  ];
  assert.deepEqual(paretoFront(pts), [0, 1, 4]);
  assert.deepEqual(paretoFront([]), []);
});

test("spectrum: sorted, normalised, log y, one colour per layer", () => {
  const spectra = fx.spectra();
  const fig = spectrumFigure([{ layer: "convX", singularValues: [0.5, 2, 0, 1] }, ...spectra]);
  assertValidFigure(fig);
  assert.deepEqual(named(fig, "convX").y, [1, 0.5, 0.25, null]);
  assert.equal((fig.layout.yaxis as { type: string }).type, "log");
  assert.equal(fig.data.length, spectra.length + 1);
  const colors = new Set(fig.data.map((t) => (t.line as { color: string }).color));
  assert.equal(colors.size, fig.data.length);
  assert.throws(() => spectrumFigure([]), /no spectra/);
  assert.throws(() => spectrumFigure([{ layer: "a", singularValues: [1, -1] }]), /negative/);
});

test("layer colours agree across figures, and with a given layer order", () => {
  const rows = fx.sweep();
  const colorOf = (fig: PlotlyFigure, name: string) => (named(fig, name).line as { color: string }).color;
  const a = reconstructionErrorFigure(rows);
  const b = speedupVsRankFigure(rows);
  for (const layer of Object.keys(fx.LAYERS)) assert.equal(colorOf(a, layer), colorOf(b, `${layer} · theoretical`));
  const onlyConv3 = reconstructionErrorFigure(rows.filter((r) => r.layer === "conv3"), { layerOrder: Object.keys(fx.LAYERS) });
  assert.equal(colorOf(onlyConv3, "conv3"), colorOf(a, "conv3"));
  assert.equal(layerColors(["conv10", "conv2"]).get("conv2"), layerColors(["conv2"]).get("conv2"));
});

test("reconstruction error and accuracy vs rank: one trace per layer (and stage), ranks ascending", () => {
  const rows = fx.sweep();
  const err = reconstructionErrorFigure([...rows].reverse());
  assertValidFigure(err);
  assert.equal(err.data.length, 4);
  const xs = named(err, "conv2").x as number[];
  assert.deepEqual(xs, [...xs].sort((p, q) => p - q));
  assert.equal((err.layout.xaxis as { type: string }).type, "log", "ranks 1..64 span ≥ 8×: log axis");

  const acc = accuracyVsRankFigure(rows, { baselineAccuracy: 0.82 });
  assertValidFigure(acc);
  assert.equal(acc.data.length, 8);
  assert.equal((named(acc, "conv1 · before fine-tune").line as { dash: string }).dash, "dash");
  assert.equal((acc.layout.shapes as unknown[]).length, 1);
  assert.throws(() => accuracyVsRankFigure(rows.map(({ accuracyBefore, accuracyAfter, ...r }) => r)), /no row has accuracy/);
});

test("speedup vs rank: theoretical and measured per layer on a log axis with readable ticks", () => {
  const rows = fx.sweep();
  const fig = speedupVsRankFigure(rows, { measuredOn: "tensorflow, 2 threads" });
  assertValidFigure(fig);
  assert.equal(fig.data.length, 8);
  assert.deepEqual(named(fig, "conv2 · theoretical").y, rows.filter((r) => r.layer === "conv2").map((r) => r.theoreticalSpeedup));
  const y = fig.layout.yaxis as { type: string; ticktext: string[] };
  assert.equal(y.type, "log");
  assert.ok(y.ticktext.includes("1×") && y.ticktext.includes("10×"));
  // Rows without measurements: only the theoretical lines.
  assert.equal(speedupVsRankFigure(rows.map(({ measuredSpeedup, ...r }) => r)).data.length, 4);
});

test("logTicks: 1-2-5 per decade over a short range, powers of ten over a long one", () => {
  assert.deepEqual(logTicks([0.3, 4])!.tickvals, [0.2, 0.5, 1, 2, 5]);
  assert.deepEqual(logTicks([1e-6, 1])!.tickvals, [1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1]);
  assert.equal(logTicks([0, -1]), undefined);
});

test("accuracy vs speedup: the highlighted front is the Pareto set of the plotted points", () => {
  const rows = fx.sweep();
  const fig = accuracyVsSpeedupFigure(rows, { baselineAccuracy: 0.82 });
  assertValidFigure(fig);
  const front = named(fig, "Pareto front");
  const pts = rows.map((r) => ({ x: r.measuredSpeedup!, y: r.accuracyAfter! }));
  assert.deepEqual(front.x, paretoFront(pts).map((i) => pts[i].x));
  // No plotted point beats a front point on both axes.
  for (let i = 0; i < (front.x as number[]).length; i++) {
    const fx0 = (front.x as number[])[i], fy0 = (front.y as number[])[i];
    assert.ok(!pts.some((p) => p.x > fx0 && p.y > fy0));
  }
  const theo = accuracyVsSpeedupFigure(rows.map(({ measuredSpeedup, ...r }) => r), { speedup: "theoretical", accuracy: "before" });
  assert.match(String((theo.layout.xaxis as { title: { text: string } }).title.text), /theoretical/);
  assert.throws(() => accuracyVsSpeedupFigure(rows.map(({ measuredSpeedup, ...r }) => r)), /no row has both measuredSpeedup/);
});

test("training curves: loss and accuracy panels, train and test per run, one legend entry each", () => {
  const fig = trainingCurvesFigure(fx.runs());
  assertValidFigure(fig);
  assert.equal(fig.data.length, 8);
  assert.equal(fig.data.filter((t) => t.showlegend).length, 4);
  assert.deepEqual(new Set(fig.data.map((t) => t.yaxis)), new Set(["y", "y2"]));
  const single = trainingCurvesFigure(fx.history(5).map(({ testLoss, testAccuracy, ...h }) => h));
  assert.equal(single.data.length, 2, "no test columns: train traces only");
  assert.throws(() => trainingCurvesFigure([]), /no history/);
});

test("filter grid: original, rank-K and difference rows of one mosaic heatmap, symmetric colour scale", () => {
  const cmp = fx.filters(3, 16, 2);
  const fig = filterGridFigure(cmp, { count: 6 });
  assertValidFigure(fig);
  const [hm] = fig.data as { z: (number | null)[][]; zmin: number; zmax: number; type: string }[];
  assert.equal(hm.type, "heatmap");
  assert.equal(hm.z.length, 3 * 4 - 1, "3 rows of 3 taps, 1-cell gaps");
  assert.equal(hm.z[0].length, 6 * 4 - 1);
  assert.equal(hm.zmin, -hm.zmax);
  // Filter shown first, tap (1, 2), its strongest channel: the mosaic holds the kernel value.
  const n = Number(((fig.layout.xaxis as { ticktext: string[] }).ticktext[0]).slice(1));
  const [, , C, N] = cmp.original.shape;
  const norms = Array.from({ length: C }, (_, c) => {
    let s = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += cmp.original.values[((i * 3 + j) * C + c) * N + n] ** 2;
    return s;
  });
  const c = norms.indexOf(Math.max(...norms));
  const at = (k: typeof cmp.original, i: number, j: number) => k.values[((i * 3 + j) * C + c) * N + n];
  assert.ok(Math.abs(hm.z[1][2]! - at(cmp.original, 1, 2)) < 1e-7);
  assert.ok(Math.abs(hm.z[4 + 1][2]! - at(cmp.reconstructed, 1, 2)) < 1e-7);
  assert.ok(Math.abs(hm.z[8 + 1][2]! - (at(cmp.original, 1, 2) - at(cmp.reconstructed, 1, 2))) < 1e-7);
  assert.equal(hm.z[3][0], null, "gap row");
  assert.throws(() => filterGridFigure({ ...cmp, reconstructed: fx.filters(3, 8).reconstructed }), /shapes differ/);
  assert.throws(() => filterGridFigure(cmp, { filters: [99] }), /outside 0\.\.15/);
});

test("architectures: one line per model from its dense net through each target, measured or theoretical x", () => {
  const row = (model: "nin" | "resnet", target: number, accuracy: number, measured: number, theory: number) => ({
    model, network: target === 1 ? "dense" : `${target}×`, target, testAccuracy: accuracy, accuracyChange: 0, params: 1, convMacs: 1,
    decomposedConvSpeedup: target, convSpeedupTheoretical: theory, forwardMs: 1, modelSpeedupMeasured: measured, decomposedLayers: target === 1 ? 0 : 3, trainSeconds: 1,
  });
  const rows = [row("nin", 3, 0.6, 1.5, 2.5), row("nin", 1, 0.7, 1, 1), row("nin", 2, 0.68, 1.3, 1.8), row("resnet", 1, 0.8, 1, 1), row("resnet", 2, 0.75, 1.1, 1.9)];
  const fig = architecturesFigure(rows);
  assertValidFigure(fig);
  assert.deepEqual(fig.data.map((t) => t.name), ["nin", "resnet"]);
  assert.deepEqual(fig.data[0].x, [1, 1.3, 1.5], "sorted by target: dense first");
  assert.deepEqual(fig.data[0].text, ["dense", "2×", "3×"]);
  assert.deepEqual(architecturesFigure(rows, { speedup: "theoretical" }).data[0].x, [1, 1.8, 2.5]);
  assert.throws(() => architecturesFigure([{ ...rows[0], modelSpeedupMeasured: NaN }]), /modelSpeedupMeasured' must be a finite number/);
  assert.throws(() => architecturesFigure([]), /architecture rows/);
});
