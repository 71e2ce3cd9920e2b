#!/usr/bin/env tsx
// `npm start [-- flags]`: the headless pipeline (train → decompose → fine-tune → sweep → report).
import { Command, InvalidArgumentError, Option } from "commander";
import { join } from "node:path";
import { PROFILE_NAMES, profileName, profileSettings } from "../profiles";
import { runMainJob } from "../pipeline/main-job";
import { uniqueRunId } from "../experiments/run-folders";
import { SCRATCH_RECIPES } from "../experiments/scratch-recipes";
import { DEFAULT_METHOD, METHOD_NAMES } from "../lowrank";
import { MODEL_NAMES, type ModelName } from "../models";

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`expected a finite positive number, got '${v}'.`);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError(`expected an integer ≥ 1, got '${v}'.`);
  return n;
}

function numberList(v: string): number[] {
  return v.split(",").map((s) => positiveNumber(s.trim()));
}

async function main(): Promise<void> {
  const program = new Command()
    .name("npm start --")
    .description("Train a CIFAR-10 baseline, decompose its convolutions (Tai et al. 2016, Theorem 1), fine-tune, train the low-rank twin from scratch, sweep ranks, and write results/<run-id>/ with CSVs, figures and index.html.")
    .addOption(new Option("--profile <name>", "quick (minutes) or full (the real experiment, about 40 minutes on 2 cores); default LOWRANK_PROFILE or quick").choices([...PROFILE_NAMES]))
    .addOption(new Option("--model <name>", "network to train").choices([...MODEL_NAMES]).default("vgg-small"))
    .option("--speedup <x>", "theoretical conv speed-up per layer for the decomposed and from-scratch nets", positiveNumber, 2)
    .option("--rank <K>", "use this rank in every eligible layer instead of --speedup", positiveInt)
    .option("--round-to <m>", "round each --speedup rank down to a multiple of m (e.g. 8)", positiveInt)
    .addOption(new Option("--method <name>", "decomposition method (src/lowrank/methods)").choices([...METHOD_NAMES]).default(DEFAULT_METHOD))
    .option("--sweep-speedups <list>", "comma-separated speed-up targets of the rank sweep (default: the profile's)", numberList)
    .option("--epochs <n>", "baseline training epochs (default: the profile's)", positiveInt)
    .option("--scratch-epochs <n>", "epochs of the low-rank network trained from scratch (default: the profile's)", positiveInt)
    .option("--fine-tune-epochs <n>", "fine-tuning epochs after decomposition (default: the profile's)", positiveInt)
    .option("--no-sweep", "skip the rank sweep")
    .option("--no-from-scratch", "skip training the low-rank network from scratch")
    .addOption(new Option("--scratch-recipe <name>", "how the from-scratch network trains: paper (its own random factors, BN after), spectral-frobenius (spectral init + Frobenius decay), hybrid (dense, then Tai's closed form), trp (dense projected onto the ranks), cuttlefish (dense until stable ranks settle, then ranks from them)").choices([...SCRATCH_RECIPES]).default("paper"))
    .option("--retrain", "train the baseline and the from-scratch network again even if their checkpoints are complete")
    .option("--out <dir>", "results folder (default results/<run-id>); must be new or empty unless --overwrite")
    .option("--overwrite", "clear a non-empty --out folder first")
    .option("--checkpoints <dir>", "where training checkpoints are cached (resumed and reused by later runs)", "checkpoints")
    .option("--data <dir>", "CIFAR-10 binary folder (default CIFAR10_DIR or data/cifar-10-batches-bin); when it is missing or damaged the official archive is downloaded into its parent folder and extracted there, unless --offline")
    .option("--offline", "never download CIFAR-10: fail at once when it is missing or damaged")
    .addOption(new Option("--backend <name>", "force a TF.js backend (default LOWRANK_BACKEND or the fastest available)").choices(["tensorflow", "wasm", "cpu"]))
    .showHelpAfterError();
  program.parse();
  const opts = program.opts();
  const profile = profileName(opts.profile);
  await runMainJob({
    profile,
    model: opts.model as ModelName,
    speedup: opts.speedup,
    rank: opts.rank,
    roundTo: opts.roundTo,
    method: opts.method,
    sweepSpeedups: opts.sweepSpeedups ?? profileSettings(profile).sweepSpeedups,
    sweep: opts.sweep,
    fromScratch: opts.fromScratch,
    scratchRecipe: opts.scratchRecipe,
    retrain: Boolean(opts.retrain),
    overwrite: Boolean(opts.overwrite),
    outDir: opts.out ?? join("results", `${uniqueRunId()}-${profile}`),
    checkpointsDir: opts.checkpoints,
    dataDir: opts.data,
    download: !opts.offline,
    backend: opts.backend,
    overrides: {
      ...(opts.epochs ? { epochs: opts.epochs } : {}),
      ...(opts.scratchEpochs ? { scratchEpochs: opts.scratchEpochs } : {}),
      ...(opts.fineTuneEpochs ? { fineTuneEpochs: opts.fineTuneEpochs } : {}),
    },
  });
}

main().catch((err: Error) => {
  console.error(`\nError: ${err.message}`);
  if (process.env.LOWRANK_DEBUG === "1") console.error(err.stack);
  process.exit(1);
});
