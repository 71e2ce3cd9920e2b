import { test } from "node:test";
import assert from "node:assert/strict";
import { createProgress, progressLine } from "../../src/data/progress";

test("progressLine shows percent, megabytes and speed", () => {
  assert.equal(progressLine("Get", 50 * 1024 * 1024, 200 * 1024 * 1024, 10), "Get: 25% 50.0/200.0 MB, 5.0 MB/s");
  assert.equal(progressLine("Get", 3 * 1024 * 1024, undefined, 0), "Get: 3.0 MB");
});

test("off a terminal, one line is rewritten with carriage returns at most once per interval", () => {
  let clock = 0;
  const out: string[] = [];
  const p = createProgress({ label: "Get", total: 100 * 1024 * 1024, write: (t) => void out.push(t), tty: false, intervalMs: 1000, now: () => clock });
  for (let i = 0; i < 100; i++) {
    clock += 100; // 10 s in all, 100 ticks
    p.tick(1024 * 1024);
  }
  p.stop();
  const updates = out.filter((t) => t.startsWith("\r"));
  assert.ok(updates.length >= 10 && updates.length <= 12, `${updates.length} updates`);
  assert.equal(out.at(-1), "\n");
  assert.equal(out.at(-2), "\rGet: 100% 100.0/100.0 MB, 10.0 MB/s");
  assert.ok(out.every((t) => !t.includes("\n") || t === "\n"), "a single line");
});

test("quiet prints nothing", () => {
  const out: string[] = [];
  const p = createProgress({ label: "Get", total: 10, quiet: true, write: (t) => void out.push(t), tty: false });
  p.tick(5);
  p.stop();
  assert.deepEqual(out, []);
});
