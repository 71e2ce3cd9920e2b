/**
 * Where a training step of the project's own `train()` spends its time, on one backend.
 * Usage: tsx bench/profile-kernels.ts [--backend tensorflow|wasm|cpu] [--model vgg-small|reference-cnn]
 *        [--batch 64] [--steps 12]
 * Prints the TF.js kernels of one step (tf.profile; kernels the project builds from others are listed
 * with their own total, and their parts too) and, on tensorflow, the TensorFlow ops of `--steps` steps
 * timed where tfjs-node hands them over, with the step's time outside them, and the whole step op by op
 * beside the same step run as one TensorFlow graph (what train() does there). Also the load average and
 * the hypervisor's CPU steal over the run: on a shared virtual machine both move every figure.
 */
import { loadavg } from "node:os";
import { Command } from "commander";
import { initBackend } from "../src/backend/init";
import { cpuTicks, stealPercent } from "../src/util/machine";
import { TRAIN_WARMUP } from "./backend-bench";
import { benchTrainStep, profileKernels, profileNativeOps, type BenchModel, type OpTime } from "./train-step";

const line = ({ name, ms, calls }: OpTime) => `${name.padEnd(28)} ${ms.toFixed(2).padStart(8)} ms ${calls.toFixed(1).padStart(7)} calls`;

async function main(): Promise<void> {
  const o = new Command()
    .option("--backend <name>", "tensorflow | wasm | cpu", "tensorflow")
    .option("--model <name>", "vgg-small | reference-cnn", "vgg-small")
    .option("--batch <n>", "batch size", "64")
    .option("--steps <n>", "steps timed by TensorFlow op (tensorflow backend)", "12")
    .parse()
    .opts<{ backend: string; model: string; batch: string; steps: string }>();
  if (o.model !== "vgg-small" && o.model !== "reference-cnn") throw new Error(`--model ${o.model}: use vgg-small or reference-cnn.`);
  const batch = Number(o.batch);
  const steps = Number(o.steps);
  if (!(Number.isInteger(batch) && batch > 0) || !(Number.isInteger(steps) && steps > 0)) throw new Error(`--batch ${o.batch} --steps ${o.steps}: give whole numbers ≥ 1.`);
  const info = await initBackend(o.backend);
  const model = o.model as BenchModel;
  const ticks = cpuTicks();
  const load = loadavg()[0];

  const kernels = await profileKernels(model, batch);
  console.log(`\n${model}, one training step at batch ${batch} on ${info.name} (${info.version}; ${info.machine}): ${kernels.wallMs.toFixed(1)} ms wall under tf.profile`);
  console.log(`TF.js kernels (a composite's parts are listed too, so the column sums to more than the step):`);
  for (const r of kernels.rows.slice(0, 24)) console.log(line(r));

  if (info.name === "tensorflow") {
    const ops = await profileNativeOps(model, batch, steps);
    const outside = ops.stepMs - ops.nativeMs;
    console.log(`\nTensorFlow ops, per step over ${steps} steps: step ${ops.stepMs.toFixed(1)} ms = ${ops.nativeMs.toFixed(1)} ms in TensorFlow ops + ${outside.toFixed(1)} ms outside them (JavaScript, batches)`);
    for (const r of ops.rows.slice(0, 24)) console.log(line(r));
    console.log(line({ name: "all ops", ms: ops.nativeMs, calls: ops.rows.reduce((a, r) => a + r.calls, 0) }));
    // Back to back, twice, so a change in the machine's speed shows as disagreement between the pairs.
    for (let pair = 1; pair <= 2; pair++) {
      const eager = await benchTrainStep({ model, batch, warmup: TRAIN_WARMUP, steps, graphStep: false });
      const graph = await benchTrainStep({ model, batch, warmup: TRAIN_WARMUP, steps });
      console.log(
        `Whole step (median of ${steps}), pair ${pair}: op by op ${eager.stepMs.toFixed(1)} ms; train()'s default, ${graph.stepMode}: ${graph.stepMs.toFixed(1)} ms (${(eager.stepMs / graph.stepMs).toFixed(2)}× faster)`,
      );
    }
  }
  const steal = stealPercent(ticks, cpuTicks());
  console.log(`\nLoad average (1 min) before: ${load.toFixed(2)}, after: ${loadavg()[0].toFixed(2)}; CPU steal during the run: ${steal === undefined ? "unknown" : `${steal.toFixed(1)} %`}.`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
