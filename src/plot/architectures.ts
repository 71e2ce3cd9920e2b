import type { ArchitectureRow } from "../experiments/across-architectures";
import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, requireFinite, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace } from "./types";

/**
 * Test accuracy against speed-up, one line per architecture from its dense net (1×) through its
 * decomposed + fine-tuned ones: measured forward speed-up by default, or the conv stack's theoretical one.
 */
export function architecturesFigure(rows: readonly ArchitectureRow[], opts: { speedup?: "measured" | "theoretical"; title?: string } = {}): PlotlyFigure {
  requireNonEmpty(rows, "architecture rows", "architecturesFigure");
  const key = opts.speedup === "theoretical" ? "convSpeedupTheoretical" : "modelSpeedupMeasured";
  rows.forEach((r) => {
    requireFinite(r[key], key, `architecturesFigure (${r.model}, ${r.network})`);
    requireFinite(r.testAccuracy, "testAccuracy", `architecturesFigure (${r.model}, ${r.network})`);
  });
  const colors = layerColors(rows.map((r) => r.model), [...new Set(rows.map((r) => r.model))]);
  const data: PlotlyTrace[] = [];
  for (const model of colors.keys()) {
    const g = rows.filter((r) => r.model === model).sort((a, b) => a.target - b.target);
    data.push({
      type: "scatter",
      mode: "lines+markers+text",
      name: model,
      x: g.map((r) => r[key]),
      y: g.map((r) => r.testAccuracy),
      text: g.map((r) => (r.target === 1 ? "dense" : `${r.target}×`)),
      textposition: "top center",
      line: { color: colors.get(model), width: 2.5 },
      marker: { size: 9, color: colors.get(model) },
      hovertemplate: `<b>${escapeHtml(model)}</b> %{text}<br>speed-up = %{x:.2f}×<br>accuracy = %{y:.2%}<extra></extra>`,
    });
  }
  const what = key === "modelSpeedupMeasured" ? "measured forward speed-up (deploy form)" : "theoretical conv speed-up (multiply-adds)";
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Decompose + fine-tune across architectures", "each line: dense → decomposed at each target, fine-tuned"),
      xaxis: axis(what),
      yaxis: axis("test accuracy", { percent: true }),
    },
  };
}
