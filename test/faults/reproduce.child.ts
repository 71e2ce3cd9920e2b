/** A tiny reproduction run (seconds per part) for the kill-and-resume test: args outDir checkpoints resultsFile. */
import { reproduce } from "../../src/pipeline/reproduce";
import { CIFAR10_DIR } from "../train/fixtures";

/** Every network a few thousand parameters, 200 training images, one epoch (two from scratch: a hybrid needs both phases). */
export const TINY = {
  trainLimit: 200,
  testLimit: 100,
  epochs: 1,
  fineTuneEpochs: 1,
  batchSize: 50,
  measureBatchSize: 8,
  widths: [4, 8, 8],
  scratchCompare: { trainLimit: 200, maxEpochs: 2, patience: 1, seeds: [0], switchEpoch: 1, projectEverySteps: 2, trpNuclearDecay: 3e-4 },
  zoo: { nin: { widthMultiplier: 0.1 }, "tai-cnn": { widthMultiplier: 0.125 }, resnet: { depth: 8, widths: [4, 8, 8] as [number, number, number] }, inception: { widthMultiplier: 0.125 } },
};

if (require.main === module) {
  const [outDir, checkpointsDir, resultsFile] = process.argv.slice(2);
  reproduce({ profile: "quick", outDir, checkpointsDir, resultsFile, dataDir: CIFAR10_DIR, download: false, overrides: TINY, command: "tiny test run", log: (l) => console.log(l) }).then(
    () => console.log("EXIT ok"),
    (err: Error) => {
      console.log(`EXIT error ${err.message}`);
      process.exit(1);
    },
  );
}
