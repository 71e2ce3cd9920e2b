import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runMainJob, type MainJobOptions } from "../../src/pipeline/main-job";
import { prepareCheckpointsDir, prepareOutDir, uniqueRunId } from "../../src/experiments/run-folders";
import { tempDir } from "../train/fixtures";

test("run ids are unique even when many runs start in the same millisecond", () => {
  const now = new Date("2026-12-01T20:00:00.123Z");
  const ids = new Set(Array.from({ length: 1000 }, () => uniqueRunId(now)));
  assert.equal(ids.size, 1000);
  assert.match([...ids][0], /^2026-12-01_20-00-00-123-[0-9a-f]{6}$/);
});

test("the results folder: refused when empty-named, a file, non-empty (unless --overwrite), or the working folder; cleared on --overwrite", () => {
  const base = tempDir("out");
  assert.throws(() => prepareOutDir("", false), /--out\) is empty/);
  assert.throws(() => prepareOutDir("  ", true), /--out\) is empty/);
  const file = join(base, "a-file");
  writeFileSync(file, "x");
  assert.throws(() => prepareOutDir(file, false), /is a file, not a folder/);
  assert.throws(() => prepareOutDir(join(file, "below"), false), /Cannot write into --out .*ENOTDIR/);
  const used = join(base, "used");
  mkdirSync(join(used, "figures"), { recursive: true });
  writeFileSync(join(used, "summary.csv"), "old");
  assert.throws(() => prepareOutDir(used, false), /already holds 2 file\(s\).*--overwrite/);
  assert.equal(prepareOutDir(used, true), used);
  assert.deepEqual(readdirSync(used), [], "cleared");
  assert.throws(() => prepareOutDir(".", true), /Refusing to clear/);
  assert.throws(() => prepareOutDir("..", true), /Refusing to clear/);
  const repo = join(base, "repo");
  mkdirSync(join(repo, ".git"), { recursive: true });
  assert.throws(() => prepareOutDir(repo, true), /git checkout/);
  assert.ok(existsSync(join(repo, ".git")));
  const fresh = join(base, "new", "run");
  assert.equal(prepareOutDir(fresh, false), fresh);
  assert.ok(existsSync(fresh));
  assert.throws(() => prepareCheckpointsDir(file), /--checkpoints .* is a file/);
});

test("bad targets and folders fail in seconds, before any data is read", async () => {
  const base = tempDir("main-args");
  const options = (o: Partial<MainJobOptions>): MainJobOptions => ({
    profile: "quick",
    model: "vgg-small",
    speedup: 2,
    sweepSpeedups: [2],
    sweep: false,
    fromScratch: false,
    outDir: join(base, `run-${Math.random()}`),
    checkpointsDir: join(base, "checkpoints"),
    dataDir: join(base, "no-data-here"),
    log: () => {},
    ...o,
  });
  const t0 = Date.now();
  await assert.rejects(runMainJob(options({ speedup: Infinity })), /Target speedup must be a positive number/);
  await assert.rejects(runMainJob(options({ speedup: 0 })), /Target speedup must be a positive number/);
  await assert.rejects(runMainJob(options({ speedup: 50 })), /Speed-up 50 does not fit layer 'conv1_1' of vgg-small: No rank reaches .*Choose a smaller --speedup/);
  await assert.rejects(runMainJob(options({ rank: 10 })), /Rank 10 does not fit layer 'conv1_1' of vgg-small: .*must be an integer in 1\.\.9, got 10\. Use a smaller --rank/);
  await assert.rejects(runMainJob(options({ model: "reference-cnn", fromScratch: true })), /The low-rank twin of reference-cnn cannot be built: reference-cnn takes no options.*--no-from-scratch/);
  await assert.rejects(runMainJob(options({ sweepSpeedups: [2, NaN] })), /Sweep speed-ups must be finite positive numbers, got NaN/);
  await assert.rejects(runMainJob(options({ outDir: "" })), /--out\) is empty/);
  const file = join(base, "file");
  writeFileSync(file, "x");
  await assert.rejects(runMainJob(options({ checkpointsDir: file })), /--checkpoints .* is a file/);
  // Valid arguments get as far as the data, which is missing here; no empty results folder is left.
  const out = join(base, "valid-run");
  await assert.rejects(runMainJob(options({ outDir: out })), /CIFAR-10/);
  assert.equal(existsSync(out), false);
  assert.ok(Date.now() - t0 < 30_000, "all refused quickly");
});
