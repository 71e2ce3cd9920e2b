import { test } from "node:test";
import assert from "node:assert/strict";
import { channelMeanStd } from "../../src/data/stats";
import { createRng } from "../../src/data/prng";

test("channelMeanStd matches a direct computation on random images", () => {
  const rng = createRng(4);
  const n = 20;
  const px = Uint8Array.from({ length: n * 3072 }, (_, i) => (i % 3072 < 1024 ? rng.int(256) : i % 3072 < 2048 ? rng.int(100) : 77));
  const { mean, std } = channelMeanStd(px);
  for (let c = 0; c < 3; c++) {
    const values: number[] = [];
    for (let k = 0; k < n; k++) for (let p = 0; p < 1024; p++) values.push(px[k * 3072 + c * 1024 + p]);
    const m = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
    assert.ok(Math.abs(mean[c] - m) < 1e-9, `mean ${c}`);
    assert.ok(Math.abs(std[c] - sd) < 1e-9, `std ${c}`);
  }
  assert.equal(std[2], 0);
  assert.equal(mean[2], 77);
});

test("channelMeanStd refuses partial images", () => {
  assert.throws(() => channelMeanStd(new Uint8Array(3000)), /multiple of 3072 bytes\), got 3000 bytes/);
});
