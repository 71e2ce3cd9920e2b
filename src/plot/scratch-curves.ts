import { SCRATCH_ARMS, type ScratchRow } from "../experiments/from-scratch-compared";
import { escapeHtml } from "../util/html";
import { PALETTE, axis, baseLayout, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace } from "./types";

/** Mean over seeds of the test accuracy at each epoch (seeds that stopped earlier drop out), per arm. */
export function meanCurve(rows: readonly ScratchRow[]): { epoch: number; mean: number; seeds: number }[] {
  const longest = Math.max(0, ...rows.map((r) => r.testAccuracyByEpoch.length));
  const out: { epoch: number; mean: number; seeds: number }[] = [];
  for (let e = 0; e < longest; e++) {
    const v = rows.map((r) => r.testAccuracyByEpoch[e]).filter((x): x is number => Number.isFinite(x));
    if (v.length) out.push({ epoch: e + 1, mean: v.reduce((a, b) => a + b, 0) / v.length, seeds: v.length });
  }
  return out;
}

/**
 * The from-scratch comparison's training curves for one model: test accuracy per epoch, mean over seeds,
 * one line per arm. A hybrid's dense epochs are dotted; its low-rank epochs solid like the other arms'.
 */
export function scratchCurvesFigure(rows: readonly ScratchRow[], opts: { model?: string; title?: string } = {}): PlotlyFigure {
  requireNonEmpty(rows, "from-scratch rows", "scratchCurvesFigure");
  const model = opts.model ?? rows[0].model;
  const mine = rows.filter((r) => r.model === model);
  requireNonEmpty(mine, `rows of model '${model}'`, "scratchCurvesFigure");
  const data: PlotlyTrace[] = [];
  SCRATCH_ARMS.forEach((arm, k) => {
    const runs = mine.filter((r) => r.arm === arm);
    if (!runs.length) return;
    const curve = meanCurve(runs);
    const from = Math.min(...runs.map((r) => r.lowRankFrom ?? 1));
    const color = PALETTE[k % PALETTE.length];
    const part = (keep: (epoch: number) => boolean, dash: string, name: string, showlegend: boolean) => {
      const pts = curve.filter((p) => keep(p.epoch));
      if (!pts.length) return;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name,
        legendgroup: arm,
        showlegend,
        x: pts.map((p) => p.epoch),
        y: pts.map((p) => p.mean),
        customdata: pts.map((p) => p.seeds),
        line: { color, width: 2.5, dash },
        marker: { size: 5, color },
        hovertemplate: `<b>${escapeHtml(name)}</b><br>epoch %{x}: %{y:.2%} (mean of %{customdata} seed(s))<extra></extra>`,
      });
    };
    // The dense phase ends where the low-rank one starts, so the dotted line runs up to the switch.
    if (from > 1) part((e) => e <= from, "dot", `${arm} (dense phase)`, true);
    part((e) => e >= from, "solid", arm, true);
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? `Trained from scratch: ${model}`, "test accuracy per epoch, mean over seeds; every low-rank arm at the same multiply-adds"),
      xaxis: axis("epoch", { integer: true }),
      yaxis: axis("test accuracy", { percent: true }),
    },
  };
}
