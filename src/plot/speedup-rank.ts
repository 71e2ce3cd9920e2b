import { groupByLayer } from "./group";
import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, rankAxis, requireFinite, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace, SweepRow } from "./types";

export interface SpeedupRankOptions {
  /** Log y axis (default true: speedups are ratios). */
  logY?: boolean;
  /** Backend/machine that produced the measured speedups, shown in the subtitle. */
  measuredOn?: string;
  layerOrder?: readonly string[];
  title?: string;
}

/** Speedup of each V/H pair over its original conv against K: theoretical (MACs, dashed) and measured (solid). */
export function speedupVsRankFigure(rows: readonly SweepRow[], opts: SpeedupRankOptions = {}): PlotlyFigure {
  requireNonEmpty(rows, "sweep rows", "speedupVsRankFigure");
  rows.forEach((r) => requireFinite(r.theoreticalSpeedup, "theoreticalSpeedup", `speedupVsRankFigure (layer ${r.layer}, rank ${r.rank})`));
  const colors = layerColors(rows.map((r) => r.layer), opts.layerOrder);
  const data: PlotlyTrace[] = [];
  for (const [layer, g] of groupByLayer(rows)) {
    const color = colors.get(layer);
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${layer} · theoretical`,
      legendgroup: layer,
      x: g.map((r) => r.rank),
      y: g.map((r) => r.theoreticalSpeedup),
      line: { color, width: 2, dash: "dash" },
      hovertemplate: `<b>${escapeHtml(layer)}</b> theoretical<br>K = %{x}<br>speedup = %{y:.2f}×<extra></extra>`,
    });
    const measured = g.filter((r) => typeof r.measuredSpeedup === "number" && Number.isFinite(r.measuredSpeedup));
    if (measured.length === 0) continue;
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: `${layer} · measured`,
      legendgroup: layer,
      x: measured.map((r) => r.rank),
      y: measured.map((r) => r.measuredSpeedup),
      line: { color, width: 2.5 },
      marker: { size: 8, line: { color: "#ffffff", width: 1 } },
      hovertemplate: `<b>${escapeHtml(layer)}</b> measured<br>K = %{x}<br>speedup = %{y:.2f}×<extra></extra>`,
    });
  }
  const subtitle = `dashed: multiply-add ratio · solid: measured forward time${opts.measuredOn ? ` (${escapeHtml(opts.measuredOn)})` : ""}`;
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Speedup of the low-rank pair vs rank", subtitle),
      xaxis: rankAxis(rows.map((r) => r.rank)),
      yaxis: axis("speedup over original conv (×)", {
        log: opts.logY ?? true,
        values: [1, ...rows.flatMap((r) => [r.theoreticalSpeedup, r.measuredSpeedup])],
        suffix: "×",
      }),
      shapes: [{
        type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: 1, y1: 1,
        line: { color: "#9ca3af", width: 1.5, dash: "dot" },
      }],
    },
  };
}
