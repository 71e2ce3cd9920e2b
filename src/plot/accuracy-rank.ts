import { groupByLayer } from "./group";
import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, rankAxis, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace, SweepRow } from "./types";

export interface AccuracyRankOptions {
  /** Test accuracy of the uncompressed network, drawn as a reference line. */
  baselineAccuracy?: number;
  layerOrder?: readonly string[];
  title?: string;
}

/** Test accuracy against rank K per layer: before fine-tuning (dashed) and after (solid). */
export function accuracyVsRankFigure(rows: readonly SweepRow[], opts: AccuracyRankOptions = {}): PlotlyFigure {
  requireNonEmpty(rows, "sweep rows", "accuracyVsRankFigure");
  if (!rows.some((r) => r.accuracyBefore !== undefined || r.accuracyAfter !== undefined)) {
    throw new Error("accuracyVsRankFigure: no row has accuracyBefore or accuracyAfter; evaluate the low-rank networks first.");
  }
  const colors = layerColors(rows.map((r) => r.layer), opts.layerOrder);
  const data: PlotlyTrace[] = [];
  const stages = [
    { key: "accuracyBefore", label: "before fine-tune", dash: "dash", symbol: "circle-open" },
    { key: "accuracyAfter", label: "after fine-tune", dash: "solid", symbol: "circle" },
  ] as const;
  for (const [layer, g] of groupByLayer(rows)) {
    for (const s of stages) {
      const pts = g.filter((r) => typeof r[s.key] === "number" && Number.isFinite(r[s.key]));
      if (pts.length === 0) continue;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${layer} · ${s.label}`,
        legendgroup: layer,
        x: pts.map((r) => r.rank),
        y: pts.map((r) => r[s.key]),
        line: { color: colors.get(layer), width: 2.5, dash: s.dash },
        marker: { size: 8, symbol: s.symbol, line: { width: 1.5, color: colors.get(layer) } },
        hovertemplate: `<b>${escapeHtml(layer)}</b> (${s.label})<br>K = %{x}<br>accuracy = %{y:.2%}<extra></extra>`,
      });
    }
  }
  const layout = {
    ...baseLayout(opts.title ?? "Test accuracy vs rank", "dashed: low-rank weights from the SVD only · solid: after fine-tuning"),
    xaxis: rankAxis(rows.map((r) => r.rank)),
    yaxis: axis("test accuracy", { percent: true }),
    shapes: [] as unknown[],
    annotations: [] as unknown[],
  };
  if (opts.baselineAccuracy !== undefined) {
    layout.shapes.push({
      type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: opts.baselineAccuracy, y1: opts.baselineAccuracy,
      line: { color: "#374151", width: 1.5, dash: "dot" },
    });
    layout.annotations.push({
      xref: "paper", x: 1, xanchor: "right", yref: "y", y: opts.baselineAccuracy, yanchor: "bottom",
      text: `original network ${(opts.baselineAccuracy * 100).toFixed(1)}%`, showarrow: false,
      font: { size: 12, color: "#374151" },
    });
  }
  return { data, layout };
}
