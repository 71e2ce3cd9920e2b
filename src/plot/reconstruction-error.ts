import { groupByLayer } from "./group";
import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, rankAxis, requireFinite, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace, SweepRow } from "./types";

export interface ReconstructionErrorOptions {
  /** Log y axis (default false: errors are fractions in [0, 1]). */
  logY?: boolean;
  layerOrder?: readonly string[];
  title?: string;
}

/** Relative reconstruction error ‖W − W_K‖/‖W‖ of each layer's kernel against the rank K. */
export function reconstructionErrorFigure(rows: readonly SweepRow[], opts: ReconstructionErrorOptions = {}): PlotlyFigure {
  requireNonEmpty(rows, "sweep rows", "reconstructionErrorFigure");
  rows.forEach((r) => requireFinite(r.relError, "relError", `reconstructionErrorFigure (layer ${r.layer}, rank ${r.rank})`));
  const colors = layerColors(rows.map((r) => r.layer), opts.layerOrder);
  const data: PlotlyTrace[] = [...groupByLayer(rows)].map(([layer, g]) => ({
    type: "scatter",
    mode: "lines+markers",
    name: layer,
    x: g.map((r) => r.rank),
    y: g.map((r) => r.relError),
    line: { color: colors.get(layer), width: 2.5 },
    marker: { size: 8, line: { color: "#ffffff", width: 1 } },
    hovertemplate: `<b>${escapeHtml(layer)}</b><br>K = %{x}<br>relative error = %{y:.2%}<extra></extra>`,
  }));
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Kernel reconstruction error vs rank", "‖W − W<sub>K</sub>‖<sub>F</sub> / ‖W‖<sub>F</sub> for the optimal vertical/horizontal pair of rank K"),
      xaxis: rankAxis(rows.map((r) => r.rank)),
      yaxis: opts.logY ? axis("relative error (log scale)", { log: true, values: rows.map((r) => r.relError) }) : axis("relative error", { percent: true, range: [0, Math.max(0.01, ...rows.map((r) => r.relError)) * 1.05] }),
    },
  };
}
