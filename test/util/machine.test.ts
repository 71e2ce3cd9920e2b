import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuTicks, parseProcStat, stealPercent } from "../../src/util/machine";

const STAT = "cpu  100 5 20 800 10 0 5 60 0 0\ncpu0 50 2 10 400 5 0 2 30 0 0\nintr 1 2 3\n";

test("parseProcStat reads the aggregate cpu line: steal is its 8th number, total the sum of the first 8", () => {
  assert.deepEqual(parseProcStat(STAT), { total: 1000, steal: 60 });
  assert.equal(parseProcStat("intr 1 2 3\n"), undefined);
  assert.equal(parseProcStat("cpu  1 2 3\n"), undefined, "too few fields");
  assert.equal(parseProcStat("cpu  1 2 x 4 5 6 7 8\n"), undefined, "not numbers");
});

test("stealPercent is the stolen share of the ticks between two readings", () => {
  assert.equal(stealPercent({ total: 1000, steal: 60 }, { total: 1200, steal: 110 }), 25);
  assert.equal(stealPercent({ total: 1000, steal: 60 }, { total: 1000, steal: 60 }), undefined, "no time passed");
  assert.equal(stealPercent(undefined, { total: 1, steal: 0 }), undefined);
});

test("cpuTicks reads this machine where /proc/stat exists", () => {
  const t = cpuTicks();
  if (process.platform === "linux") assert.ok(t && t.total > 0 && t.steal >= 0 && t.steal <= t.total, JSON.stringify(t));
  else assert.equal(t, undefined);
});
