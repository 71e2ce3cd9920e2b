import type * as tf from "@tensorflow/tfjs";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../backend/init";
import { loadCifar10, type Cifar10 } from "../data";
import { baselineFor } from "../experiments/baseline";
import { decomposeAndFineTune, decompositionRows } from "../experiments/decompose-fine-tune";
import { hybridSwitchEpoch, trainLowRankTwin } from "../experiments/low-rank-twin";
import { checkRecipe, type ScratchRecipe } from "../experiments/scratch-recipes";
import type { SweepRow } from "../experiments/rank-sweep";
import { prepareCheckpointsDir, prepareOutDir } from "../experiments/run-folders";
import { forwardSpeedup, trainSeconds, type SummaryRow } from "../experiments/summary";
import { sweepAllLayers, sweepEachLayer } from "../experiments/sweeps";
import {
  checkPlan,
  convSpecIfSized,
  DEFAULT_METHOD,
  describeRankRule,
  eligibleConvLayers,
  kernelSizeOfLayer,
  lowRankConvs,
  planMethod,
  resolveRank,
  type RankRule,
} from "../lowrank";
import { buildModel, type ModelName } from "../models";
import { dataOptions, modelOptions, profileSettings, type ProfileName, type ProfileSettings } from "../profiles";
import { writeMainReport } from "../report/main-report";
import { writeCsv } from "../tables/csv";
import { saveModel } from "../train/checkpoint";
import { exportDeployModel } from "../train/export-model";
import type { TrainHistoryRow } from "../train/history";

export interface MainJobOptions {
  profile: ProfileName;
  model: ModelName;
  /** Theoretical per-layer conv speed-up the decomposed and from-scratch networks aim for. */
  speedup: number;
  /** Explicit ranks instead of `speedup`: one K for every eligible layer. */
  rank?: number;
  /** Factorisation method (src/lowrank/methods); default "tai". */
  method?: string;
  /** Round each rank down to a multiple of this (speed-up targets only). */
  roundTo?: number;
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
  /** How the from-scratch network is trained (experiments/scratch-recipes.ts). Default "paper". */
  scratchRecipe?: ScratchRecipe;
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

/** The rank rule of the decomposed and from-scratch networks. */
function ruleOf(o: MainJobOptions): ({ rank: number } | { speedup: number }) & { method?: string; roundTo?: number } {
  return { ...(o.rank !== undefined ? { rank: o.rank } : { speedup: o.speedup }), ...(o.method ? { method: o.method } : {}), ...(o.roundTo ? { roundTo: o.roundTo } : {}) };
}

/**
 * The rule must be valid and reachable in every layer it applies to (and the sweep's targets be
 * numbers), so a bad `--speedup` or `--rank` fails in seconds, not after the baseline has trained.
 */
function checkTargets(o: MainJobOptions, settings: ProfileSettings): void {
  const rule: RankRule = ruleOf(o);
  checkPlan(rule);
  const badSweep = o.sweepSpeedups.filter((x) => !(Number.isFinite(x) && x > 0));
  if (badSweep.length) throw new Error(`Sweep speed-ups must be finite positive numbers, got ${badSweep.join(", ")}.`);
  const method = planMethod(rule);
  const model = buildModel(o.model, modelOptions(settings, o.model));
  try {
    const layers = eligibleConvLayers(model, method);
    if (layers.length === 0) throw new Error(`${o.model} has no layer the ${method.name} method can take (${method.description}): choose another --model or --method.`);
    for (const layer of layers) {
      try {
        resolveRank(rule, { name: layer.name, size: kernelSizeOfLayer(layer), spec: convSpecIfSized(layer) ?? undefined }, method);
      } catch (err) {
        const fix = "rank" in rule ? "Use a smaller --rank, or --speedup." : "Choose a smaller --speedup.";
        throw new Error(`${"rank" in rule ? `Rank ${o.rank}` : `Speed-up ${o.speedup}`} does not fit layer '${layer.name}' of ${o.model}: ${(err as Error).message} ${fix}`);
      }
    }
  } finally {
    model.dispose();
  }
  if (o.fromScratch) {
    checkRecipe(o.scratchRecipe ?? "paper");
    if (o.scratchRecipe === "hybrid" || o.scratchRecipe === "cuttlefish") hybridSwitchEpoch(settings, settings.scratchEpochs, o.scratchRecipe);
    try {
      buildModel(o.model, { ...modelOptions(settings, o.model), lowRank: lowRankConvs(rule) }).dispose();
    } catch (err) {
      throw new Error(`The low-rank twin of ${o.model} cannot be built: ${(err as Error).message} Use --no-from-scratch or another --model.`);
    }
  }
}

/**
 * The headless pipeline behind `npm start`, as its named steps: the baseline (trained or loaded from
 * its checkpoint), every eligible conv decomposed at the target and fine-tuned, the low-rank network
 * trained from scratch, the rank sweeps, then the report (CSVs, figures, index.html) in `outDir`.
 * Each step is a function of src/experiments that a notebook can call on its own.
 */
export async function runMainJob(o: MainJobOptions): Promise<MainJobResult> {
  const out = o.log ?? ((l: string) => console.log(l));
  const log = (line: string): void => out(`[main] ${line}`);
  const started = Date.now();
  const backend = await initBackend(o.backend);
  const settings: ProfileSettings = { ...profileSettings(o.profile), ...o.overrides };
  // Every argument is checked before data is read or anything trains.
  checkTargets(o, settings);
  const rule = ruleOf(o);
  const outDir = prepareOutDir(o.outDir, o.overwrite ?? false);
  const checkpointsRoot = prepareCheckpointsDir(o.checkpointsDir);
  log(`profile ${o.profile}, model ${o.model}, results → ${outDir}`);

  let data: Cifar10;
  try {
    data = await loadCifar10({ ...dataOptions(settings), dir: o.dataDir, download: o.download });
  } catch (err) {
    if (readdirSync(outDir).length === 0) rmSync(outDir, { recursive: true, force: true }); // nothing written: no empty results folder
    throw err;
  }
  log(`CIFAR-10: ${data.train.size} train / ${data.test.size} test images from ${data.dir}`);
  const trainData = { train: data.train, test: data.test };
  const models: tf.LayersModel[] = [];
  const csv = (rows: object[], name: string): void => writeCsv(rows as Record<string, unknown>[], join(outDir, name));
  try {
    // 1. Baseline, cached per model and profile: a finished run is loaded, an interrupted one resumed.
    const base = await baselineFor(settings, trainData, { model: o.model, retrain: o.retrain, checkpointsRoot });
    models.push(base.model);
    if (base.loaded) log(`baseline loaded from ${base.paths.dir}`);
    await saveModel(base.model, base.paths.final);
    log(`baseline test accuracy ${(base.accuracy * 100).toFixed(2)}%`);
    csv(base.run.history, "history-baseline.csv");

    // 2. Decompose every eligible conv at the target, then fine-tune (all at once: the paper's schedule).
    const dec = await decomposeAndFineTune(base.model, trainData, settings, rule);
    models.push(dec.model);
    log(`decomposed ${dec.layers.length} layers (${dec.layers.map((l) => `${l.name}:K=${l.rank}`).join(", ")})`);
    log(`accuracy before fine-tuning ${(dec.accuracyBefore * 100).toFixed(2)}%, after ${(dec.accuracyAfter * 100).toFixed(2)}%`);
    await saveModel(dec.model, join(outDir, "models", "decomposed-fine-tuned"));
    // The same network in plain TF.js layers (BN folded): loads anywhere TF.js runs, without this project.
    await exportDeployModel(dec.model, join(outDir, "models", "decomposed-deploy"));
    const decSpeedup = (await forwardSpeedup(base.model, dec.model, settings.measureBatchSize)).speedup;
    csv(dec.history, "history-fine-tune.csv");
    const summary: SummaryRow[] = [
      { network: "baseline", testAccuracy: base.accuracy, convSpeedupTheoretical: 1, modelSpeedupMeasured: 1, params: base.model.countParams(), epochs: base.run.history.length, trainSeconds: trainSeconds(base.run.history) },
      { network: "decomposed (no fine-tune)", testAccuracy: dec.accuracyBefore, convSpeedupTheoretical: dec.convSpeedup, modelSpeedupMeasured: decSpeedup, params: dec.model.countParams(), epochs: 0, trainSeconds: 0 },
      { network: "decomposed + fine-tuned", testAccuracy: dec.accuracyAfter, convSpeedupTheoretical: dec.convSpeedup, modelSpeedupMeasured: decSpeedup, params: dec.model.countParams(), epochs: dec.history.length, trainSeconds: trainSeconds(dec.history) },
    ];
    // Written after every stage (atomically), so a long run stopped part-way keeps what it measured.
    csv(summary, "summary.csv");

    // 3. The low-rank network trained from scratch, with BN (the paper's second method).
    let scratchHistory: TrainHistoryRow[] | undefined;
    if (o.fromScratch) {
      const recipe = o.scratchRecipe ?? "paper";
      const twin = await trainLowRankTwin(settings, trainData, rule, { model: o.model, recipe, retrain: o.retrain, checkpointsRoot });
      models.push(twin.model);
      scratchHistory = twin.run.history;
      log(`low-rank from scratch accuracy ${(twin.accuracy * 100).toFixed(2)}%`);
      const twinSpeedup = (await forwardSpeedup(base.model, twin.model, settings.measureBatchSize)).speedup;
      summary.push({ network: recipe === "paper" ? "low-rank from scratch (BN)" : `low-rank from scratch (${recipe})`, testAccuracy: twin.accuracy, convSpeedupTheoretical: dec.convSpeedup, modelSpeedupMeasured: twinSpeedup, params: twin.model.countParams(), epochs: twin.run.history.length, trainSeconds: trainSeconds(twin.run.history) });
      csv(twin.run.history, "history-from-scratch.csv");
      csv(summary, "summary.csv");
    }

    // 4. Rank sweeps: each layer alone (no fine-tune: isolates the layer), then all layers with a short fine-tune.
    let perLayer: SweepRow[] = [];
    let whole: SweepRow[] = [];
    if (o.sweep) {
      const onSkip = (layers: string[], why: string): void => log(`sweep point skipped for ${layers.length > 1 ? "all layers" : layers[0]}: ${why}`);
      log(`rank sweep, each layer alone, speed-ups ${o.sweepSpeedups.join(", ")}`);
      perLayer = await sweepEachLayer(base.model, trainData, settings, { speedups: o.sweepSpeedups, method: o.method, onSkip });
      csv(perLayer, "sweep-per-layer.csv");
      log(`rank sweep, all layers together, each point fine-tuned for ${settings.sweepFineTuneSteps} steps`);
      whole = await sweepAllLayers(base.model, trainData, settings, { speedups: o.sweepSpeedups, method: o.method, onSkip });
    }

    // 5. Tables, figures, report.
    const reportPath = await writeMainReport({
      outDir,
      title: `Low-rank CNN results — ${o.model}, ${o.profile} profile`,
      facts: {
        profile: o.profile,
        model: `${o.model} (${base.model.countParams().toLocaleString("en-US")} parameters)`,
        data: `CIFAR-10, ${data.train.size} train / ${data.test.size} test images`,
        backend: `${backend.name} (${backend.version}), ${backend.threads} thread(s)`,
        machine: backend.machine,
        target: describeRankRule(rule),
        ...(o.method && o.method !== DEFAULT_METHOD ? { method: planMethod(rule).description } : {}),
      },
      started,
      summary,
      measureBatchSize: settings.measureBatchSize,
      baselineAccuracy: base.accuracy,
      baseline: base.model,
      layers: dec.layers,
      decomposition: decompositionRows(dec.layers, perLayer),
      perLayer,
      whole,
      runs: [
        { name: "baseline", history: base.run.history },
        { name: "fine-tune", history: dec.history },
        ...(scratchHistory ? [{ name: "low-rank from scratch", history: scratchHistory }] : []),
      ],
      log,
    });
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    log(`report: ${reportPath}`);
    return { outDir, reportPath, summary };
  } finally {
    for (const m of new Set(models)) m.dispose();
    data.dispose();
  }
}
