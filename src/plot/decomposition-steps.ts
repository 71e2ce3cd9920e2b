import { axis, baseLayout, requireFinite, requireNonEmpty } from "./theme";
import type { PlotlyFigure } from "./types";

/** The network after one more layer was decomposed (or the baseline first). Accuracy is a fraction. */
export interface DecompositionStep {
  step: string;
  accuracy: number;
}

export interface DecompositionStepsOptions {
  title?: string;
  /** The per-layer theoretical speed-up target, named in the subtitle. */
  speedup?: number;
}

/** Test accuracy as the layers are decomposed one by one, without fine-tuning: one point per step. */
export function decompositionStepsFigure(steps: readonly DecompositionStep[], opts: DecompositionStepsOptions = {}): PlotlyFigure {
  requireNonEmpty(steps, "steps", "decompositionStepsFigure");
  const y = steps.map((s) => 100 * requireFinite(s.accuracy, "accuracy", `decompositionStepsFigure (step '${s.step}')`));
  const subtitle = opts.speedup !== undefined ? `${opts.speedup}× theoretical speed-up each, no fine-tuning` : "no fine-tuning";
  return {
    data: [{
      type: "scatter",
      mode: "lines+markers",
      x: steps.map((s) => s.step),
      y,
      name: "test accuracy",
      line: { width: 3 },
    }],
    layout: {
      ...baseLayout(opts.title ?? "Accuracy as the layers are decomposed one by one", subtitle),
      xaxis: { ...axis("layers decomposed so far"), type: "category" },
      yaxis: { ...axis("test accuracy (%)"), rangemode: "tozero", hoverformat: ".2f" },
      height: 440,
    },
  };
}
