/** Input rows for the figure builders, and the plain plotly figure they return. */

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

/** One (layer, rank) point of a rank sweep. Accuracies are fractions in [0, 1]. */
export interface SweepRow {
  layer: string;
  rank: number;
  /** ‖W − W_K‖_F / ‖W‖_F of the layer's kernel. */
  relError: number;
  /** Test accuracy with the layer replaced by its rank-K pair, before fine-tuning. */
  accuracyBefore?: number;
  /** Test accuracy after fine-tuning the low-rank network. */
  accuracyAfter?: number;
  /** MACs(original) / MACs(V/H pair). */
  theoreticalSpeedup: number;
  /** time(original) / time(V/H pair), forward pass. */
  measuredSpeedup?: number;
}

/** One epoch of training. Accuracies are fractions in [0, 1]. */
export interface HistoryRow {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  seconds: number;
  imagesPerSecond: number;
}

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
