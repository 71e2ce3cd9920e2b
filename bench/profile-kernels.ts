/**
 * Where a reference-CNN training step spends its time, kernel by kernel (tf.profile), on one backend.
 * Usage: tsx bench/profile-kernels.ts [--backend wasm] [--batch 64]. Kernels the project builds from other
 * kernels (wasm gradients) are listed with their own total, and their parts are listed too.
 */
import * as tf from "@tensorflow/tfjs";
import { Command } from "commander";
import { initBackend } from "../src/backend/init";
import { referenceCnn } from "../src/models/reference-cnn";

async function main(): Promise<void> {
  const opts = new Command().option("--backend <name>", "tensorflow | wasm | cpu", "wasm").option("--batch <n>", "batch size", "64").parse().opts<{ backend: string; batch: string }>();
  await initBackend(opts.backend);
  const batch = Number(opts.batch);
  const model = referenceCnn();
  const optimizer = tf.train.adam(1e-3);
  const xs = tf.randomNormal([batch, 32, 32, 3]);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D, 10));
  const step = () =>
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, true);
  for (let i = 0; i < 2; i++) tf.dispose(step() ?? []);
  const t0 = performance.now();
  const profile = await tf.profile(() => step() ?? []);
  const wall = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    byName.set(k.name, e);
  }
  const rows = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20);
  console.log(`one training step, batch ${batch}: ${wall.toFixed(0)} ms wall (profiling adds overhead)`);
  for (const [name, { ms, calls }] of rows) console.log(`${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms  ${String(calls).padStart(4)} calls`);
  tf.dispose([xs, ys]);
  model.dispose();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
