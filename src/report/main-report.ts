import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { DecompositionRow } from "../experiments/decompose-fine-tune";
import type { SweepRow } from "../experiments/rank-sweep";
import type { SummaryRow } from "../experiments/summary";
import { decomposeKernel, kernelOfLayer, reconstructKernel, type LayerDecompositionReport } from "../lowrank";
import { accuracyVsRankFigure } from "../plot/accuracy-rank";
import { filterGridFigure } from "../plot/filters";
import { accuracyVsSpeedupFigure } from "../plot/pareto";
import { reconstructionErrorFigure } from "../plot/reconstruction-error";
import { spectrumFigure } from "../plot/spectrum";
import { speedupVsRankFigure } from "../plot/speedup-rank";
import { trainingCurvesFigure } from "../plot/training-curves";
import { writeFigures, type NamedFigure } from "../plot/write-figures";
import { writeCsv } from "../tables/csv";
import type { TrainingRun } from "../plot/types";
import { writeFileAtomic } from "../util/atomic-write";
import { reportHtml } from "./report-html";

export interface MainReportInput {
  outDir: string;
  title: string;
  /** Shown at the top, in order; "total time" and "date" are added when the report is written. */
  facts: Record<string, string>;
  started: number;
  summary: SummaryRow[];
  measureBatchSize: number;
  baselineAccuracy: number;
  /** The trained dense network, for the filters of the first decomposed layer. */
  baseline: tf.LayersModel;
  layers: LayerDecompositionReport[];
  decomposition: DecompositionRow[];
  perLayer: SweepRow[];
  whole: SweepRow[];
  /** Training curves, in legend order. */
  runs: TrainingRun[];
  log?: (line: string) => void;
}

/** The figures of the main job's report, from its rows. */
export function mainFigures(input: Pick<MainReportInput, "baseline" | "layers" | "perLayer" | "whole" | "runs" | "baselineAccuracy">): NamedFigure[] {
  const first = input.layers[0];
  const figures: NamedFigure[] = [];
  // Methods with a spectrum (tai, jaderberg) show it; Tucker-2 has none.
  if (input.layers.every((l) => l.singularValues?.length)) {
    figures.push({ basename: "spectra", title: "Singular-value spectra", figure: spectrumFigure(input.layers.map((l) => ({ layer: l.name, singularValues: l.singularValues ?? [] }))) });
  }
  figures.push({ basename: "training-curves", title: "Training curves", figure: trainingCurvesFigure(input.runs) });
  // The first layer's filters against their rank-K vertical/horizontal approximation (one-rank methods
  // on d×d kernels: a 1×1 conv or a Dense layer factored by svd has no filters to draw).
  const [kh, kw] = first.kernelShape;
  if (typeof first.rank === "number" && (kh > 1 || kw > 1)) {
    const rank = first.rank;
    const original = kernelOfLayer(input.baseline.getLayer(first.name));
    const vh = decomposeKernel(original, rank);
    const recon = reconstructKernel(vh.vertical, vh.horizontal);
    figures.push({
      basename: "filters",
      title: `Filters of ${first.name}: original vs rank ${rank}`,
      figure: filterGridFigure({ layer: first.name, rank, original: { shape: original.shape, values: original.data }, reconstructed: { shape: recon.shape, values: recon.data } }),
    });
  }
  if (input.perLayer.length) {
    figures.push(
      { basename: "reconstruction-error", title: "Relative reconstruction error vs rank", figure: reconstructionErrorFigure(input.perLayer) },
      { basename: "accuracy-vs-rank", title: "Accuracy vs rank (one layer decomposed, no fine-tune)", figure: accuracyVsRankFigure(input.perLayer) },
      { basename: "speedup-vs-rank", title: "Theoretical and measured speed-up vs rank", figure: speedupVsRankFigure(input.perLayer) },
    );
  }
  if (input.whole.length) {
    figures.push({ basename: "accuracy-vs-speedup", title: "Accuracy vs measured speed-up (all layers)", figure: accuracyVsSpeedupFigure(input.whole, { baselineAccuracy: input.baselineAccuracy }) });
  }
  return figures;
}

/**
 * The report step of the main job: decomposition.csv, sweep-all-layers.csv, figures/ (HTML, PNG, SVG),
 * index.html and results.json in `outDir`. Returns the report's path.
 */
export async function writeMainReport(input: MainReportInput): Promise<string> {
  const { outDir } = input;
  const log = input.log ?? (() => undefined);
  writeCsv(input.decomposition, join(outDir, "decomposition.csv"));
  if (input.whole.length) writeCsv(input.whole, join(outDir, "sweep-all-layers.csv"));
  const figures = mainFigures(input);
  log(`exporting ${figures.length} figures (HTML, PNG, SVG)`);
  const { imagesError } = await writeFigures(figures, join(outDir, "figures"));
  if (imagesError) log(`PNG/SVG export skipped: ${imagesError}`);

  const facts = { ...input.facts, "total time": `${((Date.now() - input.started) / 1000).toFixed(0)} s`, date: new Date().toISOString() };
  const reportPath = join(outDir, "index.html");
  writeFileAtomic(
    reportPath,
    reportHtml({
      title: input.title,
      facts,
      notes: imagesError ? [`PNG/SVG export failed: ${imagesError}`] : [],
      tables: [
        {
          title: "Summary",
          rows: input.summary.map((r) => ({
            network: r.network,
            "test accuracy %": +(r.testAccuracy * 100).toFixed(2),
            "conv speed-up (theory)": r.convSpeedupTheoretical,
            [`model speed-up (measured in deploy form, batch ${input.measureBatchSize})`]: r.modelSpeedupMeasured,
            parameters: r.params,
            epochs: r.epochs,
            "train s": r.trainSeconds,
          })),
        },
        { title: "Decomposition per layer", rows: input.decomposition as unknown as Record<string, number | string | undefined>[] },
        ...(input.whole.length ? [{ title: "Sweep, all layers", rows: input.whole as unknown as Record<string, number | string | undefined>[] }] : []),
      ],
      figures: figures.map(({ title, basename }) => ({ title, basename: `figures/${basename}` })),
    }),
  );
  writeFileAtomic(
    join(outDir, "results.json"),
    JSON.stringify({ facts, summary: input.summary, decomposition: input.decomposition, perLayer: input.perLayer, whole: input.whole }, null, 1),
  );
  return reportPath;
}
