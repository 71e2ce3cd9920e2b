import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { createProgress, formatDuration } from "../../src/train/progress";

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = isTTY;
  const chunks: string[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join("") };
}

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
  await new Promise((r) => setImmediate(r));
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

test("terminal mode draws a cli-progress bar with an ETA", async () => {
  const out = capture(true);
  const p = createProgress({ stream: out.stream });
  const e = p.epoch(2, 2, 4);
  for (let s = 1; s <= 4; s++) e.update(s, values);
  e.end("done");
  await new Promise((r) => setImmediate(r));
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
  await new Promise((r) => setImmediate(r));
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
  await new Promise((r) => setImmediate(r));
  assert.equal(out.text(), "");
  assert.throws(() => createProgress({ mode: "fancy" as never }), /Unknown progress mode 'fancy'/);
});

test("durations read naturally", () => {
  assert.deepEqual([5, 65, 3725, Number.NaN].map(formatDuration), ["5s", "1m05s", "1h02m", "--"]);
});
