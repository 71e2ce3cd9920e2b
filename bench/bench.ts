/**
 * `npm run bench`: the project against its peers, in one run on one machine.
 * 1. Each backend in its own child process: one 3×3 conv forward, the project's own `train()` on the
 *    reference CNN; on tensorflow also vggSmall training, V/H pairs per rank, and whole-vggSmall
 *    inference dense and decomposed at 2×/3×/4× theoretical conv speed-up.
 * 2. The same models in PyTorch (Debian's python3-torch) and TensorFlow Keras eager and graph (a
 *    virtualenv under .cache/ from the tensorflow-cpu wheel the set-up uses), skipped with a reason
 *    when they cannot run. Training is compared over rounds (--rounds, default 3): each round measures ours
 *    and every peer back to back, and the table gives the median of the rounds' own ratios with their range.
 * 3. The float64 SVD against numpy.
 * Flags: --quick (fewer steps; for a smoke test), --no-peers, --no-svd, --backends tensorflow,wasm,cpu,
 * --json FILE (every measurement, for RESULTS.md).
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { PAIR_RANKS, RESULT_MARKER, TRAIN_WARMUP, type BackendBenchResult } from "./backend-bench";
import { PEERS, peerConv, peerForward, peerTrain, type PeerConvResult, type PeerForwardResult } from "./peers";
import { formatInferenceComparison, formatPairs, formatReport, formatSvd, formatTrainingComparison, type BenchFailure, type PeerResults, type TrainingRound } from "./report";
import { benchSvd } from "./svd";
import { cpuTicks, machineDescription, stealPercent } from "../src/util/machine";

interface Plan {
  backend: "tensorflow" | "wasm" | "cpu";
  args: string[];
}

const CHILD_TIMEOUT_MS = 600_000;

function runChild(plan: Plan): Promise<BackendBenchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "backend-bench.ts"), "--backend", plan.backend, ...plan.args], {
      env: { ...process.env, LOWRANK_QUIET: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as BackendBenchResult);
      const why = signal ? `killed after ${CHILD_TIMEOUT_MS / 1000} s` : err.trim().split("\n").filter(Boolean).pop() ?? `exit code ${code}`;
      reject(new Error(why));
    });
  });
}

const load = () => loadavg().map((v) => v.toFixed(2)).join(", ");
const log = (m: string) => process.stderr.write(`${m}\n`);

async function main(): Promise<void> {
  const o = new Command()
    .option("--quick", "fewer steps and runs (a smoke test, not a measurement)")
    .option("--no-peers", "skip PyTorch and Keras")
    .option("--no-svd", "skip the SVD")
    .option("--backends <list>", "backends to measure", "tensorflow,wasm,cpu")
    .option("--rounds <n>", "training comparison rounds, each ours then every peer back to back (default 3; 1 with --quick)")
    .option("--json <file>", "also write every measurement as JSON")
    .parse()
    .opts<{ quick?: boolean; peers: boolean; svd: boolean; backends: string; rounds?: string; json?: string }>();
  const steps = o.quick ? 3 : 12;
  const runs = o.quick ? 2 : 7;
  const roundCount = o.rounds === undefined ? (o.quick ? 1 : 3) : Number(o.rounds);
  if (!Number.isInteger(roundCount) || roundCount < 1) throw new Error(`--rounds ${o.rounds}: give a whole number ≥ 1 (e.g. --rounds 3).`);
  const started = new Date();
  const loadBefore = load();
  const ticksBefore = cpuTicks();
  console.log(`npm run bench — ${started.toISOString()}; ${machineDescription()}; load average before: ${loadBefore}`);
  console.log(`Training: batch 64, random data, median of ${steps} steps after ${TRAIN_WARMUP} warm-up. Inference: batch 128, median of ${runs} runs.\n`);

  const plans: Plan[] = [
    { backend: "tensorflow", args: ["--vgg", "--forward", "--train-steps", String(steps), "--conv-runs", String(runs)] },
    { backend: "wasm", args: ["--train-steps", String(o.quick ? 3 : 6), "--conv-runs", String(runs)] },
    // Pure JS is far too slow for batch 128.
    { backend: "cpu", args: ["--no-train", "--conv-batch", "8", "--conv-runs", "3"] },
  ];
  const wanted = new Set(o.backends.split(","));
  const results: BackendBenchResult[] = [];
  const failures: BenchFailure[] = [];
  for (const plan of plans.filter((p) => wanted.has(p.backend))) {
    const t0 = Date.now();
    log(`- ${plan.backend} …`);
    try {
      results.push(await runChild(plan));
      log(`  done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) {
      failures.push({ backend: plan.backend, reason: e instanceof Error ? e.message : String(e) });
      log(`  not available: ${failures[failures.length - 1].reason}`);
    }
  }
  const native = results.find((r) => r.backend === "tensorflow");

  type Model = "vgg_small" | "reference_cnn";
  const oursOf = (r: BackendBenchResult | undefined): TrainingRound["ours"] => ({
    ...(r?.trainVgg ? { vgg_small: { imagesPerSecond: r.trainVgg.imagesPerSecond, batch: r.trainVgg.batch, stepMode: r.trainVgg.stepMode } } : {}),
    ...(r?.train ? { reference_cnn: { imagesPerSecond: r.train.imagesPerSecond, batch: r.train.batch, stepMode: r.train.stepMode } } : {}),
  });
  const peersTrain = async (): Promise<TrainingRound["peers"]> => {
    const out: TrainingRound["peers"] = { vgg_small: {}, reference_cnn: {} };
    for (const peer of o.peers ? PEERS : []) for (const model of ["vgg_small", "reference_cnn"] as Model[]) out[model]![peer] = await peerTrain(peer, model, 64, { steps, log });
    return out;
  };
  const peerConvResults: PeerResults<PeerConvResult> = {};
  const peerForwardResults: PeerResults<PeerForwardResult> = {};
  const rounds: TrainingRound[] = [];
  if (o.peers) {
    const modelRanks = Object.fromEntries((native?.forward?.networks ?? []).filter((n) => n.variant !== "dense").map((n) => [n.variant, n.ranks]));
    log(`- training, round 1 of ${roundCount}: peers …`);
    // Round 1's ours ran in the backend child above: its steal counts from the start of the bench.
    rounds.push({ ours: oursOf(native), peers: await peersTrain(), stealPercent: stealPercent(ticksBefore, cpuTicks()) });
    for (const peer of PEERS) {
      log(`- ${peer}: conv and inference …`);
      peerConvResults[peer] = await peerConv(peer, PAIR_RANKS, { steps: runs, log });
      peerForwardResults[peer] = await peerForward(peer, modelRanks, { steps: runs, log });
    }
  } else rounds.push({ ours: oursOf(native), peers: {} });
  // Later rounds alternate who goes first, so a drift in load does not always favour one side.
  for (let r = 2; r <= roundCount && native && o.peers; r++) {
    log(`- training, round ${r} of ${roundCount} …`);
    const ticks = cpuTicks();
    const oursNow = () => runChild({ backend: "tensorflow", args: ["--vgg", "--train-steps", String(steps), "--conv-batch", "8", "--conv-runs", "1"] }).then(oursOf, (e: Error) => {
        log(`  ours: not measured in round ${r} (${e.message})`);
        return {};
      });
    if (r % 2 === 0) {
      const peers = await peersTrain();
      rounds.push({ peers, ours: await oursNow(), stealPercent: stealPercent(ticks, cpuTicks()) });
    } else {
      const ours = await oursNow();
      rounds.push({ ours, peers: await peersTrain(), stealPercent: stealPercent(ticks, cpuTicks()) });
    }
  }
  const svd = o.svd ? await benchSvd() : [];

  console.log(`Backends (the project's own kernels and train()):`);
  console.log(formatReport(results, failures));
  if (native) {
    console.log(`\nTraining, ours (${native.version}) against peers — images/s; ours/peer > 1 means we are faster:`);
    console.log(formatTrainingComparison(rounds));
    console.log(`\nInference at batch 128 (one batch) — ms, and speed-up over the same library's dense version (theory: multiply-adds).`);
    console.log(`ours: deploy form (inferenceModel: BN folded into the convs, ReLU fused); as trained: BN and ReLU layers, LowRankConv2D.`);
    console.log(`PyTorch runs BN as a layer (eval mode); Keras graph leaves it to TensorFlow's graph optimiser, which can fuse it into the conv.`);
    console.log(formatInferenceComparison(native, peerConvResults, peerForwardResults));
    console.log(`\nEach V/H pair of the decomposed vggSmall alone against its dense conv (ours, batch 128):`);
    console.log(formatPairs(native));
  }
  if (svd.length) {
    console.log(`\nSVD (float64, random Gaussian n×n), seconds — all singular vectors, and values only:`);
    console.log(formatSvd(svd));
  }
  const steal = stealPercent(ticksBefore, cpuTicks());
  console.log(`\nLoad average after: ${load()} (before: ${loadBefore}); other processes slow every figure down.`);
  console.log(`CPU steal over the whole run: ${steal === undefined ? "unknown (no /proc/stat)" : `${steal.toFixed(1)} %`} (time the hypervisor gave to other guests).`);
  if (o.json) {
    const all = { started: started.toISOString(), loadBefore, loadAfter: load(), stealPercent: steal, backends: results, failures, peers: { trainRounds: rounds, conv: peerConvResults, forward: peerForwardResults }, svd };
    writeFileSync(o.json, `${JSON.stringify(all, null, 1)}\n`);
    console.log(`Every measurement: ${o.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
