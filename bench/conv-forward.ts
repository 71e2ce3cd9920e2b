import * as tf from "@tensorflow/tfjs";
import { timeIt } from "../src/measure";

export interface ConvForwardResult {
  batch: number;
  shape: string;
  ms: number;
  gflops: number;
  runs: number;
}

/**
 * Forward time of one 3×3 'same' conv (no bias), `batch`×size×size×cin → cout; median over `runs`.
 * Timed as the project times layers (`timeIt`: one output element read back), so a 32 MB copy of the
 * output to JavaScript is not counted.
 */
export async function benchConvForward(opts: { batch: number; size?: number; cin?: number; cout?: number; warmup: number; runs: number }): Promise<ConvForwardResult> {
  const { batch, size = 32, cin = 64, cout = 64 } = opts;
  const x = tf.randomNormal<tf.Rank.R4>([batch, size, size, cin]);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, cin, cout], 0, 0.05);
  try {
    const ms = (await timeIt(() => tf.conv2d(x, w, 1, "same"), { warmup: opts.warmup, runs: opts.runs })).medianMs;
    const flops = 2 * batch * size * size * cin * cout * 9;
    return { batch, shape: `${size}×${size}×${cin}→${cout}`, ms, gflops: flops / (ms * 1e6), runs: opts.runs };
  } finally {
    tf.dispose([x, w]);
  }
}
