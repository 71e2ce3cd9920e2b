/**
 * A training run for the fault-injection tests, in its own process so it can be killed.
 * argv: <checkpointDir> [fault]; fault "write:N" kills the process (SIGKILL, by itself) in the middle
 * of the N-th file write of a checkpoint — after the temporary file is written, before its rename.
 * Prints "PID n" first, "STEP e s" after each step and "DONE <json history>" at the end.
 */
import { tinyCnn } from "../../src/models";
import { train } from "../../src/train/train";
import { smallCifar } from "../train/fixtures";

const [dir, fault] = process.argv.slice(2);
const writeFault = /^write:(\d+)$/.exec(fault ?? "");
if (writeFault) {
  let writes = 0;
  // The module object itself (not an ES namespace copy), so the project's own imports see the patch.
  const fs = require("node:fs") as typeof import("node:fs");
  const rename = fs.renameSync;
  fs.renameSync = (from, to) => {
    if (String(from).includes(".tmp-") && ++writes === Number(writeFault[1])) process.kill(process.pid, "SIGKILL");
    rename(from, to);
  };
}

(async () => {
  process.stdout.write(`PID ${process.pid}\n`);
  const data = await smallCifar(400, 100);
  const model = tinyCnn({ seed: 1 });
  const result = await train(model, data, {
    epochs: 3,
    batchSize: 50,
    learningRate: 0.05,
    seed: 5,
    progress: "none",
    checkpointDir: dir,
    resume: true,
    keepCheckpoints: 2,
    onStep: ({ epoch, step }) => process.stdout.write(`STEP ${epoch} ${step}\n`),
  });
  process.stdout.write(`DONE ${JSON.stringify(result.history)}\n`);
})().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
