// Downloads from a loopback HTTP server (127.0.0.1 only) serving an archive built here; never the real URL.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as tar from "tar";
import { downloadCifar10 } from "../../src/data/download";
import { loadCifar10 } from "../../src/data/cifar10";
import { md5File } from "../../src/data/checksum";
import { Cifar10DataError } from "../../src/data/errors";
import { CIFAR10_CLASSES } from "../../src/data/classes";
import { initBackend } from "../../src/backend/init";
import { lockFolder } from "../../src/util/folder-lock";
import { spawnSync } from "node:child_process";

const FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"];
const REPO = resolve(__dirname, "../..");
let root: string;
let archivePath: string;
let archiveMd5: string;
let server: Server;
let baseUrl: string;
const requests: string[] = [];

/** A well-formed synthetic batch, different per file: labels cycle, a few pixels vary (compresses well). */
function syntheticBatch(f: number): Uint8Array {
  const bytes = new Uint8Array(30_730_000);
  for (let r = 0; r < 10_000; r++) {
    const at = r * 3073;
    bytes[at] = (r + f) % 10;
    bytes[at + 1] = (r * 7 + f) % 256; // R(0,0)
    bytes[at + 1025] = (r * 13) % 256; // G(0,0)
    bytes[at + 2049] = (r * 29 + 3 * f) % 256; // B(0,0)
  }
  return bytes;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), "cifar10-download-"));
  const src = join(root, "src", "cifar-10-batches-bin");
  mkdirSync(src, { recursive: true });
  FILES.forEach((name, f) => writeFileSync(join(src, name), syntheticBatch(f)));
  writeFileSync(join(src, "batches.meta.txt"), CIFAR10_CLASSES.join("\n") + "\n\n");
  writeFileSync(join(src, "readme.html"), "<html></html>");
  archivePath = join(root, "served.tar.gz");
  await tar.c({ gzip: { level: 1 }, file: archivePath, cwd: join(root, "src") }, ["cifar-10-batches-bin"]);
  archiveMd5 = await md5File(archivePath);

  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/silent.tar.gz") return; // never answers
    if (req.url === "/stall.tar.gz") {
      res.writeHead(200, { "content-length": 1_000_000, "content-type": "application/gzip" });
      res.write(Buffer.alloc(4096)); // then nothing more
      return;
    }
    if (req.url !== "/cifar-10-binary.tar.gz") {
      res.writeHead(404).end("not here");
      return;
    }
    const body = readFileSync(archivePath);
    res.writeHead(200, { "content-length": body.length, "content-type": "application/gzip" }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
  rmSync(root, { recursive: true, force: true });
});

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(".") || f.includes(".part"));

test("downloads, verifies and extracts the archive; then finds it present, and reuses the cached archive", async () => {
  const dataDir = join(root, "data");
  const url = `${baseUrl}/cifar-10-binary.tar.gz`;
  const dir = await downloadCifar10({ dataDir, url, md5: archiveMd5, quiet: true, checksums: false });
  assert.equal(dir, join(dataDir, "cifar-10-batches-bin"));
  assert.equal(requests.length, 1);
  for (const name of FILES) {
    assert.equal(statSync(join(dir, name)).size, 30_730_000);
  }
  assert.equal(await md5File(join(dir, "data_batch_3.bin")), await md5File(join(root, "src", "cifar-10-batches-bin", "data_batch_3.bin")));
  assert.equal(await md5File(join(dataDir, "cifar-10-binary.tar.gz")), archiveMd5, "archive kept as a cache");
  assert.deepEqual(leftovers(dataDir), [], "no temporary files left");

  // Present and valid: nothing fetched, and it says so.
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    assert.equal(await downloadCifar10({ dataDir, url, md5: archiveMd5, checksums: false }), dir);
  } finally {
    console.log = log;
  }
  assert.equal(requests.length, 1);
  assert.ok(lines.some((l) => l.includes(`already present and valid in ${dir}`)), lines.join("\n"));

  // A damaged file: the verified archive is reused (no request) and the folder is replaced whole.
  truncateSync(join(dir, "data_batch_2.bin"), 1000);
  await downloadCifar10({ dataDir, url, md5: archiveMd5, quiet: true, checksums: false });
  assert.equal(requests.length, 1);
  assert.equal(statSync(join(dir, "data_batch_2.bin")).size, 30_730_000);
  assert.deepEqual(leftovers(dataDir), []);
});

test("an MD5 mismatch is an error and leaves nothing behind", async () => {
  const dataDir = join(root, "bad-md5");
  const before = requests.length;
  await assert.rejects(
    downloadCifar10({ dataDir, url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: "0".repeat(32), quiet: true }),
    (err: Error) => err instanceof Cifar10DataError && err.message.includes(`Checksum mismatch for ${baseUrl}/cifar-10-binary.tar.gz: MD5 ${archiveMd5}, expected ${"0".repeat(32)}`),
  );
  assert.equal(requests.length, before + 1);
  assert.deepEqual(readdirSync(dataDir), [], "no archive, part file or batches folder");
});

test("HTTP errors and malformed md5 are reported clearly", async () => {
  await assert.rejects(
    downloadCifar10({ dataDir: join(root, "http"), url: `${baseUrl}/missing.tar.gz`, md5: archiveMd5, quiet: true, checksums: false }),
    /Downloading http:\/\/127\.0\.0\.1:\d+\/missing\.tar\.gz failed: HTTP 404/,
  );
  await assert.rejects(
    downloadCifar10({ dataDir: join(root, "http"), url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: "xyz", quiet: true }),
    /md5 'xyz' is not 32 hexadecimal digits/,
  );
});

test("loadCifar10({ download: true }) fetches missing data, then loads it", async () => {
  await initBackend(undefined, { quiet: true });
  const dir = join(root, "via-load", "cifar-10-batches-bin");
  const before = requests.length;
  const data = await loadCifar10({ dir, download: true, url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: archiveMd5, quiet: true, trainLimit: 20, testLimit: 10, checksums: false });
  try {
    assert.equal(requests.length, before + 1);
    assert.equal(data.dir, dir);
    assert.equal(data.train.size, 20);
    assert.deepEqual([...data.test.labels].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    data.dispose();
  }
});

test("`npm run data`'s script downloads with progress, says where, and next time says the data is present", async () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    promisify(execFile)(process.execPath, ["--import", "tsx", join(REPO, "scripts", "download-data.ts"), ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
    });
  const dir = join(root, "script", "cifar-10-batches-bin");
  const first = await run(["--dir", dir, "--url", `${baseUrl}/cifar-10-binary.tar.gz`, "--md5", archiveMd5, "--no-checksums"]);
  assert.match(first.stdout, /\rDownloading cifar-10-binary\.tar\.gz: 100% /, "a non-TTY progress line");
  assert.ok(first.stdout.includes(`CIFAR-10 files are in ${dir}`), first.stdout);
  assert.equal(statSync(join(dir, "test_batch.bin")).size, 30_730_000);
  // CIFAR10_DIR picks the folder when no option does.
  const second = await run(["--no-checksums"], { CIFAR10_DIR: dir });
  assert.ok(second.stdout.includes(`already present and valid in ${dir}`), second.stdout);
  assert.ok(second.stdout.includes(`CIFAR-10 files are in ${dir}`));
});

test("a server that never answers, or stalls mid-transfer, fails within its time-out and leaves no partial file", async () => {
  const dataDir = join(root, "timeouts");
  const t0 = Date.now();
  await assert.rejects(
    downloadCifar10({ dataDir, url: `${baseUrl}/silent.tar.gz`, md5: archiveMd5, quiet: true, connectTimeoutMs: 300, checksums: false }),
    /Could not reach .*silent\.tar\.gz \(no answer within 0\.3 s\)/,
  );
  await assert.rejects(
    downloadCifar10({ dataDir, url: `${baseUrl}/stall.tar.gz`, md5: archiveMd5, quiet: true, stallTimeoutMs: 300, checksums: false }),
    /broke off after 4096 bytes \(no data for 0\.3 s\): run it again/,
  );
  assert.ok(Date.now() - t0 < 10_000, "both gave up quickly");
  assert.deepEqual(leftovers(dataDir), [], "no part file, no lock");
});

test("a damaged folder: only the data files are replaced; a stale part file and a bad hand-placed archive are dealt with and said", async () => {
  const dataDir = join(root, "repair");
  const dir = join(dataDir, "cifar-10-batches-bin");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "my-notes.txt"), "mine");
  writeFileSync(join(dir, "batches.meta.txt"), CIFAR10_CLASSES.join("\n") + "\n");
  writeFileSync(join(dir, "data_batch_1.bin"), "short");
  writeFileSync(join(dataDir, "cifar-10-binary.tar.gz"), "not the archive");
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
  writeFileSync(join(dataDir, `cifar-10-binary.tar.gz.part-${dead}`), "half");
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    await downloadCifar10({ dataDir, url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: archiveMd5, checksums: false });
  } finally {
    console.log = log;
  }
  assert.equal(readFileSync(join(dir, "my-notes.txt"), "utf8"), "mine", "unrelated files stay");
  assert.equal(statSync(join(dir, "data_batch_1.bin")).size, 30_730_000);
  assert.deepEqual(leftovers(dataDir), [], "the stale part file is gone");
  const text = lines.join("\n");
  assert.match(text, /is not usable, so it is fetched again\. .*data_batch_1\.bin holds 5 bytes, expected 30,730,000/, "the whole reason, not cut at a colon");
  assert.match(text, /cifar-10-binary\.tar\.gz is there but its MD5 is [0-9a-f]{32}, not [0-9a-f]{32}: it is damaged or another file/);
});

test("two downloads into one folder: the second is refused while the first holds the lock", async () => {
  const dataDir = join(root, "locked");
  const held = lockFolder(dataDir, "another download", ".cifar10-download.lock");
  try {
    await assert.rejects(
      downloadCifar10({ dataDir, url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: archiveMd5, quiet: true, checksums: false }),
      new RegExp(`in use by process ${process.pid} .*another download`),
    );
  } finally {
    held.release();
  }
});
