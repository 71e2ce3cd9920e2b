import * as tf from "@tensorflow/tfjs";
import { referenceCnn } from "../src/models/reference-cnn";
import { median, timeRuns } from "./timing";

export interface TrainResult {
  batch: number;
  imagesPerSecond: number;
  stepMs: number;
  /** CPU time of a step (all threads): what the step would take alone on as many idle cores. */
  stepCpuMs: number;
  steps: number;
}

/** Training throughput of the reference CNN (Adam, random data): median step time after warm-up. */
export async function benchTraining(opts: { batch: number; warmup: number; steps: number }): Promise<TrainResult> {
  const model = referenceCnn();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const xs = tf.randomNormal([opts.batch, 32, 32, 3]);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([opts.batch], 0, 10, "int32") as tf.Tensor1D, 10));
  const times = await timeRuns(
    async () => {
      await model.trainOnBatch(xs, ys); // resolves once the loss is read back: the step has finished
    },
    { warmup: opts.warmup, runs: opts.steps },
  );
  tf.dispose([xs, ys]);
  model.dispose();
  const stepMs = median(times.wallMs);
  return { batch: opts.batch, imagesPerSecond: (opts.batch * 1000) / stepMs, stepMs, stepCpuMs: median(times.cpuMs), steps: opts.steps };
}
