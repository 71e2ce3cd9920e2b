/**
 * The project's own `train()` on random images: median step time of vggSmall (full-profile widths) or
 * the reference CNN. Steps are timed between `onStep` calls, so batch preparation and the loss
 * read-back count, as they do in a real run. Also a per-kernel profile of one step (`profileStep`).
 */
import * as tf from "@tensorflow/tfjs";
import { createSplit } from "../src/data";
import { referenceCnn, vggSmall } from "../src/models";
import { train, type TrainOptions } from "../src/train";
import { median } from "../src/measure/time-it";

export type BenchModel = "vgg-small" | "reference-cnn";

export interface TrainStepResult {
  model: BenchModel;
  batch: number;
  stepMs: number;
  imagesPerSecond: number;
  steps: number;
}

/** vggSmall as the full profile trains it (SGD Nesterov, wd 5e-4); the reference CNN with Adam. One epoch, constant rate, silent. */
function setup(model: BenchModel, batchSize: number): { net: tf.LayersModel; options: TrainOptions } {
  const common = { epochs: 1, batchSize, lrSchedule: "constant", progress: "none" } as const;
  if (model === "vgg-small") {
    return { net: vggSmall({ widths: [32, 64, 128], seed: 1 }), options: { ...common, optimizer: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 } };
  }
  return { net: referenceCnn(), options: { ...common, optimizer: "adam", learningRate: 1e-3 } };
}

function randomSplit(n: number, seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  const pixels = Uint8Array.from({ length: n * 3072 }, next);
  const labels = Int32Array.from({ length: n }, () => next() % 10);
  return createSplit(pixels, labels, [125, 123, 114], [63, 62, 66]);
}

export async function benchTrainStep(opts: { model: BenchModel; batch: number; warmup: number; steps: number }): Promise<TrainStepResult> {
  const { net, options } = setup(opts.model, opts.batch);
  const total = opts.warmup + opts.steps + 1;
  const split = randomSplit(opts.batch * total, 7);
  const stamps: number[] = [];
  try {
    await train(net, { train: split }, { ...options, onStep: () => stamps.push(performance.now()) });
  } finally {
    split.dispose();
    net.dispose();
  }
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]).slice(opts.warmup);
  const stepMs = median(gaps);
  return { model: opts.model, batch: opts.batch, stepMs, imagesPerSecond: (opts.batch * 1000) / stepMs, steps: gaps.length };
}

/** Kernel time of one training step by kernel name, and the step's wall time. */
export async function profileStep(model: BenchModel, batch: number): Promise<{ wallMs: number; kernelMs: number; rows: { name: string; ms: number; calls: number }[] }> {
  const { net, options } = setup(model, batch);
  const split = randomSplit(batch * 4, 3);
  const run = (steps: number) => train(net, { train: split }, { ...options, maxStepsPerEpoch: steps });
  try {
    await run(3);
    const t0 = performance.now();
    const profile = await tf.profile(() => run(1).then(() => []));
    const wallMs = performance.now() - t0;
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of profile.kernels) {
      const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      e.calls++;
      byName.set(k.name, e);
    }
    const rows = [...byName.entries()].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.ms - a.ms);
    return { wallMs, kernelMs: rows.reduce((a, r) => a + r.ms, 0), rows };
  } finally {
    split.dispose();
    net.dispose();
  }
}
