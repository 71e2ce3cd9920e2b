/** Real headless chromium (Debian's /usr/bin/chromium or CHROMIUM_PATH) renders and exports figures. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { createExporter, exportFigure, launchChromium, screenshot, type Exporter } from "../../src/plot/browser";
import { filterGridFigure } from "../../src/plot/filters";
import { accuracyVsSpeedupFigure } from "../../src/plot/pareto";
import { decodePng, greyVariance, isPng, pngSize } from "../../src/plot/png";
import { spectrumFigure } from "../../src/plot/spectrum";
import { speedupVsRankFigure } from "../../src/plot/speedup-rank";
import { trainingCurvesFigure } from "../../src/plot/training-curves";
import * as fx from "./fixtures";

const dir = mkdtempSync(join(tmpdir(), "lowrank-export-"));
let exporter: Exporter;
let browser: Browser;

before(async () => {
  exporter = await createExporter();
  browser = await launchChromium();
});
after(async () => {
  await exporter?.close();
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Parse SVG with the browser's XML parser; count plotly's marks. */
async function inspectSvg(svg: string): Promise<{ ok: boolean; root: string; mainSvg: number; traces: number; paths: number }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate((text) => {
      const doc = new (globalThis as any).DOMParser().parseFromString(text, "image/svg+xml");
      return {
        ok: doc.getElementsByTagName("parsererror").length === 0,
        root: doc.documentElement.nodeName,
        mainSvg: doc.querySelectorAll(".main-svg").length,
        traces: doc.querySelectorAll("g.trace").length,
        paths: doc.querySelectorAll("path").length,
      };
    }, svg);
  } finally {
    await page.close();
  }
}

test("PNG export: valid signature, IHDR size = width·scale × height·scale, not blank", async () => {
  const figs = {
    spectrum: spectrumFigure(fx.spectra()),
    pareto: accuracyVsSpeedupFigure(fx.sweep(), { baselineAccuracy: 0.82 }),
    filters: filterGridFigure(fx.filters()),
  };
  for (const [name, fig] of Object.entries(figs)) {
    const path = join(dir, `${name}.png`);
    await exporter.export(fig, path, { width: 640, height: 400, scale: 1.5 });
    const png = readFileSync(path);
    assert.ok(isPng(png), `${name}: PNG signature`);
    assert.deepEqual(pngSize(png), { width: 960, height: 600 });
    assert.ok(greyVariance(decodePng(png)) > 50, `${name}: the image has content`);
  }
});

test("SVG export: parsable XML with plotly's main-svg and one trace group per trace", async () => {
  const fig = speedupVsRankFigure(fx.sweep());
  const path = join(dir, "speedup.svg");
  await exporter.export(fig, path, { width: 700, height: 450 });
  const svg = readFileSync(path, "utf8");
  assert.match(svg, /^<svg/);
  const info = await inspectSvg(svg);
  assert.equal(info.ok, true, "XML parses");
  assert.equal(info.root, "svg");
  assert.ok(info.mainSvg >= 1, 'class "main-svg"');
  assert.equal(info.traces, fig.data.length);
  assert.ok(info.paths > fig.data.length);
});

test("toImage returns PNG bytes / SVG text; layout size is the default size", async () => {
  const fig = trainingCurvesFigure(fx.runs());
  const png = await exporter.toImage({ ...fig, layout: { ...fig.layout, width: 500, height: 300 } }, "png", { scale: 1 });
  assert.deepEqual(pngSize(png), { width: 500, height: 300 });
  const svg = await exporter.toImage(fig, "svg", { width: 800, height: 420 });
  assert.match(svg, /width="800"/);
});

test("HTML export is standalone (plotly inlined) and its screenshot is not blank", async () => {
  const html = join(dir, "training.html");
  await exportFigure(trainingCurvesFigure(fx.runs()), html, { height: 460 });
  const text = readFileSync(html, "utf8");
  assert.ok(statSync(html).size > 3_000_000, "plotly bundle inlined");
  assert.doesNotMatch(text, /<script[^>]+src=/, "no external scripts");
  const shot = join(dir, "training-shot.png");
  await exporter.screenshot(html, shot, { width: 900, height: 560 });
  const img = decodePng(readFileSync(shot));
  assert.deepEqual([img.width, img.height], [900, 560]);
  assert.ok(greyVariance(img) > 50, "screenshot shows the figure");

  const blank = join(dir, "blank.html");
  writeFileSync(blank, "<!DOCTYPE html><html><body style='background:#fff'></body></html>");
  await exporter.screenshot(blank, join(dir, "blank.png"), { width: 300, height: 200 });
  assert.ok(greyVariance(decodePng(readFileSync(join(dir, "blank.png")))) < 1, "a blank page has ~0 variance");
});

test("one-shot exportFigure/screenshot, and clear errors", async () => {
  const path = join(dir, "one-shot.png");
  await exportFigure(spectrumFigure(fx.spectra()), path, { width: 300, height: 200, scale: 1 });
  assert.deepEqual(pngSize(readFileSync(path)), { width: 300, height: 200 });
  await screenshot(join(dir, "training.html"), join(dir, "again.png"), { width: 400, height: 300 });
  assert.deepEqual(pngSize(readFileSync(join(dir, "again.png"))), { width: 400, height: 300 });
  await assert.rejects(exporter.export(spectrumFigure(fx.spectra()), join(dir, "x.jpg")), /\.png, \.svg or \.html/);
  await assert.rejects(exporter.screenshot(join(dir, "missing.html"), join(dir, "m.png")), /no such HTML file/);
  await assert.rejects(launchChromium("/nonexistent/chromium"), /apt-get install -y --no-install-recommends chromium/);
  assert.equal(existsSync(join(dir, "x.jpg")), false);
});
