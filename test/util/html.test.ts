import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml } from "../../src/util/html";

test("escapeHtml escapes markup, ampersands and quotes (as a numeric reference plotly decodes)", () => {
  assert.equal(escapeHtml(`a<b> & "c"`), "a&lt;b&gt; &amp; &#34;c&#34;");
  assert.equal(escapeHtml("conv2 K=16 ×2"), "conv2 K=16 ×2");
});
