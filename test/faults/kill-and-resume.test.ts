/**
 * Fault injection: real training and download processes are killed with SIGKILL at several points;
 * each time a rerun must resume or recover, no finished epoch may be lost or corrupted, and no
 * partial file may be left behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as tar from "tar";
import { md5File } from "../../src/data/checksum";
import { CIFAR10_CLASSES } from "../../src/data/classes";
import { downloadCifar10 } from "../../src/data/download";
import { join } from "node:path";
import { latestCheckpoint, loadCheckpoint } from "../../src/train/checkpoint";
import type { TrainHistoryRow } from "../../src/train/history";
import { tempDir } from "../train/fixtures";
import { runChildLines } from "./child-process";

const CHILD = join(__dirname, "train.child.ts");

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  steps: string[];
  history?: TrainHistoryRow[];
  stderr: string;
}

/**
 * Run the training child; `killAt` sends SIGKILL from outside when that STEP line appears, or with
 * `sigterm` a SIGTERM to the training process itself (the one tsx starts, under `tsxCli`), as `kill <pid>` does.
 */
async function runChild(dir: string, opts: { fault?: string; killAt?: string; sigterm?: boolean; tsxCli?: boolean } = {}): Promise<Run> {
  const steps: string[] = [];
  let history: TrainHistoryRow[] | undefined;
  let pid: number | undefined;
  const exit = await runChildLines(
    CHILD,
    [dir, ...(opts.fault ? [opts.fault] : [])],
    (line, kill) => {
      if (line.startsWith("PID ")) pid = Number(line.slice(4));
      else if (line.startsWith("STEP ")) {
        steps.push(line.slice(5));
        if (line.slice(5) === opts.killAt) (opts.sigterm ? () => process.kill(pid!, "SIGTERM") : kill)();
      } else if (line.startsWith("DONE ")) {
        history = JSON.parse(line.slice(5)) as TrainHistoryRow[];
      }
    },
    { tsxCli: opts.tsxCli },
  );
  return { ...exit, steps, history };
}

/** Every file under `dir` (one level of epoch folders), for leftovers. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? readdirSync(join(dir, f)).map((g) => `${f}/${g}`) : [f]));
}

const partial = (dir: string) => files(dir).filter((f) => /\.tmp-|\.part|\.lock$/.test(f));

/** What an epoch's row says about the training itself (its timings differ from run to run). */
const outcome = (rows: TrainHistoryRow[]) => rows.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);

/** The history in the last complete checkpoint ([] when there is none); it must load. */
async function savedHistory(dir: string): Promise<TrainHistoryRow[]> {
  if (!latestCheckpoint(dir)) return [];
  const ckpt = await loadCheckpoint(dir);
  assert.ok(ckpt, "a complete checkpoint is there");
  try {
    return ckpt.state.history;
  } finally {
    ckpt.dispose();
  }
}

let reference: TrainHistoryRow[] = [];

test("reference: an uninterrupted run", async () => {
  const run = await runChild(tempDir("fault-ref"));
  assert.equal(run.code, 0, run.stderr);
  reference = run.history ?? [];
  assert.equal(reference.length, 3);
});

for (const [what, opts] of [
  ["killed from outside mid-epoch (epoch 2, step 3)", { killAt: "2 3" }],
  ["killed from outside in the first epoch, before any checkpoint", { killAt: "1 2" }],
  ["killed inside the first file write of the epoch-1 checkpoint", { fault: "write:1" }],
  ["killed inside a later write of the epoch-2 checkpoint (model written, state not)", { fault: "write:10" }],
  ["killed inside the write of latest.json for epoch 2", { fault: "write:12" }],
] as const) {
  test(`SIGKILL ${what}: the rerun resumes, keeps finished epochs, ends like an uninterrupted run, leaves nothing partial`, async () => {
    const dir = tempDir("fault");
    const killed = await runChild(dir, opts);
    assert.equal(killed.signal, "SIGKILL", `the child was killed (code ${killed.code}: ${killed.stderr})`);
    if ("fault" in opts) assert.ok(partial(dir).some((f) => f.includes(".tmp-")), "the kill left a temporary file for the rerun to clean");
    const saved = await savedHistory(dir);
    assert.equal(saved.length, latestCheckpoint(dir)?.epoch ?? 0);
    assert.deepEqual(outcome(saved), outcome(reference.slice(0, saved.length)), "the finished epochs are intact");

    const rerun = await runChild(dir);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(Number(rerun.steps[0]?.split(" ")[0]), saved.length + 1, "resumed after the last complete epoch");
    const history = rerun.history ?? [];
    assert.equal(history.length, 3);
    assert.deepEqual(history.slice(0, saved.length), saved, "finished epochs restored as saved, not retrained");
    for (const [i, row] of history.entries()) {
      assert.ok(Math.abs(row.trainLoss - reference[i].trainLoss) < 1e-4, `epoch ${i + 1}: loss ${row.trainLoss} vs uninterrupted ${reference[i].trainLoss}`);
    }
    assert.deepEqual(partial(dir), [], "no temporary, partial or lock file left");
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("epoch-")).sort(), ["epoch-0002", "epoch-0003"], "the kept checkpoints");
  });
}

test("SIGKILL mid-download: the partial file and the lock stay behind; the rerun cleans them and completes", async () => {
  const root = tempDir("fault-download");
  const src = join(root, "src", "cifar-10-batches-bin");
  mkdirSync(src, { recursive: true });
  ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"].forEach((name, f) => {
    const bytes = new Uint8Array(30_730_000);
    for (let r = 0; r < 10_000; r++) bytes[r * 3073] = (r + f) % 10;
    writeFileSync(join(src, name), bytes);
  });
  writeFileSync(join(src, "batches.meta.txt"), `${CIFAR10_CLASSES.join("\n")}\n`);
  const archive = join(root, "served.tar.gz");
  await tar.c({ gzip: true, file: archive, cwd: join(root, "src") }, ["cifar-10-batches-bin"]);
  const body = readFileSync(archive);
  const md5 = await md5File(archive);
  // Slow: 16 KB every 20 ms, so the transfer is caught mid-way.
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": body.length });
    let at = 0;
    const tick: NodeJS.Timeout = setInterval(() => {
      if (res.destroyed) return clearInterval(tick);
      res.write(body.subarray(at, (at += 16_384)));
      if (at >= body.length) {
        clearInterval(tick);
        res.end();
      }
    }, 20);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar-10-binary.tar.gz`;
  const dataDir = join(root, "data");
  try {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "download.child.ts"), dataDir, url, md5], { stdio: "ignore" });
    const deadline = Date.now() + 60_000;
    while (!(existsSync(dataDir) && readdirSync(dataDir).some((f) => f.includes(".part-") && statSync(join(dataDir, f)).size > 0))) {
      assert.ok(Date.now() < deadline, "the download started");
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    assert.ok(readdirSync(dataDir).some((f) => f.includes(".part-")), "a partial file is left");
    assert.ok(existsSync(join(dataDir, ".cifar10-download.lock")), "and the dead process's lock");
    const dir = await downloadCifar10({ dataDir, url, md5, quiet: true, checksums: false });
    assert.equal(statSync(join(dir, "test_batch.bin")).size, 30_730_000);
    assert.deepEqual(readdirSync(dataDir).sort(), ["cifar-10-batches-bin", "cifar-10-binary.tar.gz"], "no partial file, no lock");
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    rmSync(root, { recursive: true, force: true });
  }
});

test("SIGTERM to a training process started by the tsx command (as npm start and npm run reproduce are) stops it within a step, not at the end of the run", async () => {
  const dir = tempDir("sigterm");
  try {
    const r = await runChild(dir, { killAt: "1 2", sigterm: true, tsxCli: true });
    assert.equal(r.history, undefined, `the run went on to the end: ${r.steps.length} steps`);
    assert.ok(r.steps.length <= 4, `stopped after ${r.steps.length} steps`);
    assert.ok(r.signal === "SIGTERM" || r.code === 143, `exit ${r.code} ${r.signal}: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
