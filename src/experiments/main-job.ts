import * as tf from "@tensorflow/tfjs";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { initBackend, type BackendInfo } from "../backend/init";
import type { ProfileName } from "../config/profile";
import { loadCifar10, type Cifar10 } from "../data";
import { decomposeKernel, eligibleConvLayers, maxRank, rankForSpeedup, reconstructKernel, type HostKernel, type LayerDecompositionReport } from "../lowrank";
import { convSpecOfLayer } from "../measure/layer-spec";
import { timeModel } from "../measure/model-profile";
import { buildModel, type ModelName } from "../models";
import { accuracyVsRankFigure } from "../plot/accuracy-rank";
import { filterGridFigure } from "../plot/filters";
import { accuracyVsSpeedupFigure } from "../plot/pareto";
import { reconstructionErrorFigure } from "../plot/reconstruction-error";
import { spectrumFigure } from "../plot/spectrum";
import { speedupVsRankFigure } from "../plot/speedup-rank";
import { trainingCurvesFigure } from "../plot/training-curves";
import type { SweepRow } from "../plot/types";
import { reportHtml } from "../report/report-html";
import { writeCsv } from "../tables/csv";
import { saveModel } from "../train/checkpoint";
import { evaluate } from "../train/evaluate";
import { fineTune } from "../train/fine-tune";
import type { TrainHistoryRow } from "../train/history";
import { dataOptions, fineTuneOptions, modelOptions, profileSettings, trainOptions, type ProfileSettings } from "../train/profiles";
import { train } from "../train/train";
import { writeFileAtomic } from "../util/atomic-write";
import { writeFigures, type NamedFigure } from "./figures";
import { convStackSpeedup, rankSweep } from "./rank-sweep";
import { prepareCheckpointsDir, prepareOutDir } from "./run-folders";

export interface MainJobOptions {
  profile: ProfileName;
  model: ModelName;
  /** Theoretical per-layer conv speed-up the decomposed and from-scratch networks aim for. */
  speedup: number;
  /** Explicit ranks instead of `speedup`: one K for every eligible layer. */
  rank?: number;
  /** Speed-up targets of the rank sweep. */
  sweepSpeedups: number[];
  /** Results folder (created). */
  outDir: string;
  /** Baseline and from-scratch checkpoints live here, shared by runs of the same model and profile. */
  checkpointsDir: string;
  dataDir?: string;
  download?: boolean;
  /** Train the baseline (and the from-scratch network) again even if finished checkpoints exist. */
  retrain?: boolean;
  /** Clear a non-empty `outDir` first (otherwise a non-empty one is refused). */
  overwrite?: boolean;
  fromScratch: boolean;
  sweep: boolean;
  backend?: string;
  /** Fields replacing the profile's settings (smaller runs in tests, longer ones by hand). */
  overrides?: Partial<ProfileSettings>;
  log?: (line: string) => void;
}

export interface MainJobResult {
  outDir: string;
  reportPath: string;
  summary: SummaryRow[];
}

interface SummaryRow {
  network: string;
  testAccuracy: number;
  convSpeedupTheoretical: number;
  modelSpeedupMeasured?: number;
  params: number;
  epochs: number;
  trainSeconds: number;
}

function kernelOf(model: tf.LayersModel, layer: string): HostKernel {
  const w = model.getLayer(layer).getWeights()[0];
  return { data: w.dataSync() as Float32Array, shape: w.shape as [number, number, number, number] };
}

/** Zoo options from the profile: vggSmall takes its widths; the other models their defaults. */
function zooOptions(model: ModelName, s: ProfileSettings): object {
  return model === "vgg-small" ? modelOptions(s) : { seed: s.seed };
}

/** Fine-tune budget of each all-layers sweep point: a slice of an epoch, so the sweep stays cheap. */
function sweepFineTuneSteps(s: ProfileSettings): number {
  return s.profile === "full" ? 60 : 10;
}

const sum = (rows: TrainHistoryRow[], key: "seconds") => rows.reduce((s, r) => s + r[key], 0);

/** Median forward time (ms) of a whole model at `batch`, data read back. */
async function forwardMs(model: tf.LayersModel, batch: number, runs = 5): Promise<number> {
  return (await timeModel(model, [batch], { runs }))[batch];
}

/**
 * The decomposition target must be reachable in every layer it applies to (and the sweep's targets be
 * numbers), so a bad `--speedup` or `--rank` fails in seconds, not after the baseline has trained.
 */
function checkTargets(o: MainJobOptions, settings: ProfileSettings): void {
  if (o.rank === undefined && !(Number.isFinite(o.speedup) && o.speedup > 1)) {
    throw new Error(`The speed-up target must be a finite number above 1 (e.g. 2), got ${o.speedup}.`);
  }
  const badSweep = o.sweepSpeedups.filter((x) => !(Number.isFinite(x) && x > 0));
  if (badSweep.length) throw new Error(`Sweep speed-ups must be finite positive numbers, got ${badSweep.join(", ")}.`);
  const model = buildModel(o.model, zooOptions(o.model, settings));
  try {
    const layers = eligibleConvLayers(model);
    if (layers.length === 0) throw new Error(`${o.model} has no d×d convolution (d > 1) to decompose: choose another --model.`);
    const specs = layers.map((l) => ({ name: l.name, spec: convSpecOfLayer(l) }));
    if (o.rank !== undefined) {
      const lowest = specs.reduce((a, b) => (maxRank(b.spec) < maxRank(a.spec) ? b : a));
      if (!(Number.isInteger(o.rank) && o.rank >= 1 && o.rank <= maxRank(lowest.spec))) {
        throw new Error(`Rank ${o.rank} does not fit every layer of ${o.model}: layer '${lowest.name}' has full rank ${maxRank(lowest.spec)}. Use a rank from 1 to ${maxRank(lowest.spec)}, or --speedup.`);
      }
      return;
    }
    for (const { name, spec } of specs) {
      try {
        rankForSpeedup(spec, o.speedup);
      } catch (err) {
        throw new Error(`Speed-up ${o.speedup} is out of reach in layer '${name}': ${(err as Error).message} Choose a smaller --speedup.`);
      }
    }
  } finally {
    model.dispose();
  }
}

/**
 * The headless pipeline behind `npm start`: baseline (trained or loaded from its checkpoint), every
 * eligible conv decomposed with Theorem 1 at the target speed-up, fine-tuned, the low-rank network
 * trained from scratch, a rank sweep, then CSVs, figures and an index.html report in `outDir`.
 */
export async function runMainJob(o: MainJobOptions): Promise<MainJobResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const started = Date.now();
  const backend: BackendInfo = await initBackend(o.backend);
  const settings: ProfileSettings = { ...profileSettings(o.profile), ...o.overrides };
  // Every argument is checked before data is read or anything trains.
  checkTargets(o, settings);
  const outDir = prepareOutDir(o.outDir, o.overwrite ?? false);
  const checkpointsDir = prepareCheckpointsDir(o.checkpointsDir);
  log(`[main] profile ${o.profile}, model ${o.model}, results → ${outDir}`);

  let data: Cifar10;
  try {
    data = await loadCifar10({ ...dataOptions(settings), dir: o.dataDir, download: o.download });
  } catch (err) {
    if (readdirSync(outDir).length === 0) rmSync(outDir, { recursive: true, force: true }); // nothing written: no empty results folder
    throw err;
  }
  log(`[main] CIFAR-10: ${data.train.size} train / ${data.test.size} test images from ${data.dir}`);
  const trainData = { train: data.train, test: data.test };
  const models: tf.LayersModel[] = [];
  try {
    // 1. Baseline, cached per model and profile: a finished run is loaded, an interrupted one resumed.
    const baseDir = join(checkpointsDir, `${o.model}-${o.profile}`);
    const baseline = buildModel(o.model, zooOptions(o.model, settings));
    models.push(baseline);
    const baseRun = await train(baseline, trainData, { ...trainOptions(settings), checkpointDir: join(baseDir, "training"), resume: !o.retrain, label: "baseline" });
    if (baseRun.stopReason === "already-complete") log(`[main] baseline loaded from ${baseDir}`);
    await saveModel(baseline, join(baseDir, "final"));
    const baseAcc = evaluate(baseline, data.test).accuracy;
    log(`[main] baseline test accuracy ${(baseAcc * 100).toFixed(2)}%`);
    writeCsv(baseRun.history, join(outDir, "history-baseline.csv"));

    // 2. Decompose every eligible conv at the target, then fine-tune (all at once: the paper's schedule).
    const plan = o.rank ? { ranks: {} as Record<string, number> } : { speedup: o.speedup };
    if (o.rank) {
      for (const l of eligibleConvLayers(baseline)) (plan as { ranks: Record<string, number> }).ranks[l.name] = o.rank;
    }
    const ft = await fineTune(baseline, trainData, fineTuneOptions(settings, { plan, schedule: "all-at-once", label: "decomposed" }));
    models.push(ft.model);
    const dec = { layers: ft.layers };
    const decBefore = ft.stages[0]?.accuracyBefore ?? NaN;
    const decAfter = evaluate(ft.model, data.test).accuracy;
    log(`[main] decomposed ${dec.layers.length} layers (${dec.layers.map((l) => `${l.name}:K=${l.rank}`).join(", ")})`);
    log(`[main] accuracy before fine-tuning ${(decBefore * 100).toFixed(2)}%, after ${(decAfter * 100).toFixed(2)}%`);
    await saveModel(ft.model, join(outDir, "models", "decomposed-fine-tuned"));

    const convSpeedup = convStackSpeedup(dec.layers);
    const baseMs = await forwardMs(baseline, 128);
    const decMs = await forwardMs(ft.model, 128);
    // Written after every stage (atomically), so a long run stopped part-way keeps what it measured.
    const saveSoFar = (): void => writeCsv(summary, join(outDir, "summary.csv"));
    writeCsv(ft.history, join(outDir, "history-fine-tune.csv"));
    const summary: SummaryRow[] = [
      { network: "baseline", testAccuracy: baseAcc, convSpeedupTheoretical: 1, modelSpeedupMeasured: 1, params: baseline.countParams(), epochs: baseRun.history.length, trainSeconds: sum(baseRun.history, "seconds") },
      { network: "decomposed (no fine-tune)", testAccuracy: decBefore, convSpeedupTheoretical: convSpeedup, modelSpeedupMeasured: baseMs / decMs, params: ft.model.countParams(), epochs: 0, trainSeconds: 0 },
      { network: "decomposed + fine-tuned", testAccuracy: decAfter, convSpeedupTheoretical: convSpeedup, modelSpeedupMeasured: baseMs / decMs, params: ft.model.countParams(), epochs: ft.history.length, trainSeconds: sum(ft.history, "seconds") },
    ];
    saveSoFar();

    // 3. The low-rank network trained from scratch, with BN (the paper's second method).
    let scratchHistory: TrainHistoryRow[] | undefined;
    if (o.fromScratch) {
      const lowRankOpt = o.rank ? { ranks: Object.fromEntries(dec.layers.map((l) => [l.name, o.rank as number])) } : { speedup: o.speedup };
      const scratch = buildModel(o.model, { ...zooOptions(o.model, settings), lowRank: { ...lowRankOpt, bn: "after" } });
      models.push(scratch);
      const run = await train(scratch, trainData, { ...trainOptions(settings, { scratch: true }), checkpointDir: join(baseDir, `from-scratch-${o.rank ? `rank${o.rank}` : `${o.speedup}x`}`), resume: !o.retrain, label: "from scratch" });
      scratchHistory = run.history;
      const acc = evaluate(scratch, data.test).accuracy;
      log(`[main] low-rank from scratch accuracy ${(acc * 100).toFixed(2)}%`);
      summary.push({ network: "low-rank from scratch (BN)", testAccuracy: acc, convSpeedupTheoretical: convSpeedup, modelSpeedupMeasured: baseMs / (await forwardMs(scratch, 128)), params: scratch.countParams(), epochs: run.history.length, trainSeconds: sum(run.history, "seconds") });
      writeCsv(run.history, join(outDir, "history-from-scratch.csv"));
      saveSoFar();
    }

    // 4. Rank sweeps: each layer alone (no fine-tune: isolates the layer), then all layers with a short fine-tune.
    let perLayer: SweepRow[] = [];
    let whole: SweepRow[] = [];
    if (o.sweep) {
      log(`[main] rank sweep, each layer alone, speed-ups ${o.sweepSpeedups.join(", ")}`);
      const onSkip = (layers: string[], why: string): void => log(`[main] sweep point skipped for ${layers.length > 1 ? "all layers" : layers[0]}: ${why}`);
      perLayer = await rankSweep(baseline, trainData, { mode: "each", points: { speedups: o.sweepSpeedups }, fineTune: false, onSkip });
      writeCsv(perLayer, join(outDir, "sweep-per-layer.csv"));
      const steps = sweepFineTuneSteps(settings);
      log(`[main] rank sweep, all layers together, each point fine-tuned for ${steps} steps`);
      const { plan: _p, schedule: _s, epochsPerLayer: _e, stepsPerLayer: _l, ...ftTrain } = fineTuneOptions(settings);
      whole = await rankSweep(baseline, trainData, {
        mode: "all",
        points: { speedups: o.sweepSpeedups },
        fineTune: { ...ftTrain, epochs: 1, learningRate: settings.fineTuneLearningRate, maxStepsPerEpoch: steps, progress: "none" },
        onSkip,
      });
    }

    // 5. Tables, figures, report.
    const decRows = dec.layers.map((l: LayerDecompositionReport) => ({
      layer: l.name,
      kernel: l.kernelShape.join("×"),
      rank: l.rank,
      maxRank: l.maxRank,
      relativeError: l.relativeError,
      theoreticalSpeedup: l.theoreticalSpeedup,
      measuredSpeedup: perLayer.find((r) => r.layer === l.name && r.rank === l.rank)?.measuredSpeedup,
    }));
    writeCsv(decRows, join(outDir, "decomposition.csv"));
    if (whole.length) writeCsv(whole, join(outDir, "sweep-all-layers.csv"));

    const firstConv = dec.layers[0];
    const original = kernelOf(baseline, firstConv.name);
    const vh = decomposeKernel(original, firstConv.rank);
    const recon = reconstructKernel(vh.vertical, vh.horizontal);
    const figures: NamedFigure[] = [
      { basename: "spectra", title: "Singular-value spectra", figure: spectrumFigure(dec.layers.map((l) => ({ layer: l.name, singularValues: l.singularValues }))) },
      {
        basename: "training-curves",
        title: "Training curves",
        figure: trainingCurvesFigure([
          { name: "baseline", history: baseRun.history },
          { name: "fine-tune", history: ft.history },
          ...(scratchHistory ? [{ name: "low-rank from scratch", history: scratchHistory }] : []),
        ]),
      },
      {
        basename: "filters",
        title: `Filters of ${firstConv.name}: original vs rank ${firstConv.rank}`,
        figure: filterGridFigure({ layer: firstConv.name, rank: firstConv.rank, original: { shape: original.shape, values: original.data }, reconstructed: { shape: recon.shape, values: recon.data } }),
      },
    ];
    if (perLayer.length) {
      figures.push(
        { basename: "reconstruction-error", title: "Relative reconstruction error vs rank", figure: reconstructionErrorFigure(perLayer) },
        { basename: "accuracy-vs-rank", title: "Accuracy vs rank (one layer decomposed, no fine-tune)", figure: accuracyVsRankFigure(perLayer) },
        { basename: "speedup-vs-rank", title: "Theoretical and measured speed-up vs rank", figure: speedupVsRankFigure(perLayer) },
      );
    }
    if (whole.length) {
      figures.push({ basename: "accuracy-vs-speedup", title: "Accuracy vs measured speed-up (all layers)", figure: accuracyVsSpeedupFigure(whole, { baselineAccuracy: baseAcc }) });
    }
    log(`[main] exporting ${figures.length} figures (HTML, PNG, SVG)`);
    const { imagesError } = await writeFigures(figures, join(outDir, "figures"));
    if (imagesError) log(`[main] PNG/SVG export skipped: ${imagesError}`);

    const facts = {
      profile: o.profile,
      model: `${o.model} (${baseline.countParams().toLocaleString("en-US")} parameters)`,
      data: `CIFAR-10, ${data.train.size} train / ${data.test.size} test images`,
      backend: `${backend.name} (${backend.version}), ${backend.threads} thread(s)`,
      machine: backend.machine,
      target: o.rank ? `rank ${o.rank} in every eligible layer` : `${o.speedup}× theoretical speed-up per layer`,
      "total time": `${((Date.now() - started) / 1000).toFixed(0)} s`,
      date: new Date().toISOString(),
    };
    const reportPath = join(outDir, "index.html");
    writeFileAtomic(
      reportPath,
      reportHtml({
        title: `Low-rank CNN results — ${o.model}, ${o.profile} profile`,
        facts,
        notes: imagesError ? [`PNG/SVG export failed: ${imagesError}`] : [],
        tables: [
          {
            title: "Summary",
            rows: summary.map((r) => ({
              network: r.network,
              "test accuracy %": +(r.testAccuracy * 100).toFixed(2),
              "conv speed-up (theory)": r.convSpeedupTheoretical,
              "model speed-up (measured, batch 128)": r.modelSpeedupMeasured,
              parameters: r.params,
              epochs: r.epochs,
              "train s": r.trainSeconds,
            })),
          },
          { title: "Decomposition per layer", rows: decRows },
          ...(whole.length ? [{ title: "Sweep, all layers", rows: whole as unknown as Record<string, number | string | undefined>[] }] : []),
        ],
        figures: figures.map(({ title, basename }) => ({ title, basename: `figures/${basename}` })),
      }),
    );
    writeFileAtomic(join(outDir, "results.json"), JSON.stringify({ facts, summary, decomposition: decRows, perLayer, whole }, null, 1));
    log(`[main] done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    log(`[main] report: ${reportPath}`);
    return { outDir, reportPath, summary };
  } finally {
    for (const m of new Set(models)) m.dispose();
    data.dispose();
  }
}
