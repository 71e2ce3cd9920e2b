import { axis, baseLayout, requireNonEmpty } from "./theme";
import type { PlotlyFigure } from "./types";

/** One stage of a layer-by-layer fine-tune (fineTune's `stages` fit). Accuracies are fractions. */
export interface FineTuneStagePoint {
  /** Layers decomposed at this stage: one per layer-by-layer stage, all of them for the final fine-tune. */
  layers: readonly string[];
  accuracyBefore?: number;
  accuracyAfter?: number;
  /** x label; default the stage's layer, or "final fine-tune (all layers)" for a stage over several. */
  label?: string;
}

export interface FineTuneStagesOptions {
  /** Test accuracy of the dense network, drawn as a dashed reference line. */
  baselineAccuracy?: number;
  title?: string;
}

const percent = (v: number | undefined): number | null => (typeof v === "number" && Number.isFinite(v) ? 100 * v : null);

/** Accuracy through the stages of a layer-by-layer fine-tune: right after decomposing (dotted), after its fine-tune (solid). */
export function fineTuneStagesFigure(stages: readonly FineTuneStagePoint[], opts: FineTuneStagesOptions = {}): PlotlyFigure {
  requireNonEmpty(stages, "stages", "fineTuneStagesFigure");
  const x = stages.map((s) => s.label ?? (s.layers.length === 1 ? s.layers[0] : "final fine-tune (all layers)"));
  const base = opts.baselineAccuracy;
  return {
    data: [
      {
        type: "scatter", mode: "lines+markers", name: "after decomposing", line: { dash: "dot" },
        x, y: stages.map((s) => percent(s.accuracyBefore)),
      },
      {
        type: "scatter", mode: "lines+markers", name: "after its fine-tune", line: { width: 3 },
        x, y: stages.map((s) => percent(s.accuracyAfter)),
      },
    ],
    layout: {
      ...baseLayout(opts.title ?? "Layer by layer: accuracy through the stages", "dotted: right after decomposing a layer · solid: after its short fine-tune"),
      xaxis: { ...axis("stage"), type: "category" },
      yaxis: { ...axis("test accuracy (%)"), hoverformat: ".2f" },
      ...(base !== undefined
        ? {
          shapes: [{
            type: "line", xref: "paper", x0: 0, x1: 1, y0: 100 * base, y1: 100 * base,
            line: { dash: "dash", color: "#6b7280" },
          }],
          annotations: [{
            xref: "paper", x: 1, y: 100 * base, text: "baseline", showarrow: false, yanchor: "bottom", xanchor: "right",
          }],
        }
        : {}),
      height: 440,
    },
  };
}
