import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace, SweepRow } from "./types";

/**
 * Indices of the points no other point beats on both x and y (both maximised), sorted by ascending x.
 * Of exact duplicates only one is kept.
 */
export function paretoFront(points: readonly { x: number; y: number }[]): number[] {
  const order = points
    .map((p, i) => i)
    .filter((i) => Number.isFinite(points[i].x) && Number.isFinite(points[i].y))
    .sort((a, b) => points[b].x - points[a].x || points[b].y - points[a].y);
  const front: number[] = [];
  let bestY = -Infinity;
  for (const i of order) {
    if (points[i].y > bestY) {
      front.push(i);
      bestY = points[i].y;
    }
  }
  return front.reverse();
}

export interface AccuracySpeedupOptions {
  /** Which speedup to put on x (default "measured"). */
  speedup?: "measured" | "theoretical";
  /** Which accuracy to put on y (default "after" when any row has it, else "before"). */
  accuracy?: "after" | "before";
  /** Test accuracy of the uncompressed network: a reference point at 1×. */
  baselineAccuracy?: number;
  layerOrder?: readonly string[];
  title?: string;
}

/** Accuracy against speedup for every (layer, rank), with the Pareto front (best trade-offs) highlighted. */
export function accuracyVsSpeedupFigure(rows: readonly SweepRow[], opts: AccuracySpeedupOptions = {}): PlotlyFigure {
  requireNonEmpty(rows, "sweep rows", "accuracyVsSpeedupFigure");
  const speedKey = opts.speedup === "theoretical" ? "theoreticalSpeedup" : "measuredSpeedup";
  const accKey = (opts.accuracy ?? (rows.some((r) => r.accuracyAfter !== undefined) ? "after" : "before")) === "after" ? "accuracyAfter" : "accuracyBefore";
  const usable = rows.filter((r) => Number.isFinite(r[speedKey]) && Number.isFinite(r[accKey]));
  if (usable.length === 0) {
    throw new Error(`accuracyVsSpeedupFigure: no row has both ${speedKey} and ${accKey}; measure speedups/evaluate first, or pick speedup: "theoretical".`);
  }
  const pts = usable.map((r) => ({ x: r[speedKey] as number, y: r[accKey] as number }));
  const colors = layerColors(usable.map((r) => r.layer), opts.layerOrder);
  const label = (r: SweepRow) => `${r.layer} K=${r.rank}`;
  const data: PlotlyTrace[] = [];
  for (const layer of colors.keys()) {
    const g = usable.filter((r) => r.layer === layer);
    data.push({
      type: "scatter",
      mode: "markers",
      name: layer,
      x: g.map((r) => r[speedKey]),
      y: g.map((r) => r[accKey]),
      text: g.map((r) => `K = ${r.rank}`),
      marker: { color: colors.get(layer), size: 10, opacity: 0.85, line: { color: "#ffffff", width: 1 } },
      hovertemplate: `<b>${escapeHtml(layer)}</b> %{text}<br>speedup = %{x:.2f}×<br>accuracy = %{y:.2%}<extra></extra>`,
    });
  }
  const front = paretoFront(pts).map((i) => usable[i]);
  data.push({
    type: "scatter",
    mode: "lines+markers+text",
    name: "Pareto front",
    x: front.map((r) => r[speedKey]),
    y: front.map((r) => r[accKey]),
    text: front.map(label),
    // Labels go right of each point, except near the right edge where they would be cut off.
    textposition: front.map((r, i) => (i >= front.length - 2 && front.length > 2 ? "bottom left" : "top right")),
    textfont: { size: 11, color: "#374151" },
    line: { color: "#111827", width: 2, shape: "linear" },
    marker: { size: 16, color: "rgba(0,0,0,0)", line: { color: "#111827", width: 2 } },
    hovertemplate: "<b>Pareto-optimal</b><br>%{text}<br>speedup = %{x:.2f}×<br>accuracy = %{y:.2%}<extra></extra>",
  });
  if (opts.baselineAccuracy !== undefined) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: "original network",
      x: [1],
      y: [opts.baselineAccuracy],
      marker: { symbol: "star", size: 16, color: "#111827" },
      hovertemplate: "<b>original network</b><br>accuracy = %{y:.2%}<extra></extra>",
    });
  }
  const kind = speedKey === "measuredSpeedup" ? "measured" : "theoretical";
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? `Accuracy vs ${kind} speedup`, `each point: one layer at one rank K (${accKey === "accuracyAfter" ? "after" : "before"} fine-tuning); ringed: Pareto front`),
      xaxis: axis(`${kind} speedup (log scale)`, { log: true, values: [...pts.map((p) => p.x), ...(opts.baselineAccuracy !== undefined ? [1] : [])], suffix: "×" }),
      yaxis: axis("test accuracy", { percent: true }),
    },
  };
}
