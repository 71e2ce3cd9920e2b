import * as tf from "@tensorflow/tfjs";
import { median, timeRuns } from "./timing";

export interface ConvForwardResult {
  batch: number;
  shape: string;
  ms: number;
  gflops: number;
  runs: number;
}

/** Forward time of one 3×3 'same' conv (no bias), `batch`×size×size×cin → cout; median over `runs`. */
export async function benchConvForward(opts: { batch: number; size?: number; cin?: number; cout?: number; warmup: number; runs: number }): Promise<ConvForwardResult> {
  const { batch, size = 32, cin = 64, cout = 64 } = opts;
  const x = tf.randomNormal<tf.Rank.R4>([batch, size, size, cin]);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, cin, cout], 0, 0.05);
  const times = await timeRuns(
    async () => {
      const y = tf.conv2d(x, w, 1, "same");
      await y.data(); // wait for the result, not just the dispatch
      y.dispose();
    },
    { warmup: opts.warmup, runs: opts.runs },
  );
  tf.dispose([x, w]);
  const ms = median(times.wallMs);
  const flops = 2 * batch * size * size * cin * cout * 9;
  return { batch, shape: `${size}×${size}×${cin}→${cout}`, ms, gflops: flops / (ms * 1e6), runs: opts.runs };
}
