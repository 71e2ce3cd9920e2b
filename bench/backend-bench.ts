/**
 * One backend's measurements, run in its own process by bench/bench.ts so backends don't share a heap
 * or thread pool. Prints one line `BENCH_RESULT {json}` on stdout.
 * Usage: tsx bench/backend-bench.ts --backend wasm [--no-train] [--conv-batch 128]
 */
import { Command } from "commander";
import { initBackend } from "../src/backend/init";
import { benchConvForward, type ConvForwardResult } from "./conv-forward";
import { benchTraining, type TrainResult } from "./train-throughput";

export const RESULT_MARKER = "BENCH_RESULT ";

export interface BackendBenchResult {
  backend: string;
  version: string;
  threads: number;
  machine: string;
  conv: ConvForwardResult;
  train?: TrainResult;
}

async function main(): Promise<void> {
  const opts = new Command()
    .requiredOption("--backend <name>", "tensorflow | wasm | cpu")
    .option("--no-train", "skip the training measurement")
    .option("--conv-batch <n>", "batch of the conv forward", "128")
    .option("--conv-runs <n>", "timed conv runs", "5")
    .option("--train-steps <n>", "timed training steps", "6")
    .parse()
    .opts<{ backend: string; train: boolean; convBatch: string; convRuns: string; trainSteps: string }>();
  const info = await initBackend(opts.backend, { quiet: true });
  const convRuns = Number(opts.convRuns);
  const conv = await benchConvForward({ batch: Number(opts.convBatch), warmup: 1, runs: convRuns });
  const train = opts.train ? await benchTraining({ batch: 64, warmup: 2, steps: Number(opts.trainSteps) }) : undefined;
  const result: BackendBenchResult = { backend: info.name, version: info.version, threads: info.threads, machine: info.machine, conv, train };
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
