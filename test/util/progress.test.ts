import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { createProgress, createTransferProgress, formatDuration, transferLine } from "../../src/util/progress";

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; chunks: string[]; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = isTTY;
  const chunks: string[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c.toString()));
  return { stream, chunks, text: () => chunks.join("") };
}

const flush = () => new Promise((r) => setImmediate(r));

// ---- Transfers ----

test("transferLine shows percent, megabytes and speed", () => {
  assert.equal(transferLine("Get", 50 * 1024 * 1024, 200 * 1024 * 1024, 10), "Get: 25% 50.0/200.0 MB, 5.0 MB/s");
  assert.equal(transferLine("Get", 3 * 1024 * 1024, undefined, 0), "Get: 3.0 MB");
});

test("transfer off a terminal: one line is rewritten with carriage returns at most once per interval", async () => {
  let clock = 0;
  const out = capture(false);
  const p = createTransferProgress({ label: "Get", total: 100 * 1024 * 1024, stream: out.stream, throttleMs: 1000, now: () => clock });
  for (let i = 0; i < 100; i++) {
    clock += 100; // 10 s in all, 100 ticks
    p.tick(1024 * 1024);
  }
  p.stop();
  await flush();
  const writes = out.text().split("\r").filter(Boolean);
  assert.ok(writes.length >= 11 && writes.length <= 13, `${writes.length} writes`);
  assert.equal(writes.at(-1), "Get: 100% 100.0/100.0 MB, 10.0 MB/s\n");
  assert.equal(out.text().split("\n").length - 1, 1, "a single line, closed at the end");
});

test("transfer on a terminal with a known size draws a bar", async () => {
  const out = capture(true);
  const p = createTransferProgress({ label: "Get", total: 4 * 1024 * 1024, stream: out.stream });
  for (let i = 0; i < 4; i++) p.tick(1024 * 1024);
  p.stop();
  await flush();
  assert.match(out.text(), /Get \[.*\] 100% \| 4\.0\/4\.0 MB \| [\d.]+ MB\/s \| ETA/);
});

test("transfer: quiet prints nothing; epoch mode prints only the final line", async () => {
  const quiet = capture(false);
  const q = createTransferProgress({ label: "Get", total: 10, quiet: true, stream: quiet.stream });
  q.tick(5);
  q.stop();
  const once = capture(false);
  const e = createTransferProgress({ label: "Get", stream: once.stream, mode: "epoch", now: () => 0 });
  e.tick(2 * 1024 * 1024);
  e.stop();
  await flush();
  assert.equal(quiet.text(), "");
  assert.equal(once.text(), "Get: 2.0 MB\n");
});

// ---- Training ----

const values = { loss: 1.5, accuracy: 0.25, imagesPerSecond: 123, lr: 0.05 };

test("notebook mode writes one carriage-return line, throttled, ending with a newline", async () => {
  let now = 0;
  const out = capture(false);
  const p = createProgress({ stream: out.stream, label: "tiny", throttleMs: 1000, now: () => now, inNotebook: true });
  const e = p.epoch(1, 3, 10);
  for (let s = 1; s <= 10; s++) {
    now += 300; // 3 s in all: about one write per second, plus the final step
    e.update(s, values);
  }
  e.end("test acc 30.00%");
  await flush();
  const text = out.text();
  const writes = text.split("\r").filter(Boolean);
  assert.ok(writes.length >= 3 && writes.length <= 5, `expected a throttled handful of rewrites, got ${writes.length}`);
  assert.equal(text.split("\n").length - 1, 1, "exactly one newline, at the end");
  assert.ok(text.endsWith("\n"));
  assert.match(writes[0], /^tiny · epoch 1\/3 \[#+\.+\] \d+% \d+\/10 · ETA \d+s · loss 1\.5000 · acc 25\.0% · 123 img\/s/);
  assert.match(writes.at(-2) ?? "", /100% 10\/10/);
  assert.match(writes.at(-1) ?? "", /epoch 1\/3 done in 3s .*test acc 30\.00%/);
  // Each rewrite covers the previous one completely.
  for (let i = 1; i < writes.length; i++) assert.ok(writes[i].replace("\n", "").length >= writes[i - 1].trimEnd().length);
});

test("notebook mode shows each epoch's first step, however soon after the last epoch", async () => {
  const out = capture(false);
  const p = createProgress({ stream: out.stream, label: "tiny", throttleMs: 1000, now: () => 0, inNotebook: true });
  for (const epoch of [1, 2]) {
    const e = p.epoch(epoch, 2, 10);
    e.update(1, values);
    e.end("");
  }
  await flush();
  assert.match(out.text(), /epoch 2\/2 \[#+\.+\] 10% 1\/10/);
});

test("terminal mode draws a cli-progress bar with an ETA", async () => {
  const out = capture(true);
  const p = createProgress({ stream: out.stream });
  const e = p.epoch(2, 2, 4);
  for (let s = 1; s <= 4; s++) e.update(s, values);
  e.end("done");
  await flush();
  const text = out.text();
  assert.match(text, /epoch 2\/2 \[.*\] 100% 4\/4 \| ETA/);
  assert.match(text, /epoch 2\/2 · loss 1\.5000 .* · done\n/);
});

test("logs and pipes (not a terminal, not a notebook) get one line per finished epoch, no carriage returns", async () => {
  let now = 0;
  const out = capture(false);
  const p = createProgress({ stream: out.stream, label: "tiny", now: () => now, inNotebook: false });
  for (const epoch of [1, 2]) {
    const e = p.epoch(epoch, 2, 50);
    for (let s = 1; s <= 50; s++) {
      now += 100;
      e.update(s, values);
    }
    e.end(`test acc ${epoch}0.00%`);
  }
  await flush();
  const text = out.text();
  assert.doesNotMatch(text, /\r/);
  assert.deepEqual(text.split("\n"), [
    "tiny · epoch 1/2 done in 5s · loss 1.5000 · acc 25.0% · 123 img/s · lr 0.0500 · test acc 10.00%",
    "tiny · epoch 2/2 done in 5s · loss 1.5000 · acc 25.0% · 123 img/s · lr 0.0500 · test acc 20.00%",
    "",
  ]);
});

test("mode none prints nothing; unknown modes are refused", async () => {
  const out = capture(false);
  const e = createProgress({ stream: out.stream, mode: "none" }).epoch(1, 1, 2);
  e.update(1, values);
  e.end("x");
  await flush();
  assert.equal(out.text(), "");
  assert.throws(() => createProgress({ mode: "fancy" as never }), /Unknown progress mode 'fancy'/);
  assert.throws(() => createTransferProgress({ label: "Get", mode: "fancy" as never }), /Unknown progress mode 'fancy'/);
});

test("durations read naturally", () => {
  assert.deepEqual([5, 65, 3725, Number.NaN].map(formatDuration), ["5s", "1m05s", "1h02m", "--"]);
});
