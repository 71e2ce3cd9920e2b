import { escapeHtml } from "../util/html";
import type { PlotlyLayout } from "./types";

/** Colour-blind-friendly categorical palette (Vega's "tableau10"). */
export const PALETTE: readonly string[] = [
  "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
  "#B279A2", "#EECA3B", "#FF9DA6", "#9D755D", "#BAB0AC",
];

export const FONT_FAMILY = "Inter, 'Helvetica Neue', Helvetica, Arial, sans-serif";
const INK = "#1f2937";
const MUTED = "#6b7280";
const GRID = "#e5e7eb";

/** Layer names in natural order ("conv2" before "conv10"). */
export function naturalSort(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/**
 * One colour per layer. Pass the model's full layer list as `order` to keep colours identical across
 * figures that show different subsets; otherwise the layers seen are naturally sorted.
 */
export function layerColors(layers: Iterable<string>, order?: readonly string[]): Map<string, string> {
  const seen = naturalSort(layers);
  const ranked = order ? [...order, ...seen.filter((l) => !order.includes(l))] : seen;
  return new Map(seen.map((l) => [l, PALETTE[ranked.indexOf(l) % PALETTE.length]]));
}

export interface AxisOptions {
  log?: boolean;
  /** For log axes: the plotted values, to place readable 1-2-5 ticks instead of plotly's crowded minor digits. */
  values?: readonly (number | null | undefined)[];
  /** Appended to log tick labels, e.g. "×". */
  suffix?: string;
  /** Show as percent (values are fractions). */
  percent?: boolean;
  range?: [number, number];
  /** Integer-only ticks (ranks, epochs). */
  integer?: boolean;
}

/** A styled cartesian axis with a title (put the unit in it, e.g. "time (ms)"). */
export function axis(title: string, opts: AxisOptions = {}): Record<string, unknown> {
  const a: Record<string, unknown> = {
    title: { text: title, font: { size: 15, color: INK }, standoff: 10 },
    type: opts.log ? "log" : "linear",
    showgrid: true,
    gridcolor: GRID,
    zeroline: false,
    showline: true,
    linecolor: "#9ca3af",
    ticks: "outside",
    tickcolor: "#9ca3af",
    tickfont: { size: 13, color: MUTED },
    automargin: true,
  };
  if (opts.log) {
    a.exponentformat = "power";
    const ticks = opts.values ? logTicks(opts.values, opts.suffix) : undefined;
    if (ticks) Object.assign(a, ticks);
  }
  if (opts.percent) a.tickformat = ".0%";
  if (opts.range) a.range = opts.range;
  if (opts.integer && !opts.log) a.tickformat = "d";
  return a;
}

/**
 * Shared look: title (+ optional grey subtitle), readable fonts, white background, legend on the right.
 * `title` is escaped; `subtitle` may use plotly's HTML subset (<sub>, <i>…): escape names put into it.
 */
export function baseLayout(title: string, subtitle?: string): PlotlyLayout {
  return {
    title: {
      text: `<b>${escapeHtml(title)}</b>`,
      ...(subtitle ? { subtitle: { text: subtitle, font: { size: 13, color: MUTED } } } : {}),
      x: 0.01,
      xanchor: "left",
      font: { size: 19, color: INK },
    },
    font: { family: FONT_FAMILY, size: 14, color: INK },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin: { l: 70, r: 30, t: subtitle ? 90 : 70, b: 60 },
    legend: { bgcolor: "rgba(255,255,255,0.85)", bordercolor: GRID, borderwidth: 1, font: { size: 13 } },
    hoverlabel: { font: { family: FONT_FAMILY, size: 13 } },
    hovermode: "closest",
    colorway: [...PALETTE],
  };
}

/** Throw a clear error for empty input instead of drawing an empty chart. */
export function requireNonEmpty(rows: readonly unknown[], what: string, figure: string): void {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`${figure}: no ${what} given; pass at least one row (did the sweep/training run produce any?).`);
  }
}

/** Throw when a required number is missing or not finite, naming the row. */
export function requireFinite(value: unknown, field: string, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${where}: '${field}' must be a finite number, got ${String(value)}.`);
  }
  return value;
}

/** Rank (K) axis: log₂-spaced with the swept ranks as ticks when they span ≥ 8×, else linear. */
export function rankAxis(ranks: readonly number[], title = "rank K", log?: boolean): Record<string, unknown> {
  const unique = [...new Set(ranks)].sort((a, b) => a - b);
  const useLog = log ?? (unique[0] > 0 && unique[unique.length - 1] / unique[0] >= 8);
  const a = axis(title, { log: useLog, integer: true });
  if (useLog && unique.length <= 16) {
    a.tickvals = unique;
    a.ticktext = unique.map(String);
  }
  return a;
}

/** Compact number for a tick label: 0.05, 0.2, 1, 20, 500, 2k, 1e-4. */
export function tickLabel(v: number): string {
  if (v >= 1000) return v % 1000 === 0 && v < 1e6 ? `${v / 1000}k` : v.toExponential(0).replace("+", "");
  if (v >= 1e-3) return String(Number(v.toPrecision(3)));
  return v.toExponential(0);
}

/**
 * Tick values for a log axis covering `values`: 1-2-5 per decade up to 2 decades, 1-3 up to 4,
 * then powers of ten only. Undefined when there is no positive value.
 */
export function logTicks(values: readonly (number | null | undefined)[], suffix = ""): { tickvals: number[]; ticktext: string[] } | undefined {
  const pos = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0);
  if (pos.length === 0) return undefined;
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.ceil(Math.log10(Math.max(...pos)));
  const decades = Math.max(1, hi - lo);
  const mantissas = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  const min = Math.min(...pos) / 1.0001;
  const max = Math.max(...pos) * 1.0001;
  const all: number[] = [];
  for (let e = lo; e <= hi; e++) for (const m of mantissas) all.push(Number((m * 10 ** e).toPrecision(3)));
  // Keep ticks inside the data range plus one on each side, so the axis ends are labelled.
  const inside = all.filter((v) => v >= min && v <= max);
  const below = all.filter((v) => v < min).pop();
  const above = all.find((v) => v > max);
  const tickvals = [...(below !== undefined ? [below] : []), ...inside, ...(above !== undefined ? [above] : [])];
  return { tickvals, ticktext: tickvals.map((v) => tickLabel(v) + suffix) };
}
