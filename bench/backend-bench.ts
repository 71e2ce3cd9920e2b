/**
 * One backend's measurements, run in its own process by bench/bench.ts so backends don't share a heap
 * or thread pool. Prints one line `BENCH_RESULT {json}` on stdout.
 * Usage: tsx bench/backend-bench.ts --backend wasm [--no-train] [--vgg] [--forward] [--conv-batch 128]
 */
import { Command } from "commander";
import { initBackend } from "../src/backend/init";
import { measureLayerSpeedup } from "../src/measure";
import { benchConvForward, type ConvForwardResult } from "./conv-forward";
import { benchModelForward, type ModelForwardResult } from "./model-forward";
import { benchTrainStep, type TrainStepResult } from "./train-step";

export const RESULT_MARKER = "BENCH_RESULT ";
/** Ranks of the single-layer V/H pair timed against its 3×3 conv (32×32×64→64). */
export const PAIR_RANKS = [8, 16, 32];

export interface PairSpeedup {
  rank: number;
  /** Median forward ms of the pair, and of the dense conv timed beside it. */
  ms: number;
  denseMs: number;
  theory: number;
  measured: number;
}

export interface BackendBenchResult {
  backend: string;
  version: string;
  threads: number;
  machine: string;
  conv: ConvForwardResult;
  /** The conv's V/H pair at each of PAIR_RANKS (same batch as conv). */
  pairs?: PairSpeedup[];
  /** The project's train() on the reference CNN (Adam, batch 64). */
  train?: TrainStepResult;
  /** The project's train() on vggSmall 32-64-128 (SGD Nesterov, wd 5e-4, batch 64). */
  trainVgg?: TrainStepResult;
  forward?: ModelForwardResult;
}

/** Steps not timed after the first (the optimizer's): the two train() traces, the graph's first run (TensorFlow optimises the graph then) and one more. */
export const TRAIN_WARMUP = 4;

async function main(): Promise<void> {
  const opts = new Command()
    .requiredOption("--backend <name>", "tensorflow | wasm | cpu")
    .option("--no-train", "skip the training measurements")
    .option("--vgg", "also train vggSmall")
    .option("--forward", "whole-vggSmall forward, dense and decomposed, and its V/H pairs")
    .option("--conv-batch <n>", "batch of the conv forward", "128")
    .option("--conv-runs <n>", "timed conv runs", "5")
    .option("--train-steps <n>", "timed training steps", "10")
    .parse()
    .opts<{ backend: string; train: boolean; vgg?: boolean; forward?: boolean; convBatch: string; convRuns: string; trainSteps: string }>();
  const info = await initBackend(opts.backend, { quiet: true });
  const runs = Number(opts.convRuns);
  const batch = Number(opts.convBatch);
  const steps = Number(opts.trainSteps);
  const conv = await benchConvForward({ batch, warmup: 1, runs });
  const spec = { inH: 32, inW: 32, inC: 64, outC: 64, kh: 3, kw: 3, strideH: 1, strideW: 1, padding: "same" as const };
  const pairs: PairSpeedup[] | undefined = opts.forward ? [] : undefined;
  for (const rank of pairs ? PAIR_RANKS : []) {
    const r = await measureLayerSpeedup(spec, rank, { batchSize: batch, timing: { warmup: 1, runs } });
    pairs?.push({ rank, ms: r.lowRankMs, denseMs: r.originalMs, theory: r.theoreticalSpeedup, measured: r.measuredSpeedup });
  }
  const train = opts.train ? await benchTrainStep({ model: "reference-cnn", batch: 64, warmup: TRAIN_WARMUP, steps }) : undefined;
  const trainVgg = opts.train && opts.vgg ? await benchTrainStep({ model: "vgg-small", batch: 64, warmup: TRAIN_WARMUP, steps }) : undefined;
  const forward = opts.forward ? await benchModelForward({ batch: 128, speedups: [2, 3, 4], roundTo: [8], runs }) : undefined;
  const result: BackendBenchResult = { backend: info.name, version: info.version, threads: info.threads, machine: info.machine, conv, pairs, train, trainVgg, forward };
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
