import { escapeHtml } from "../util/html";
import { PALETTE, axis, baseLayout, requireFinite, requireNonEmpty } from "./theme";
import type { HistoryRow } from "../train/history";
import type { PlotlyFigure, PlotlyTrace, TrainingRun } from "./types";

export interface TrainingCurvesOptions {
  title?: string;
  /** Log y for the loss panel (default false). */
  logLoss?: boolean;
}

function isRuns(x: readonly HistoryRow[] | readonly TrainingRun[]): x is readonly TrainingRun[] {
  return x.length > 0 && "history" in x[0];
}

/** Loss (left) and accuracy (right) per epoch; train solid, test dashed, one colour per run. */
export function trainingCurvesFigure(input: readonly HistoryRow[] | readonly TrainingRun[], opts: TrainingCurvesOptions = {}): PlotlyFigure {
  requireNonEmpty(input, "history", "trainingCurvesFigure");
  const runs: readonly TrainingRun[] = isRuns(input) ? input : [{ name: "run", history: [...input] }];
  const single = runs.length === 1;
  const data: PlotlyTrace[] = [];
  const shown = new Set<string>();
  runs.forEach((run, k) => {
    requireNonEmpty(run.history, `epochs in run '${run.name}'`, "trainingCurvesFigure");
    const h = [...run.history].sort((a, b) => a.epoch - b.epoch);
    h.forEach((r) => {
      requireFinite(r.trainLoss, "trainLoss", `trainingCurvesFigure (run ${run.name}, epoch ${r.epoch})`);
      requireFinite(r.trainAccuracy, "trainAccuracy", `trainingCurvesFigure (run ${run.name}, epoch ${r.epoch})`);
    });
    const color = PALETTE[k % PALETTE.length];
    const epochs = h.map((r) => r.epoch);
    const timing = h.map((r) => [r.seconds, r.imagesPerSecond]);
    const prefix = single ? "" : `${run.name} · `;
    const who = single ? "" : `<b>${escapeHtml(run.name)}</b> `;
    const hoverTail = "<br>epoch %{x} · %{customdata[0]:.1f} s · %{customdata[1]:.0f} img/s<extra></extra>";
    const series = [
      { key: "trainLoss", label: "train", axes: ["x", "y"], dash: "solid", fmt: "loss = %{y:.4f}" },
      { key: "testLoss", label: "test", axes: ["x", "y"], dash: "dash", fmt: "loss = %{y:.4f}" },
      { key: "trainAccuracy", label: "train", axes: ["x2", "y2"], dash: "solid", fmt: "accuracy = %{y:.2%}" },
      { key: "testAccuracy", label: "test", axes: ["x2", "y2"], dash: "dash", fmt: "accuracy = %{y:.2%}" },
    ] as const;
    for (const s of series) {
      const y = h.map((r) => (typeof r[s.key] === "number" && Number.isFinite(r[s.key]) ? r[s.key] : null));
      if (y.every((v) => v === null)) continue;
      const group = `${run.name}-${s.label}`;
      data.push({
        type: "scatter",
        mode: h.length > 40 ? "lines" : "lines+markers",
        name: `${prefix}${s.label}`,
        legendgroup: group,
        // One legend entry per run and split, shared by both panels.
        showlegend: !shown.has(group),
        xaxis: s.axes[0],
        yaxis: s.axes[1],
        x: epochs,
        y,
        customdata: timing,
        line: { color, width: 2.5, dash: s.dash },
        marker: { size: 6, symbol: s.label === "test" ? "circle-open" : "circle" },
        hovertemplate: `${who}${s.label} ${s.fmt}${hoverTail}`,
      });
      shown.add(group);
    }
  });
  const title = (text: string, x: number) => ({
    text: `<b>${text}</b>`, xref: "paper", yref: "paper", x, y: 1.0, xanchor: "center", yanchor: "bottom",
    showarrow: false, font: { size: 15 },
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Training curves", "solid: training set · dashed: test set"),
      xaxis: { ...axis("epoch", { integer: true }), domain: [0, 0.45], anchor: "y" },
      yaxis: { ...axis(opts.logLoss ? "cross-entropy loss (log scale)" : "cross-entropy loss", { log: opts.logLoss, values: runs.flatMap((r) => r.history.flatMap((h) => [h.trainLoss, h.testLoss])) }), anchor: "x" },
      xaxis2: { ...axis("epoch", { integer: true }), domain: [0.55, 1], anchor: "y2" },
      yaxis2: { ...axis("accuracy", { percent: true }), anchor: "x2" },
      annotations: [title("Loss", 0.225), title("Accuracy", 0.775)],
      legend: { ...(baseLayout("").legend as object), orientation: "h", x: 0.5, xanchor: "center", y: -0.2, yanchor: "top" },
      margin: { l: 70, r: 30, t: 100, b: 90 },
    },
  };
}
