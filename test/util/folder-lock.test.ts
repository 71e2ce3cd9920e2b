import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { lockFolder, lockHolder } from "../../src/util/folder-lock";

test("lockHolder names a live holder (what --list prints), and nobody for a free folder or a stale lock", () => {
  const dir = mkdtempSync(join(tmpdir(), "lock-"));
  try {
    assert.equal(lockHolder(dir), undefined);
    const lock = lockFolder(dir, "npm run reproduce");
    assert.deepEqual([lockHolder(dir)?.pid, lockHolder(dir)?.purpose], [process.pid, "npm run reproduce"]);
    lock.release();
    assert.equal(lockHolder(dir), undefined);
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid as number;
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: dead, host: hostname(), purpose: "killed run", since: "then" }));
    assert.equal(lockHolder(dir), undefined, "a lock whose process is gone holds nothing");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
