/** The deploy export loads in plain TF.js in a real headless chromium (no project code) and predicts what Node predicts. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Browser } from "playwright-core";
import { initBackend } from "../../src/backend/init";
import { decomposeModel } from "../../src/lowrank";
import { vggSmall } from "../../src/models";
import { launchChromium } from "../../src/plot/browser";
import { exportDeployModel, loadModel } from "../../src/train";
import { randomizeBatchNorms } from "../lowrank/tf-fixtures";
import { tempDir } from "./fixtures";

const dir = tempDir("export");
let browser: Browser;

before(async () => {
  await initBackend(undefined, { quiet: true });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ORIGIN = "http://model.test";
const TFJS = require.resolve("@tensorflow/tfjs/dist/tf.min.js");

test("a decomposed vggSmall (tai on convs, svd on its hidden Dense layer) exported in deploy form loads in plain TF.js in chromium and predicts what Node predicts", async () => {
  const dense = vggSmall({ widths: [4, 8, 8], seed: 2, head: "dense", denseUnits: 12 });
  randomizeBatchNorms(dense, 23);
  const convs = decomposeModel(dense, { speedup: 2, bn: "between" });
  randomizeBatchNorms(convs, 29);
  const decomposed = decomposeModel(convs, { method: "svd", ranks: { fc: 5 } });
  convs.dispose();
  const report = await exportDeployModel(decomposed, dir);
  assert.equal(report.splitPairs.length, 7);
  const json = readFileSync(join(dir, "model.json"), "utf8");
  assert.doesNotMatch(json, /LowRankConv2D|LowRankDense|BatchNormalization/);

  const x = tf.randomNormal([3, 32, 32, 3], 0, 1, "float32", 31);
  const expected = (decomposed.predict(x) as tf.Tensor).dataSync();
  const input = Array.from(x.dataSync());
  x.dispose();

  const page = await browser.newPage();
  try {
    // A fake origin served from disk: the page fetches model.json and weights.bin as a web app would.
    await page.route(`${ORIGIN}/**`, (route) => {
      const file = new URL(route.request().url()).pathname.slice(1);
      if (file === "index.html") return route.fulfill({ contentType: "text/html", body: "<!doctype html><title>export</title>" });
      if (file === "tf.min.js") return route.fulfill({ contentType: "text/javascript", body: readFileSync(TFJS, "utf8") });
      if (file === "model.json" || file === "weights.bin") return route.fulfill({ body: readFileSync(join(dir, file)) });
      return route.fulfill({ status: 404, body: "" });
    });
    await page.goto(`${ORIGIN}/index.html`);
    await page.addScriptTag({ url: `${ORIGIN}/tf.min.js` });
    const got = await page.evaluate(
      async ({ url, input, shape }) => {
        const tfb = (globalThis as any).tf;
        await tfb.setBackend("cpu");
        const model = await tfb.loadLayersModel(url);
        const y = model.predict(tfb.tensor(input, shape));
        return { values: Array.from((await y.data()) as Float32Array), classes: model.layers.map((l: any) => l.getClassName()) as string[] };
      },
      { url: `${ORIGIN}/model.json`, input, shape: [3, 32, 32, 3] },
    );
    assert.ok(got.classes.filter((c) => c === "Conv2D").length === 12, got.classes.join(", "));
    assert.ok(got.classes.filter((c) => c === "Dense").length === 3, got.classes.join(", "));
    assert.equal(got.values.length, expected.length);
    const scale = Math.max(...Array.from(expected, Math.abs));
    const worst = Math.max(...got.values.map((v, i) => Math.abs(v - expected[i]) / scale));
    assert.ok(worst <= 1e-4, `browser predictions differ from Node's by ${worst}`);
  } finally {
    await page.close();
  }

  // And Node loads it back with the same predictions as the browser.
  const loaded = await loadModel(dir);
  assert.ok(loaded.layers.every((l) => !["LowRankConv2D", "LowRankDense"].includes(l.getClassName())));
  for (const m of [loaded, decomposed, dense]) m.dispose();
});
