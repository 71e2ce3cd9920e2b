#!/usr/bin/env tsx
// `npm run reproduce [-- flags]`: the paper's claims, part by part, resumable (src/pipeline/reproduce.ts).
import { join } from "node:path";
import { Command, Option } from "commander";
import { lockHolder } from "../util/folder-lock";
import { PROFILE_NAMES, profileName, profileSettings } from "../profiles";
import { ACTION_ON_RERUN, PARTS, describePartState, partState, readSummary, reproduce } from "../pipeline/reproduce";

async function main(): Promise<void> {
  const program = new Command()
    .name("npm run reproduce --")
    .description(
      "Run the parts of the paper's reproduction that are not done yet; each writes reproduction/<profile>/<part>.json, and RESULTS.md's reproduction section is regenerated from them. " +
        "Interrupt it any time: finished parts and the finished runs of an unfinished part are kept, trained baselines resume from checkpoints/.",
    )
    .addOption(new Option("--profile <name>", "quick (minutes) or full (the real experiment); default LOWRANK_PROFILE or quick").choices([...PROFILE_NAMES]))
    .addOption(new Option("--only <parts...>", "run only these parts").choices(PARTS.map((p) => p.name)))
    .option("--redo", "run the chosen parts again even if their summaries are current")
    .option("--list", "list the parts and whether each is done, then stop")
    .option("--out <dir>", "where the summaries go", "reproduction")
    .option("--checkpoints <dir>", "where training checkpoints are cached", "checkpoints")
    .option("--results <file>", "the file whose reproduction section is regenerated", "RESULTS.md")
    .option("--data <dir>", "CIFAR-10 binary folder (default CIFAR10_DIR or data/cifar-10-batches-bin)")
    .option("--offline", "never download CIFAR-10")
    .showHelpAfterError();
  program.parse();
  const o = program.opts();
  const profile = profileName(o.profile);
  if (o.list) {
    const running = lockHolder(join(o.out, profile));
    if (running) console.log(`running now: process ${running.pid} on ${running.host} (${running.purpose}, since ${running.since}); the states below are as of its last finished run`);
    for (const p of PARTS) {
      const state = partState(p, readSummary(o.out, profile, p.name), profileSettings(profile));
      console.log(`${p.name.padEnd(14)} ${describePartState(state)} (${ACTION_ON_RERUN[state.kind]}) — ${p.description}`);
    }
    return;
  }
  await reproduce({
    profile,
    only: o.only,
    redo: Boolean(o.redo),
    outDir: o.out,
    checkpointsDir: o.checkpoints,
    resultsFile: o.results,
    dataDir: o.data,
    download: !o.offline,
    command: process.argv.length > 2 ? `npm run reproduce -- ${process.argv.slice(2).join(" ")}` : "npm run reproduce",
  });
}

main().catch((err: Error) => {
  console.error(`\nError: ${err.message}`);
  if (process.env.LOWRANK_DEBUG === "1") console.error(err.stack);
  process.exit(1);
});
