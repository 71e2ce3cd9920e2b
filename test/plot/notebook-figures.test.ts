import { test } from "node:test";
import assert from "node:assert/strict";
import { classBalanceFigure } from "../../src/plot/class-balance";
import { decompositionStepsFigure } from "../../src/plot/decomposition-steps";
import { fineTuneStagesFigure } from "../../src/plot/fine-tune-stages";
import { imageGridFigure } from "../../src/plot/image-grid";
import { assertValidFigure } from "./fixtures";

/** A size×size RGB image, plane by plane, every pixel (r, g, b). */
const flat = (size: number, [r, g, b]: number[]): Uint8Array => {
  const img = new Uint8Array(3 * size * size);
  img.fill(r, 0, size * size);
  img.fill(g, size * size, 2 * size * size);
  img.fill(b, 2 * size * size);
  return img;
};

test("imageGridFigure: one image trace, pixels from the planes, white gaps, a labelled row each", () => {
  const img = flat(2, [10, 20, 30]);
  img[1] = 99; // red of pixel (0, 1)
  const fig = imageGridFigure([
    { label: "cat", images: [img, flat(2, [1, 2, 3])] },
    { label: "<dog>", images: [flat(2, [4, 5, 6])] },
  ], { title: "Two classes", gap: 1 });
  assertValidFigure(fig, { titledAxes: false });
  assert.equal(fig.data.length, 1);
  const z = fig.data[0].z as number[][][];
  assert.equal(fig.data[0].type, "image");
  assert.equal(z.length, 2 * 3, "two rows of (2 + gap 1) pixels");
  assert.equal(z[0].length, 2 * 3, "as wide as the longest row");
  assert.deepEqual(z[0][0], [10, 20, 30]);
  assert.deepEqual(z[0][1], [99, 20, 30]);
  assert.deepEqual(z[0][2], [255, 255, 255], "gap");
  assert.deepEqual(z[1][3], [1, 2, 3]);
  assert.deepEqual(z[3][0], [4, 5, 6]);
  assert.deepEqual(z[3][3], [255, 255, 255], "a shorter row is padded with white");
  const y = fig.layout.yaxis as { tickvals: number[]; ticktext: string[] };
  assert.deepEqual(y.tickvals, [1, 4]);
  assert.deepEqual(y.ticktext, ["cat", "&lt;dog&gt;"]);
  assert.equal((fig.layout.xaxis as { visible: boolean }).visible, false);
  assert.match(String((fig.layout.title as { text: string }).text), /Two classes/);
  // Ten rows of eight CIFAR images: the notebook's 560×640 or so.
  const cifar = imageGridFigure(Array.from({ length: 10 }, (_, c) => ({ label: `c${c}`, images: Array.from({ length: 8 }, () => flat(32, [c, c, c])) })));
  assert.ok(Math.abs((cifar.layout.width as number) - 560) < 10 && Math.abs((cifar.layout.height as number) - 640) < 20);
  assert.throws(() => imageGridFigure([]), /no rows/);
  assert.throws(() => imageGridFigure([{ label: "a", images: [] }]), /every row is empty/);
  assert.throws(() => imageGridFigure([{ label: "a", images: [flat(2, [0, 0, 0]), new Uint8Array(5)] }]), /image 1 of row 0 \('a'\) has 5 values/);
});

test("classBalanceFigure: grouped bars per split over categorical classes", () => {
  const fig = classBalanceFigure({ classNames: ["cat", "dog"], train: [5000, 4999], test: [1000, 1000] });
  assertValidFigure(fig, { titledAxes: false });
  assert.deepEqual(fig.data.map((t) => [t.type, t.name]), [["bar", "train"], ["bar", "test"]]);
  assert.deepEqual(fig.data[0].x, ["cat", "dog"]);
  assert.deepEqual(fig.data[0].y, [5000, 4999]);
  assert.equal(fig.layout.barmode, "group");
  assert.equal((fig.layout.xaxis as { type: string }).type, "category");
  const trainOnly = classBalanceFigure({ classNames: ["cat", "dog"], train: [1, 2] });
  assert.equal(trainOnly.data.length, 1);
  assert.throws(() => classBalanceFigure({ classNames: ["cat", "dog"], train: [1] }), /1 train counts for 2 classes/);
  assert.throws(() => classBalanceFigure({ classNames: ["cat"], train: [1], test: [-1] }), /test\[0\] is negative/);
  assert.throws(() => classBalanceFigure({ classNames: ["cat"], train: [NaN] }), /'train\[0\]' must be a finite number/);
  assert.throws(() => classBalanceFigure({ classNames: [], train: [] }), /no classes/);
});

test("decompositionStepsFigure: accuracy in percent per step, the target in the subtitle", () => {
  const fig = decompositionStepsFigure([
    { step: "baseline", accuracy: 0.8 },
    { step: "+ conv1_1", accuracy: 0.75 },
    { step: "+ conv1_2", accuracy: 0.5 },
  ], { speedup: 2 });
  assertValidFigure(fig, { titledAxes: false });
  assert.deepEqual(fig.data[0].x, ["baseline", "+ conv1_1", "+ conv1_2"]);
  assert.deepEqual(fig.data[0].y, [80, 75, 50]);
  assert.equal((fig.layout.xaxis as { type: string }).type, "category");
  assert.equal((fig.layout.yaxis as { rangemode: string }).rangemode, "tozero");
  const subtitle = (fig.layout.title as { subtitle: { text: string } }).subtitle.text;
  assert.equal(subtitle, "2× theoretical speed-up each, no fine-tuning");
  assert.throws(() => decompositionStepsFigure([]), /no steps/);
  assert.throws(() => decompositionStepsFigure([{ step: "x", accuracy: NaN }]), /step 'x'.*'accuracy' must be a finite number/);
});

test("fineTuneStagesFigure: before (dotted) and after per stage, the final stage named, a baseline line", () => {
  const stages = [
    { layers: ["conv1"], accuracyBefore: 0.6, accuracyAfter: 0.7, history: [] },
    { layers: ["conv2"], accuracyBefore: 0.65, accuracyAfter: undefined },
    { layers: ["conv1", "conv2"], accuracyBefore: 0.7, accuracyAfter: 0.72 },
  ];
  const fig = fineTuneStagesFigure(stages, { baselineAccuracy: 0.75 });
  assertValidFigure(fig, { titledAxes: false });
  const [before, after] = fig.data;
  assert.deepEqual(before.x, ["conv1", "conv2", "final fine-tune (all layers)"]);
  assert.deepEqual(before.y, [60, 65, 70]);
  assert.deepEqual(after.y, [70, null, 72]);
  assert.equal((before.line as { dash: string }).dash, "dot");
  const shapes = fig.layout.shapes as { y0: number }[];
  assert.equal(shapes[0].y0, 75);
  assert.equal((fig.layout.annotations as { text: string }[])[0].text, "baseline");
  const plain = fineTuneStagesFigure([{ layers: ["a", "b"], accuracyAfter: 0.5, label: "all at once" }]);
  assert.deepEqual(plain.data[0].x, ["all at once"]);
  assert.equal(plain.layout.shapes, undefined, "no baseline given: no line");
  assert.throws(() => fineTuneStagesFigure([]), /no stages/);
});
