/** Input rows for the figure builders, and the plain plotly figure they return. */
import type { HistoryRow } from "../train/history";

/** One plotly trace; kept loose because plotly's schema is huge, but every trace names its type. */
export interface PlotlyTrace {
  type: string;
  [key: string]: unknown;
}

/** plotly layout object (title, axes, legend, annotations, …). */
export type PlotlyLayout = Record<string, unknown>;

/** A plain plotly figure: JSON-serialisable, rendered by `Plotly.newPlot(div, data, layout)`. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
}

/** Sweep rows are made by rankSweep; figures read them. */
export type { SweepRow } from "../experiments/rank-sweep";

/** A named training history, e.g. "baseline" and "low-rank K=16". */
export interface TrainingRun {
  name: string;
  history: HistoryRow[];
}

/** Singular values of one layer's (C·d)×(d·N) matrix, in any order (sorted descending when plotted). */
export interface Spectrum {
  layer: string;
  singularValues: ArrayLike<number>;
}

/** A conv kernel in HWIO layout: shape [kh, kw, inC, outC], values row-major. */
export interface Kernel4D {
  shape: readonly [number, number, number, number];
  values: ArrayLike<number>;
}

/** A layer's original kernel and its rank-K reconstruction (V·Hᵀ folded back to HWIO). */
export interface FilterComparison {
  layer: string;
  rank: number;
  original: Kernel4D;
  reconstructed: Kernel4D;
}
