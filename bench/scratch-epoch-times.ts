// Per-epoch training time of each from-scratch arm with today's steps, to project the from-scratch part's time.
// npx tsx bench/scratch-epoch-times.ts   (CIFAR10_DIR set; about 10 min on our 2-core machine)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "../src/backend/init";
import { loadCifar10 } from "../src/data";
import { fromScratchCompared, SCRATCH_ARMS } from "../src/experiments/from-scratch-compared";
import { dataOptions, profileSettings } from "../src/profiles";

async function main(): Promise<void> {
  const EPOCHS = 2;
  const root = mkdtempSync(join(tmpdir(), "scratch-epoch-times-"));
  const backend = await initBackend();
  const full = profileSettings("full");
  const settings = { ...full, scratchCompare: { ...full.scratchCompare, maxEpochs: EPOCHS, switchEpoch: 1 } };
  const data = await loadCifar10({ ...dataOptions(settings), trainLimit: settings.scratchCompare.trainLimit, dir: process.env.CIFAR10_DIR, download: false });
  const t0 = Date.now();
  let projected = 0;
  const rows = await fromScratchCompared(settings, data, {
    seeds: [0],
    arms: SCRATCH_ARMS.filter((a) => a !== "hybrid"),
    rule: (m) => ({ speedup: m === "tai-cnn" ? 5 : 2 }),
    checkpointsRoot: root,
    onRow: (r) => {
      const perEpoch = r.trainSeconds / r.epochs;
      const part = perEpoch * full.scratchCompare.maxEpochs * full.scratchCompare.seeds.length;
      projected += part;
      console.log(`${r.model} ${r.arm}: ${perEpoch.toFixed(1)} s/epoch → ${full.scratchCompare.maxEpochs} epochs × ${full.scratchCompare.seeds.length} seeds ${(part / 60).toFixed(1)} min`);
    },
  });
  console.log(`${backend.name}, ${rows.length} runs of ${EPOCHS} epochs in ${((Date.now() - t0) / 60000).toFixed(1)} min; arms but hybrid projected to ${(projected / 60).toFixed(1)} min of training`);
  data.dispose();
  rmSync(root, { recursive: true, force: true });

}
void main();
