import { join } from "node:path";
import { createExporter } from "./browser";
import { standaloneHtml } from "./plotly-html";
import type { PlotlyFigure } from "./types";
import { writeFileAtomic } from "../util/atomic-write";

/** A figure and what it is saved and listed as (the shape of a report's figure entry, plus the figure). */
export interface NamedFigure {
  title: string;
  /** File name without extension, relative to the folder written to. */
  basename: string;
  caption?: string;
  figure: PlotlyFigure;
}

/**
 * Write each figure as `<basename>.html` (standalone, plotly inlined), `.png` and `.svg` in `dir`,
 * with one headless chromium for all of them. Without chromium, the HTML files are still written
 * and the error (naming the missing package) is returned instead of thrown.
 */
export async function writeFigures(figures: NamedFigure[], dir: string, opts: { width?: number; height?: number } = {}): Promise<{ imagesError?: string }> {
  for (const f of figures) writeFileAtomic(join(dir, `${f.basename}.html`), standaloneHtml(f.figure));
  let exporter;
  try {
    exporter = await createExporter();
  } catch (err) {
    return { imagesError: (err as Error).message };
  }
  try {
    for (const f of figures) {
      for (const ext of ["png", "svg"]) {
        await exporter.export(f.figure, join(dir, `${f.basename}.${ext}`), { width: opts.width ?? 900, height: opts.height ?? 520, scale: ext === "png" ? 2 : 1 });
      }
    }
  } finally {
    await exporter.close();
  }
  return {};
}
