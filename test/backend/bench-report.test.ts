import { test } from "node:test";
import assert from "node:assert/strict";
import { median } from "../../bench/timing";
import { formatReport } from "../../bench/report";
import type { BackendBenchResult } from "../../bench/backend-bench";

function result(backend: string, imagesPerSecond: number | undefined, gflops: number): BackendBenchResult {
  return {
    backend,
    version: `${backend} version`,
    threads: backend === "tensorflow" ? 2 : 1,
    machine: "Test CPU ×2",
    conv: { batch: 128, shape: "32×32×64→64", ms: 9664 / gflops, gflops, runs: 5 },
    train: imagesPerSecond === undefined ? undefined : { batch: 64, imagesPerSecond, stepMs: 64000 / imagesPerSecond, stepCpuMs: 1000, steps: 6 },
  };
}

test("median of odd and even lists, and an error for an empty one", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /at least one run/);
});

test("the report has a row per backend, the ratios between them, and the failures", () => {
  const text = formatReport([result("tensorflow", 150, 60), result("wasm", 50, 20), result("cpu", undefined, 0.5)], [{ backend: "gpu", reason: "not installed" }]);
  const lines = text.split("\n");
  assert.ok(lines[0].startsWith("backend") && lines[0].includes("train img/s") && lines[0].includes("conv GFLOP/s"));
  const wasmRow = lines.find((l) => l.startsWith("wasm"));
  assert.ok(wasmRow && /\b50\.0\b/.test(wasmRow) && /\b20\.00\b/.test(wasmRow), `wasm row: ${wasmRow}`);
  const cpuRow = lines.find((l) => l.startsWith("cpu"));
  assert.ok(cpuRow?.includes("—"), "cpu has no training figure");
  assert.match(text, /training: tensorflow \/ wasm = 3\.00×/);
  assert.match(text, /conv forward \(GFLOP\/s\): tensorflow \/ wasm = 3\.00×/);
  assert.match(text, /wasm \/ cpu = 40\.0×/);
  assert.match(text, /gpu: not measured \(not installed\)/);
});

test("without a second backend there are no ratios", () => {
  assert.doesNotMatch(formatReport([result("wasm", 50, 20)], []), /Ratios/);
});
