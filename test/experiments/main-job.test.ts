import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runMainJob } from "../../src/pipeline/main-job";
import { decodePng, greyVariance, isPng } from "../../src/plot/png";
import { screenshot } from "../../src/plot/browser";
import { readCsvRows } from "../../src/tables/csv";
import { CIFAR10_DIR, tempDir } from "../train/fixtures";

test("the main job writes CSVs, figures and an index.html that renders (tiny run)", async () => {
  const out = tempDir("main-job");
  const lines: string[] = [];
  const result = await runMainJob({
    profile: "quick",
    model: "tiny-cnn",
    speedup: 2,
    sweepSpeedups: [2, 3],
    sweep: true,
    fromScratch: true,
    outDir: join(out, "run"),
    checkpointsDir: join(out, "checkpoints"),
    dataDir: CIFAR10_DIR,
    overrides: { trainLimit: 400, testLimit: 200, epochs: 1, scratchEpochs: 1, fineTuneEpochs: 1, batchSize: 50 },
    log: (l) => lines.push(l),
  });
  assert.equal(result.reportPath, join(out, "run", "index.html"));
  assert.ok(lines.some((l) => l.includes("report:")), "prints the report path");
  const summary = await readCsvRows<{ network: string; testAccuracy: number }>(join(out, "run", "summary.csv"));
  assert.deepEqual(summary.map((r) => r.network), ["baseline", "decomposed (no fine-tune)", "decomposed + fine-tuned", "low-rank from scratch (BN)"]);
  for (const r of summary) assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1);
  const sweep = await readCsvRows<{ layer: string }>(join(out, "run", "sweep-per-layer.csv"));
  assert.equal(sweep.length, 2 * 2, "two layers × two speed-ups");
  for (const f of ["spectra", "training-curves", "filters", "reconstruction-error", "accuracy-vs-rank", "speedup-vs-rank", "accuracy-vs-speedup"]) {
    for (const ext of ["html", "png", "svg"]) assert.ok(existsSync(join(out, "run", "figures", `${f}.${ext}`)), `${f}.${ext}`);
  }
  const html = readFileSync(result.reportPath, "utf8");
  assert.match(html, /figures\/spectra\.png/);
  // The decomposed network, twice: project layers (for training) and plain TF.js layers (deploy form).
  assert.match(readFileSync(join(out, "run", "models", "decomposed-fine-tuned", "model.json"), "utf8"), /LowRankConv2D/);
  assert.doesNotMatch(readFileSync(join(out, "run", "models", "decomposed-deploy", "model.json"), "utf8"), /LowRankConv2D|BatchNormalization/);

  // A second run with the same checkpoints folder loads the finished baseline instead of training it.
  const again: string[] = [];
  await runMainJob({
    profile: "quick", model: "tiny-cnn", speedup: 2, sweepSpeedups: [2], sweep: false, fromScratch: false,
    outDir: join(out, "run2"), checkpointsDir: join(out, "checkpoints"), dataDir: CIFAR10_DIR,
    overrides: { trainLimit: 400, testLimit: 200, epochs: 1, fineTuneEpochs: 1, batchSize: 50 },
    log: (l) => again.push(l),
  });
  assert.ok(again.some((l) => l.includes("baseline loaded")), again.join("\n"));

  // The report really shows its figures in a headless browser.
  const shot = join(out, "report.png");
  await screenshot(result.reportPath, shot, { width: 1100, height: 1400, fullPage: true });
  const png = readFileSync(shot);
  assert.ok(isPng(png));
  assert.ok(greyVariance(decodePng(png)) > 100, "the screenshot is not blank");
});

test("--scratch-recipe: the from-scratch net trained by TRP is reported as such; a hybrid without room for both phases fails before any training", async () => {
  const out = tempDir("main-job-recipe");
  const base = {
    profile: "quick" as const, model: "tiny-cnn" as const, speedup: 2, sweepSpeedups: [2], sweep: false, fromScratch: true,
    checkpointsDir: join(out, "checkpoints"), dataDir: CIFAR10_DIR, log: () => {},
  };
  const overrides = { trainLimit: 400, testLimit: 200, epochs: 1, scratchEpochs: 1, fineTuneEpochs: 1, batchSize: 50 };
  const { summary } = await runMainJob({ ...base, outDir: join(out, "trp"), scratchRecipe: "trp", overrides });
  const row = summary.find((r) => r.network === "low-rank from scratch (trp)");
  // One epoch on 400 images can sit at chance: check what TRP must get right, the decomposed net's ranks.
  const decomposed = summary.find((r) => r.network === "decomposed + fine-tuned");
  assert.ok(row && decomposed && row.params === decomposed.params && row.convSpeedupTheoretical === decomposed.convSpeedupTheoretical, JSON.stringify(summary));
  assert.ok(row.testAccuracy >= 0 && row.testAccuracy <= 1);
  assert.ok(existsSync(join(out, "checkpoints", "tiny-cnn-quick", "from-scratch-2x-trp")));
  const fresh = join(out, "checkpoints-hybrid");
  await assert.rejects(() => runMainJob({ ...base, checkpointsDir: fresh, outDir: join(out, "hybrid"), scratchRecipe: "hybrid", overrides }), /hybrid recipe needs at least 2 epochs .* raise --scratch-epochs/);
  assert.ok(!existsSync(join(fresh, "tiny-cnn-quick", "training")), "refused before the baseline trained");
});

test("--method tucker2: decomposes, fine-tunes, sweeps, trains its twin from scratch (BN stays after the layer) and reports ranks as R1×R2", async () => {
  const out = tempDir("main-job-tucker2");
  const { summary } = await runMainJob({
    profile: "quick", model: "tiny-cnn", speedup: 2, sweepSpeedups: [2], method: "tucker2", fromScratch: true, sweep: true,
    outDir: join(out, "run"), checkpointsDir: join(out, "checkpoints"), dataDir: CIFAR10_DIR, log: () => {},
    overrides: { trainLimit: 400, testLimit: 200, epochs: 1, scratchEpochs: 1, fineTuneEpochs: 1, batchSize: 50, measureBatchSize: 8 },
  });
  assert.deepEqual(summary.map((r) => r.network), ["baseline", "decomposed (no fine-tune)", "decomposed + fine-tuned", "low-rank from scratch (BN)"]);
  const rows = (await readCsvRows(join(out, "run", "decomposition.csv"))) as { rank: unknown; measuredSpeedup: unknown }[];
  assert.ok(rows.length > 0 && rows.every((r) => /^\d+×\d+$/.test(String(r.rank))), JSON.stringify(rows));
  assert.ok(rows.every((r) => Number(r.measuredSpeedup) > 0), "each layer's Tucker-2 replacement was timed by the sweep");
  const sweep = (await readCsvRows(join(out, "run", "sweep-per-layer.csv"))) as { rank: unknown; rankLabel: unknown }[];
  assert.ok(sweep.length > 0 && sweep.every((r) => String(r.rankLabel).startsWith(`${r.rank}×`)), JSON.stringify(sweep));
  assert.doesNotMatch(readFileSync(join(out, "run", "models", "decomposed-deploy", "model.json"), "utf8"), /Tucker2Conv2D|BatchNormalization/);
});

test("--method svd on the authors' CNN: its 1×1 conv and both Dense layers are factored, swept, timed, and deployed as standard layers", async () => {
  const out = tempDir("main-job-svd");
  await runMainJob({
    profile: "quick", model: "tai-cnn", speedup: 2, sweepSpeedups: [2], method: "svd", fromScratch: false, sweep: true,
    outDir: join(out, "run"), checkpointsDir: join(out, "checkpoints"), dataDir: CIFAR10_DIR, log: () => {},
    overrides: { trainLimit: 400, testLimit: 200, epochs: 1, fineTuneEpochs: 1, batchSize: 50, measureBatchSize: 8 },
  });
  const rows = (await readCsvRows(join(out, "run", "decomposition.csv"))) as { layer: unknown; measuredSpeedup: unknown }[];
  assert.deepEqual(rows.map((r) => r.layer), ["conv4", "fc1", "logits"]);
  assert.ok(rows.every((r) => Number(r.measuredSpeedup) > 0), "each replacement was timed");
  assert.match(readFileSync(join(out, "run", "models", "decomposed-fine-tuned", "model.json"), "utf8"), /LowRankDense/);
  assert.doesNotMatch(readFileSync(join(out, "run", "models", "decomposed-deploy", "model.json"), "utf8"), /LowRankDense|LowRankConv2D|BatchNormalization/);
});

test("--method jaderberg: the iterative fit's network is decomposed, fine-tuned and reported like Tai's", async () => {
  const out = tempDir("main-job-jaderberg");
  const { summary } = await runMainJob({
    profile: "quick", model: "tiny-cnn", speedup: 2, sweepSpeedups: [2], method: "jaderberg", fromScratch: false, sweep: false,
    outDir: join(out, "run"), checkpointsDir: join(out, "checkpoints"), dataDir: CIFAR10_DIR, log: () => {},
    overrides: { trainLimit: 400, testLimit: 200, epochs: 1, fineTuneEpochs: 1, batchSize: 50 },
  });
  assert.deepEqual(summary.map((r) => r.network), ["baseline", "decomposed (no fine-tune)", "decomposed + fine-tuned"]);
  const rows = (await readCsvRows(join(out, "run", "decomposition.csv"))) as { layer: unknown; relativeError: unknown }[];
  assert.deepEqual(rows.map((r) => r.layer), ["conv1", "conv2"]);
  assert.ok(rows.every((r) => Number(r.relativeError) > 0 && Number(r.relativeError) < 1), JSON.stringify(rows));
});

test("--method cp: decomposes by ALS, fine-tunes, trains its twin from scratch and exports a deploy form of standard layers", async () => {
  const out = tempDir("main-job-cp");
  const { summary } = await runMainJob({
    profile: "quick", model: "tiny-cnn", speedup: 2, sweepSpeedups: [2], method: "cp", fromScratch: true, sweep: false,
    outDir: join(out, "run"), checkpointsDir: join(out, "checkpoints"), dataDir: CIFAR10_DIR, log: () => {},
    overrides: { trainLimit: 400, testLimit: 200, epochs: 1, scratchEpochs: 1, fineTuneEpochs: 1, batchSize: 50 },
  });
  assert.ok(summary.length === 4 && summary.every((r) => r.testAccuracy >= 0 && r.testAccuracy <= 1), JSON.stringify(summary));
  assert.match(readFileSync(join(out, "run", "models", "decomposed-fine-tuned", "model.json"), "utf8"), /CpConv2D/);
  assert.doesNotMatch(readFileSync(join(out, "run", "models", "decomposed-deploy", "model.json"), "utf8"), /CpConv2D|BatchNormalization/);
});
