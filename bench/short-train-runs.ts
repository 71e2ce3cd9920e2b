/**
 * Wall time of short train() calls (5–40 steps: the pattern of tests, notebooks, sweeps and layer-by-layer
 * fine-tunes) with graph steps on and off, each twice, on random data: what tracing and loading a graph costs
 * a short run. `npx tsx bench/short-train-runs.ts` (tensorflow backend).
 */
import { initBackend } from "../src/backend/init";
import { vggSmall } from "../src/models";
import { train } from "../src/train";
import { randomSplit } from "./train-step";

async function main(): Promise<void> {
  await initBackend("tensorflow");
  const split = randomSplit(64 * 41, 7);
  for (const widths of [[16, 32, 64], [32, 64, 128]] as [number, number, number][]) {
    for (const steps of [5, 10, 20, 40]) {
      const row: string[] = [];
      for (const graphStep of [false, true, false, true]) {
        const model = vggSmall({ widths, seed: 1 });
        const t0 = performance.now();
        const r = await train(model, { train: split }, { epochs: 1, batchSize: 64, optimizer: "sgd", learningRate: 0.05, momentum: 0.9, maxStepsPerEpoch: steps, evaluateEachEpoch: false, progress: "none", graphStep });
        row.push(`${graphStep ? "graph" : "op by op"} ${((performance.now() - t0) / 1000).toFixed(2)} s (${r.stepMode?.mode})`);
        model.dispose();
      }
      console.log(`vggSmall ${widths.join("-")}, ${steps} steps: ${row.join(" | ")}`);
    }
  }
  split.dispose();
}
void main();
