import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { decomposeKernel } from "../../src/lowrank/decompose";
import { decomposeModelWithReport } from "../../src/lowrank/decompose-model";
import type { HostKernel } from "../../src/lowrank/host-kernel";
import { fitVerticalHorizontal, jaderberg, jaderbergMethod } from "../../src/lowrank/methods";
import { randomKernel } from "./fixtures";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

/** A kernel with a decaying spectrum, like trained ones: a few strong directions plus noise. */
function structuredKernel(shape: [number, number, number, number], seed: number): HostKernel {
  const base = randomKernel(shape, seed);
  const strong = decomposeKernel(randomKernel(shape, seed + 1), 3);
  const [kh, kw, C, N] = shape;
  const data = new Float64Array(base.data.length);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += strong.vertical.data[(i * C + c) * 3 + k] * strong.horizontal.data[(j * 3 + k) * N + n];
    const at = ((i * kw + j) * C + c) * N + n;
    data[at] = 4 * s + 0.1 * base.data[at];
  }
  return { data, shape };
}

test("jaderberg's residual is never below Tai's (the optimum) and approaches it, for every K", () => {
  for (const [kernel, what] of [[randomKernel([3, 3, 6, 8], 11), "random"], [structuredKernel([3, 3, 6, 8], 12), "structured"]] as const) {
    for (let K = 1; K <= 18; K++) {
      const optimum = decomposeKernel(kernel, K).residual;
      const fit = fitVerticalHorizontal(kernel, K);
      assert.ok(fit.residual >= optimum - 1e-12 * fit.energy, `${what} K=${K}: ${fit.residual} < optimum ${optimum}`);
      assert.ok(fit.converged, `${what} K=${K} converged`);
      assert.ok((fit.residual - optimum) / fit.energy < 1e-6, `${what} K=${K}: gap ${(fit.residual - optimum) / fit.energy}`);
      for (let i = 1; i < fit.trace.length; i++) {
        assert.ok(fit.trace[i].residual <= fit.trace[i - 1].residual * (1 + 1e-12) + 1e-15, `${what} K=${K}: the residual never rises`);
      }
    }
  }
});

test("a capped fit says it did not converge; a fit started at the optimum stops at once", () => {
  const w = structuredKernel([3, 3, 8, 8], 3);
  const capped = fitVerticalHorizontal(w, 6, { maxIterations: 2, tolerance: 0 });
  assert.equal(capped.converged, false);
  assert.equal(capped.trace.length, 2);
  const tai = decomposeKernel(w, 6);
  assert.ok(capped.residual >= tai.residual);
  const warm = fitVerticalHorizontal(w, 6, { init: { vertical: tai.vertical, horizontal: tai.horizontal } });
  assert.ok(warm.converged && warm.trace.length <= 2, `warm start took ${warm.trace.length} sweeps`);
  assert.ok(Math.abs(warm.residual - tai.residual) <= 1e-9 * warm.energy);
});

test("bad input is refused with the reason", () => {
  const w = randomKernel([3, 3, 2, 2], 1);
  assert.throws(() => fitVerticalHorizontal(w, 7), /integer in 1\.\.6/);
  assert.throws(() => fitVerticalHorizontal(w, 2, { maxIterations: 0 }), /maxIterations must be an integer ≥ 1/);
  const bad = decomposeKernel(w, 2);
  bad.horizontal.data[0] = Number.NaN; // the first sweep solves for V from H
  assert.throws(() => fitVerticalHorizontal(w, 2, { init: { vertical: bad.vertical, horizontal: bad.horizontal } }), /non-finite residual at iteration 1/);
  assert.throws(() => fitVerticalHorizontal(w, 3, { init: { vertical: bad.vertical, horizontal: bad.horizontal } }), /different kernel or rank/);
  assert.throws(() => jaderberg.analyze(w).factor([2, 2]), /one rank K/);
});

test("decomposeModel with method jaderberg: full rank predicts what the original predicts; the report has the fit", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: "c1", inputShape: [6, 6, 3], filters: 4, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.conv2d({ name: "c2", filters: 5, kernelSize: 3, padding: "same" }),
      tf.layers.flatten(),
    ],
  });
  const { model: low, layers } = decomposeModelWithReport(model, { ranks: { c1: 9, c2: 12 }, method: "jaderberg" });
  const x = tf.randomNormal([4, 6, 6, 3], 0, 1, "float32", 3);
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, low.predict(x) as tf.Tensor))).dataSync()[0]);
  const scale = tf.tidy(() => tf.max(tf.abs(model.predict(x) as tf.Tensor)).dataSync()[0]);
  assert.ok(gap <= 1e-4 * scale, `gap ${gap} vs scale ${scale}`);
  assert.deepEqual(layers.map((l) => l.method), ["jaderberg", "jaderberg"]);
  assert.ok(layers.every((l) => l.fit && l.fit.iterations >= 1 && l.fit.converged));
  assert.equal(low.getLayer("c2").getClassName(), "LowRankConv2D");
  assert.throws(() => decomposeModelWithReport(model, { energy: 0.9, method: "jaderberg" }), /needs the kernel's spectrum \(method jaderberg gives none\)/);
  // Its own options: a tighter cap shows in the report.
  assert.equal(jaderbergMethod({ maxIterations: 1, tolerance: 0 }).analyze(randomKernel([3, 3, 2, 2], 4)).factor(2).fit?.converged, false);
  tf.dispose(x);
  low.dispose();
  model.dispose();
});
