import { test } from "node:test";
import assert from "node:assert/strict";
import { figureDivHtml, figureTitle, scriptJson, standaloneHtml } from "../../src/plot/plotly-html";
import { show } from "../../src/plot/show";
import { spectrumFigure } from "../../src/plot/spectrum";
import type { PlotlyFigure } from "../../src/plot/types";
import * as fx from "./fixtures";

test("show outside a notebook prints a one-line note instead of throwing", () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    assert.equal(show(spectrumFigure(fx.spectra())), undefined);
  } finally {
    console.log = log;
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0], /"Singular-value spectrum per layer".*tslab notebook.*exportFigure/);
  assert.throws(() => show({} as PlotlyFigure), /expected a plotly figure/);
});

test("figure HTML: a sized div and a script that cannot be broken out of", () => {
  const fig: PlotlyFigure = { data: [{ type: "scatter", name: "</script><b>x", x: [1], y: [2] }], layout: { title: { text: "t" }, height: 333 } };
  const html = figureDivHtml(fig);
  assert.match(html, /<div id="lowrank-plot-[0-9a-f]{12}" class="lowrank-plot" style="width:100%;height:333px;"><\/div>/);
  assert.equal(html.match(/<\/script>/g)?.length, 1, "only the closing tag");
  assert.equal(JSON.parse(scriptJson("</script>\u2028")), "</script>\u2028");
  assert.notEqual(figureDivHtml(fig), html, "each div gets its own id");
  const page = standaloneHtml(fig);
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<title>t<\/title>/);
  assert.ok(page.includes("plotly.js v4"), "plotly inlined");
  assert.equal(figureTitle(spectrumFigure(fx.spectra())), "Singular-value spectrum per layer");
});
