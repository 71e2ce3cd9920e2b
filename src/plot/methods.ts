import type { FitTrace, MethodErrorRow } from "../experiments/methods-compared";
import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, rankAxis, requireFinite, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace } from "./types";

const DASHES = ["solid", "dot", "dash", "dashdot"];

/** Relative reconstruction error against K, one colour per layer and one line style per method. */
export function methodErrorFigure(rows: readonly MethodErrorRow[], opts: { title?: string; layerOrder?: readonly string[] } = {}): PlotlyFigure {
  requireNonEmpty(rows, "method rows", "methodErrorFigure");
  rows.forEach((r) => requireFinite(r.relError, "relError", `methodErrorFigure (${r.method}, layer ${r.layer}, rank ${r.rank})`));
  const colors = layerColors(rows.map((r) => r.layer), opts.layerOrder);
  const methods = [...new Set(rows.map((r) => r.method))];
  const data: PlotlyTrace[] = [];
  for (const layer of colors.keys()) {
    methods.forEach((method, m) => {
      const g = rows.filter((r) => r.layer === layer && r.method === method).sort((a, b) => a.rank - b.rank);
      if (!g.length) return;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${layer} · ${method}`,
        legendgroup: layer,
        x: g.map((r) => r.rank),
        y: g.map((r) => r.relError),
        line: { color: colors.get(layer), width: 2.5, dash: DASHES[m % DASHES.length] },
        marker: { size: 7, symbol: m === 0 ? "circle" : "diamond-open" },
        hovertemplate: `<b>${escapeHtml(layer)}</b> ${escapeHtml(method)}<br>K = %{x}<br>relative error = %{y:.4%}<extra></extra>`,
      });
    });
  }
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Reconstruction error vs rank, by method", `line style: ${methods.map((m, i) => `${escapeHtml(m)} ${DASHES[i % DASHES.length]}`).join(" · ")}`),
      xaxis: rankAxis(rows.map((r) => r.rank)),
      yaxis: axis("‖W − W̃‖ / ‖W‖", { percent: true }),
    },
  };
}

/**
 * How an iterative fit approaches the closed form's optimum: the excess squared error over Theorem 1's,
 * relative to ‖W‖², per sweep or per second (log scale; excess below 1e-16 is drawn at 1e-16).
 */
export function fitTraceFigure(fit: FitTrace, opts: { x?: "iteration" | "seconds"; title?: string } = {}): PlotlyFigure {
  requireNonEmpty(fit.trace, "fit iterations", "fitTraceFigure");
  const xKey = opts.x ?? "iteration";
  const excess = fit.trace.map((t) => Math.max((t.residual - fit.optimum) / fit.energy, 1e-16));
  return {
    data: [
      {
        type: "scatter",
        mode: "lines+markers",
        name: `jaderberg (ALS), K = ${fit.rank}`,
        x: fit.trace.map((t) => t[xKey]),
        y: excess,
        line: { width: 2.5 },
        marker: { size: 5 },
        hovertemplate: `${xKey} %{x}<br>excess = %{y:.2e}<extra></extra>`,
      },
    ],
    layout: {
      ...baseLayout(opts.title ?? `Iterative fit of ${fit.layer} vs the closed form`, "(‖W − W̃‖² − Σ<sub>t>K</sub> σ<sub>t</sub>²) / ‖W‖²: how far above Theorem 1's optimum, never below it"),
      xaxis: axis(xKey === "iteration" ? "ALS sweep" : "seconds"),
      yaxis: axis("excess error over the optimum (log)", { log: true, values: excess }),
      showlegend: false,
    },
  };
}
