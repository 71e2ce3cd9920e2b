import assert from "node:assert/strict";
import { test } from "node:test";
import { reportHtml } from "../../src/report/report-html";

test("reportHtml lists facts, tables and figures, escaping text", () => {
  const html = reportHtml({
    title: "Run <1>",
    facts: { backend: "tensorflow & friends" },
    tables: [{ title: "Summary", rows: [{ network: "baseline", acc: 81.234, n: 50000 }, { network: "x", acc: undefined, n: 3 }] }],
    figures: [{ title: "Spectra", basename: "figures/spectra", caption: "σ of each layer" }],
    notes: ["PNG export failed"],
  });
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<title>Run &lt;1&gt;<\/title>/);
  assert.match(html, /tensorflow &amp; friends/);
  assert.match(html, /<th>network<\/th><th>acc<\/th><th>n<\/th>/);
  assert.match(html, /<td>81.234<\/td>/);
  assert.match(html, /<td>50,000<\/td>/);
  assert.match(html, /<td>–<\/td>/, "a missing value shows as a dash");
  assert.match(html, /<img src="figures\/spectra.png"/);
  assert.match(html, /href="figures\/spectra.svg"/);
  assert.match(html, /href="figures\/spectra.html"/);
  assert.match(html, /<li>PNG export failed<\/li>/);
});
