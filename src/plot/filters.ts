import { escapeHtml } from "../util/html";
import { baseLayout } from "./theme";
import type { FilterComparison, Kernel4D, PlotlyFigure } from "./types";

export interface FilterGridOptions {
  /** Output filters to show (indices); default: the `count` filters of largest norm, in index order. */
  filters?: readonly number[];
  /** How many filters when `filters` is not given (default 8). */
  count?: number;
  /** Input channel shown per filter: an index, or "strongest" (largest-norm channel of each original filter, default). */
  channel?: number | "strongest";
  /** Add a third row with original − reconstructed (default true). */
  showDifference?: boolean;
  title?: string;
}

function at(k: Kernel4D, i: number, j: number, c: number, n: number): number {
  const [, kw, C, N] = k.shape;
  return k.values[((i * kw + j) * C + c) * N + n];
}

function checkKernel(k: Kernel4D, name: string): void {
  const [kh, kw, C, N] = k.shape;
  if (k.shape.length !== 4 || ![kh, kw, C, N].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`filterGridFigure: ${name} kernel shape must be [kh, kw, inC, outC] of positive integers, got [${k.shape.join(", ")}].`);
  }
  if (k.values.length !== kh * kw * C * N) {
    throw new Error(`filterGridFigure: ${name} kernel has ${k.values.length} values but shape [${k.shape.join(", ")}] needs ${kh * kw * C * N}.`);
  }
}

/** Frobenius norm of filter n (all taps, all or one input channel). */
function filterNorm(k: Kernel4D, n: number, c?: number): number {
  const [kh, kw, C] = k.shape;
  let s = 0;
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let cc = 0; cc < C; cc++) {
    if (c === undefined || c === cc) s += at(k, i, j, cc, n) ** 2;
  }
  return Math.sqrt(s);
}

/**
 * Original vs rank-K reconstructed filters as small images: one mosaic heatmap, a row per version
 * (original, rank K, difference), a column per output filter, on one symmetric colour scale.
 */
export function filterGridFigure(cmp: FilterComparison, opts: FilterGridOptions = {}): PlotlyFigure {
  checkKernel(cmp.original, "original");
  checkKernel(cmp.reconstructed, "reconstructed");
  if (cmp.original.shape.join() !== cmp.reconstructed.shape.join()) {
    throw new Error(`filterGridFigure: original [${cmp.original.shape.join(", ")}] and reconstructed [${cmp.reconstructed.shape.join(", ")}] shapes differ.`);
  }
  const [kh, kw, C, N] = cmp.original.shape;
  const count = Math.min(opts.count ?? 8, N);
  const filters = opts.filters
    ? [...opts.filters]
    : [...Array(N).keys()].sort((a, b) => filterNorm(cmp.original, b) - filterNorm(cmp.original, a)).slice(0, count).sort((a, b) => a - b);
  for (const n of filters) {
    if (!Number.isInteger(n) || n < 0 || n >= N) throw new Error(`filterGridFigure: filter index ${n} is outside 0..${N - 1}.`);
  }
  if (typeof opts.channel === "number" && !(Number.isInteger(opts.channel) && opts.channel >= 0 && opts.channel < C)) {
    throw new Error(`filterGridFigure: channel ${opts.channel} is outside 0..${C - 1}.`);
  }
  const channelOf = (n: number): number => {
    if (typeof opts.channel === "number") return opts.channel;
    let best = 0;
    for (let c = 1; c < C; c++) if (filterNorm(cmp.original, n, c) > filterNorm(cmp.original, n, best)) best = c;
    return best;
  };
  const channels = filters.map(channelOf);
  const versions: { label: string; value: (i: number, j: number, c: number, n: number) => number }[] = [
    { label: "original", value: (i, j, c, n) => at(cmp.original, i, j, c, n) },
    { label: `rank ${cmp.rank}`, value: (i, j, c, n) => at(cmp.reconstructed, i, j, c, n) },
  ];
  if (opts.showDifference ?? true) {
    versions.push({ label: "difference", value: (i, j, c, n) => at(cmp.original, i, j, c, n) - at(cmp.reconstructed, i, j, c, n) });
  }
  // Mosaic: cells of kh×kw separated by one empty (null) row/column.
  const width = filters.length * (kw + 1) - 1;
  const height = versions.length * (kh + 1) - 1;
  const z: (number | null)[][] = Array.from({ length: height }, () => new Array<number | null>(width).fill(null));
  const info: (string | null)[][] = Array.from({ length: height }, () => new Array<string | null>(width).fill(null));
  let extent = 0;
  versions.forEach((v, r) => {
    filters.forEach((n, f) => {
      const c = channels[f];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const val = v.value(i, j, c, n);
        z[r * (kh + 1) + i][f * (kw + 1) + j] = val;
        info[r * (kh + 1) + i][f * (kw + 1) + j] = `${v.label}<br>filter ${n}, input channel ${c}<br>tap (${i}, ${j})`;
        if (r < 2) extent = Math.max(extent, Math.abs(val));
      }
    });
  });
  extent = extent || 1;
  // Row labels and filter numbers as tick labels: they stay aligned whatever the figure size.
  const hidden = { showgrid: false, zeroline: false, ticks: "", showline: false, tickfont: { size: 13 } };
  const channelNote = typeof opts.channel === "number" ? `input channel ${opts.channel}` : "each filter's strongest input channel";
  const cell = Math.max(10, Math.min(36, Math.floor(620 / width)));
  return {
    data: [{
      type: "heatmap",
      z,
      customdata: info,
      hoverongaps: false,
      // Diverging: blue negative, white zero, red positive.
      colorscale: [[0, "#2166ac"], [0.25, "#67a9cf"], [0.5, "#f7f7f7"], [0.75, "#ef8a62"], [1, "#b2182b"]],
      zmin: -extent,
      zmax: extent,
      zmid: 0,
      xgap: 0.5,
      ygap: 0.5,
      colorbar: { title: { text: "weight", side: "right" }, thickness: 14, outlinewidth: 0, len: 0.9 },
      hovertemplate: "%{customdata}<br>w = %{z:.4f}<extra></extra>",
    }],
    layout: {
      ...baseLayout(
        opts.title ?? `${cmp.layer}: original vs rank-${cmp.rank} filters`,
        `${kh}×${kw} taps, ${C} input channels → ${N} filters; each image shows ${channelNote}; difference = original − rank ${cmp.rank}`,
      ),
      xaxis: {
        ...hidden, side: "top", range: [-0.5, width - 0.5], constrain: "domain",
        tickvals: filters.map((_, f) => f * (kw + 1) + (kw - 1) / 2), ticktext: filters.map((n) => `#${n}`),
        tickfont: { size: 12, color: "#6b7280" },
      },
      yaxis: {
        ...hidden, range: [height - 0.5, -0.5], scaleanchor: "x", scaleratio: 1, constrain: "domain",
        tickvals: versions.map((_, r) => r * (kh + 1) + (kh - 1) / 2), ticktext: versions.map((v) => `<b>${escapeHtml(v.label)}</b>`),
      },
      height: Math.round(150 + cell * (height + 2)),
      margin: { l: 110, r: 20, t: 120, b: 20 },
    },
  };
}
