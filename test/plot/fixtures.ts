/** Realistic, deterministic inputs for the figure tests: a 4-layer CNN's sweep, spectra, history, filters. */
import { convCost, lowRankCost, type ConvSpec } from "../../src/lowrank/cost";
import { maxRank } from "../../src/lowrank/rank-bounds";
import type { HistoryRow } from "../../src/train/history";
import assert from "node:assert/strict";
import type { FilterComparison, PlotlyFigure, Spectrum, SweepRow, TrainingRun } from "../../src/plot/types";

/** Small seeded PRNG (mulberry32), so fixtures never change between runs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const LAYERS: Record<string, ConvSpec> = {
  conv1: { inH: 32, inW: 32, inC: 3, outC: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" },
  conv2: { inH: 32, inW: 32, inC: 32, outC: 64, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" },
  conv3: { inH: 16, inW: 16, inC: 64, outC: 128, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" },
  conv4: { inH: 8, inW: 8, inC: 128, outC: 128, kh: 3, kw: 3, strideH: 2, strideW: 2, padding: "same" },
};

export function spectra(): Spectrum[] {
  return Object.entries(LAYERS).map(([layer, s], li) => ({
    layer,
    singularValues: Array.from({ length: maxRank(s) }, (_, i) => 3 * Math.exp(-i / (4 + 6 * li)) + 0.02 * (1 + li)),
  }));
}

export function sweep(): SweepRow[] {
  const rand = rng(7);
  const rows: SweepRow[] = [];
  Object.entries(LAYERS).forEach(([layer, spec], li) => {
    for (const rank of [1, 2, 4, 8, 16, 32, 64]) {
      if (rank > maxRank(spec)) continue;
      const theoretical = convCost(spec).macs / lowRankCost(spec, rank).macs;
      const relError = Math.exp(-rank / (3 + 5 * li)) * 0.9;
      rows.push({
        layer,
        rank,
        relError,
        accuracyBefore: 0.82 - 0.6 * relError ** 1.5 - 0.01 * rand(),
        accuracyAfter: 0.82 - 0.15 * relError ** 2 - 0.005 * rand(),
        theoreticalSpeedup: theoretical,
        measuredSpeedup: theoretical * (0.45 + 0.3 * rand()),
      });
    }
  });
  return rows;
}

export function history(epochs = 12, seed = 3, scale = 1): HistoryRow[] {
  const rand = rng(seed);
  return Array.from({ length: epochs }, (_, e) => {
    const t = (e + 1) / epochs;
    return {
      epoch: e + 1,
      trainLoss: scale * (1.9 * Math.exp(-3 * t) + 0.25 + 0.02 * rand()),
      trainAccuracy: 0.35 + (0.6 / scale) * (1 - Math.exp(-3 * t)),
      testLoss: scale * (1.9 * Math.exp(-2.5 * t) + 0.45 + 0.04 * rand()),
      testAccuracy: 0.33 + (0.5 / scale) * (1 - Math.exp(-2.5 * t)),
      seconds: 40 + 3 * rand(),
      imagesPerSecond: 1200 + 50 * rand(),
    };
  });
}

export function runs(): TrainingRun[] {
  return [
    { name: "baseline", history: history(12, 3) },
    { name: "low-rank K=8", history: history(12, 5, 1.1) },
  ];
}

/** A 3×3 C→N kernel that is rank `rank` plus noise, and its exact rank-`rank` part as "reconstruction". */
export function filters(C = 3, N = 16, rank = 2): FilterComparison {
  const rand = rng(11);
  const d = 3;
  const V = Array.from({ length: C * d * rank }, () => rand() - 0.5);
  const H = Array.from({ length: N * d * rank }, () => rand() - 0.5);
  const reconstructed = new Float32Array(d * d * C * N);
  const original = new Float32Array(d * d * C * N);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < rank; k++) s += V[(c * d + i) * rank + k] * H[(n * d + j) * rank + k];
    const idx = ((i * d + j) * C + c) * N + n;
    reconstructed[idx] = s;
    original[idx] = s + 0.08 * (rand() - 0.5);
  }
  return {
    layer: "conv1",
    rank,
    original: { shape: [d, d, C, N], values: original },
    reconstructed: { shape: [d, d, C, N], values: reconstructed },
  };
}

/** Structural validity: JSON round-trip, typed traces, matching x/y lengths, a title, titled axes. */
export function assertValidFigure(fig: PlotlyFigure, opts: { titledAxes?: boolean } = {}): void {
  assert.deepEqual(JSON.parse(JSON.stringify(fig)), fig, "figure is plain JSON");
  assert.ok(fig.data.length > 0);
  for (const t of fig.data) {
    assert.equal(typeof t.type, "string");
    if (Array.isArray(t.x) && Array.isArray(t.y)) assert.equal(t.x.length, t.y.length, `trace ${String(t.name)}`);
  }
  assert.match(String((fig.layout.title as { text: string }).text), /\S/);
  if (opts.titledAxes === false) return;
  for (const [k, v] of Object.entries(fig.layout)) {
    if (/^[xy]axis\d*$/.test(k) && (v as { tickvals?: unknown }).tickvals === undefined) {
      assert.match(String((v as { title?: { text?: string } }).title?.text ?? ""), /\S/, `${k} has a title`);
    }
  }
}
