/**
 * The project's own `train()` on random images: median step time of vggSmall (full-profile widths) or
 * the reference CNN. Steps are timed between `onStep` calls, so batch preparation and the loss
 * read-back count, as they do in a real run. Also where a step spends its time: TF.js kernels
 * (`profileKernels`) and TensorFlow ops (`profileNativeOps`).
 */
import * as tf from "@tensorflow/tfjs";
import { createSplit } from "../src/data";
import { referenceCnn, vggSmall } from "../src/models";
import { train, type StepMode, type TrainOptions } from "../src/train";
import { median } from "../src/measure/time-it";
import { interceptNativeOps, nativeBackend } from "../src/backend/native-ops";

export type BenchModel = "vgg-small" | "reference-cnn";

export interface TrainStepResult {
  model: BenchModel;
  batch: number;
  stepMs: number;
  imagesPerSecond: number;
  steps: number;
  /** How train() ran the steps: "graph (N ops)" or "op by op (why)". */
  stepMode: string;
}

/** vggSmall as the full profile trains it (SGD Nesterov, wd 5e-4); the reference CNN with Adam. One epoch, constant rate, silent. */
function setup(model: BenchModel, batchSize: number): { net: tf.LayersModel; options: TrainOptions } {
  const common = { epochs: 1, batchSize, lrSchedule: "constant", progress: "none" } as const;
  if (model === "vgg-small") {
    return { net: vggSmall({ widths: [32, 64, 128], seed: 1 }), options: { ...common, optimizer: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 } };
  }
  return { net: referenceCnn(), options: { ...common, optimizer: "adam", learningRate: 1e-3 } };
}

/** Random CIFAR-shaped images and labels (a fixed LCG: the same data every run). */
export function randomSplit(n: number, seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  const pixels = Uint8Array.from({ length: n * 3072 }, next);
  const labels = Int32Array.from({ length: n }, () => next() % 10);
  return createSplit(pixels, labels, [125, 123, 114], [63, 62, 66]);
}

/** Median step time of train(); `graphStep: false` makes it run op by op (default: train()'s own choice). */
export async function benchTrainStep(opts: { model: BenchModel; batch: number; warmup: number; steps: number; graphStep?: boolean }): Promise<TrainStepResult> {
  const { net, options } = setup(opts.model, opts.batch);
  const total = opts.warmup + opts.steps + 1;
  const split = randomSplit(opts.batch * total, 7);
  const stamps: number[] = [];
  let mode: StepMode | undefined;
  try {
    const graph = opts.graphStep === undefined ? {} : { graphStep: opts.graphStep };
    mode = (await train(net, { train: split }, { ...options, ...graph, onStep: () => stamps.push(performance.now()) })).stepMode;
  } finally {
    split.dispose();
    net.dispose();
  }
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]).slice(opts.warmup);
  const stepMs = median(gaps);
  const stepMode = mode?.mode === "graph" ? `graph (${mode.ops} ops)` : `op by op (${mode?.reason ?? "unknown"})`;
  return { model: opts.model, batch: opts.batch, stepMs, imagesPerSecond: (opts.batch * 1000) / stepMs, steps: gaps.length, stepMode };
}

export interface OpTime {
  name: string;
  /** Milliseconds per training step. */
  ms: number;
  /** Calls per training step. */
  calls: number;
}

const byTime = (m: Map<string, { ms: number; calls: number }>, per: number): OpTime[] =>
  [...m.entries()].map(([name, v]) => ({ name, ms: v.ms / per, calls: v.calls / per })).sort((a, b) => b.ms - a.ms);

/** TF.js kernel time of one training step by kernel name (tf.profile; any backend), and the step's wall time. */
export async function profileKernels(model: BenchModel, batch: number): Promise<{ wallMs: number; kernelMs: number; rows: OpTime[] }> {
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
    const rows = byTime(byName, 1);
    return { wallMs, kernelMs: rows.reduce((a, r) => a + r.ms, 0), rows };
  } finally {
    split.dispose();
    net.dispose();
  }
}

/**
 * Wall time of every TensorFlow op tfjs-node runs during `steps` training steps, by op name, per step
 * (tensorflow backend). Timed where the backend hands an op to TensorFlow, so it also counts what
 * tf.profile misses: ops run by name (fused batch norm, activation gradients). The step's time outside
 * these calls is JavaScript (TF.js's engine, layers and autodiff) and batch preparation.
 */
export async function profileNativeOps(model: BenchModel, batch: number, steps: number): Promise<{ stepMs: number; nativeMs: number; rows: OpTime[] }> {
  const backend = nativeBackend();
  if (!backend) throw new Error(`profileNativeOps needs the tensorflow backend (tfjs-node); the active backend is ${tf.getBackend()}. Run with --backend tensorflow.`);
  const { net, options } = setup(model, batch);
  const split = randomSplit(batch * (steps + 3), 5);
  const byName = new Map<string, { ms: number; calls: number }>();
  let counting = false;
  const restore = interceptNativeOps(backend, (name, _attrs, _inputs, run) => {
    if (!counting) return run();
    const t0 = performance.now();
    try {
      return run();
    } finally {
      const e = byName.get(name) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      byName.set(name, e);
    }
  });
  const stamps: number[] = [];
  try {
    // Op by op: a graph step hands TensorFlow one call, not its ops.
    await train(net, { train: split }, { ...options, graphStep: false, onStep: () => { stamps.push(performance.now()); counting = stamps.length >= 3 && stamps.length < steps + 3; } });
  } finally {
    restore();
    split.dispose();
    net.dispose();
  }
  // Counted: the steps between the 3rd and the last stamp.
  const counted = stamps.length - 3;
  const rows = byTime(byName, counted);
  return { stepMs: (stamps[stamps.length - 1] - stamps[2]) / counted, nativeMs: rows.reduce((a, r) => a + r.ms, 0), rows };
}
