import { escapeHtml } from "../util/html";
import { axis, baseLayout, layerColors, requireNonEmpty } from "./theme";
import type { PlotlyFigure, PlotlyTrace, Spectrum } from "./types";

export interface SpectrumOptions {
  /** Divide by the largest singular value so layers of different scale compare (default true). */
  normalize?: boolean;
  /** Full layer list, for colours consistent with the other figures. */
  layerOrder?: readonly string[];
  title?: string;
}

/** Singular-value spectrum per layer, log y: how fast σᵢ decays says how well low rank can work. */
export function spectrumFigure(spectra: readonly Spectrum[], opts: SpectrumOptions = {}): PlotlyFigure {
  requireNonEmpty(spectra, "spectra", "spectrumFigure");
  const normalize = opts.normalize ?? true;
  const colors = layerColors(spectra.map((s) => s.layer), opts.layerOrder);
  const data: PlotlyTrace[] = spectra.map((s) => {
    const sigma = Array.from(s.singularValues);
    if (sigma.length === 0) throw new Error(`spectrumFigure: layer '${s.layer}' has no singular values.`);
    if (sigma.some((v) => !Number.isFinite(v) || v < 0)) {
      throw new Error(`spectrumFigure: layer '${s.layer}' has negative or non-finite singular values; pass the SVD's σ.`);
    }
    sigma.sort((a, b) => b - a);
    const top = sigma[0] > 0 ? sigma[0] : 1;
    const total = sigma.reduce((acc, v) => acc + v * v, 0) || 1;
    let kept = 0;
    const energy = sigma.map((v) => (kept += v * v) / total);
    return {
      type: "scatter",
      mode: sigma.length > 60 ? "lines" : "lines+markers",
      name: s.layer,
      x: sigma.map((_, i) => i + 1),
      // Exact zeros have no place on a log axis: leave a gap instead.
      y: sigma.map((v) => (v > 0 ? (normalize ? v / top : v) : null)),
      customdata: energy,
      line: { color: colors.get(s.layer), width: 2.5 },
      marker: { size: 5 },
      hovertemplate:
        `<b>${escapeHtml(s.layer)}</b><br>i = %{x}<br>σ${normalize ? "ᵢ/σ₁" : "ᵢ"} = %{y:.3g}` +
        "<br>energy in first i: %{customdata:.1%}<extra></extra>",
    };
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Singular-value spectrum per layer", "SVD of the (C·d)×(d·N) kernel matrix; a fast decay means a low rank K suffices"),
      xaxis: axis("index i (rank)", { integer: true }),
      yaxis: axis(normalize ? "σᵢ / σ₁ (log scale)" : "σᵢ (log scale)", { log: true, values: data.flatMap((t) => t.y as (number | null)[]) }),
    },
  };
}
