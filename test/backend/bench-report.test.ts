import { test } from "node:test";
import assert from "node:assert/strict";
import { formatInferenceComparison, formatPairs, formatReport, formatSvd, formatTrainingComparison } from "../../bench/report";
import type { BackendBenchResult } from "../../bench/backend-bench";

function result(backend: string, imagesPerSecond: number | undefined, gflops: number): BackendBenchResult {
  return {
    backend,
    version: `${backend} version`,
    threads: backend === "tensorflow" ? 2 : 1,
    machine: "Test CPU ×2",
    conv: { batch: 128, shape: "32×32×64→64", ms: 9664 / gflops, gflops, runs: 5 },
    train: imagesPerSecond === undefined ? undefined : { model: "reference-cnn", batch: 64, imagesPerSecond, stepMs: 64000 / imagesPerSecond, steps: 6, stepMode: "op by op (Adam)" },
  };
}

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

const peerBase = { library: "torch" as const, version: "1.13", mode: "eager" as const, batch: 64, warmup: 3, runs: 10, threads: { intra: 2, inter: 1 } };
const train = (imagesPerSecond: number) => ({ ...peerBase, case: "train" as const, model: "vgg_small" as const, stepMs: 64000 / imagesPerSecond, stepCpuMs: 1, imagesPerSecond, lossFirst: 2.3, lossLast: 2.2 });

test("training comparison: ours / peer per model, and skipped peers with their reason", () => {
  const text = formatTrainingComparison([
    { ours: { vgg_small: { imagesPerSecond: 300, batch: 64, stepMode: "graph (355 ops)" } }, peers: { vgg_small: { pytorch: { peer: "pytorch", ok: true, result: train(200) }, "keras-graph": { peer: "keras-graph", ok: false, reason: "no wheel" } } } },
  ]);
  assert.match(text, /Our train\(\) ran its steps: vgg_small: graph \(355 ops\)\./);
  const row = text.split("\n").find((l) => l.startsWith("vgg_small (64)"));
  assert.ok(row && row.includes("300.0") && row.includes("200.0") && row.includes("1.50×"), `row: ${row}`);
  assert.match(text, /vgg_small keras-graph: skipped \(no wheel\)/);
});

test("training comparison over rounds: medians of images/s, the median of each round's own ratio and its range", () => {
  const round = (ours: number, torch: number) => ({ ours: { vgg_small: { imagesPerSecond: ours, batch: 64 } }, peers: { vgg_small: { pytorch: { peer: "pytorch" as const, ok: true as const, result: train(torch) } } } });
  // Load fell between rounds: both sides ran faster in the second; the ratios are 0.5, 1.0, 0.8.
  const text = formatTrainingComparison([round(100, 200), round(400, 400), round(160, 200)]);
  const row = text.split("\n").find((l) => l.startsWith("vgg_small (64)"));
  assert.ok(row && row.includes("160.0") && row.includes("200.0") && row.includes("0.80× (0.50–1.00)"), `row: ${row}`);
  assert.match(text, /3 rounds/);
  // A round where ours failed counts for the peer's images/s but gives no ratio.
  assert.doesNotMatch(text, /steal/, "no steal line when no round measured it");
  const withSteal = formatTrainingComparison([{ ...round(100, 200), stealPercent: 0.4 }, round(400, 400), { ...round(160, 200), stealPercent: 12 }]);
  assert.match(withSteal, /CPU steal during each round: 0\.4 %, \?, 12\.0 %\./);
  const partial = formatTrainingComparison([round(100, 200), { ours: {}, peers: round(0, 100).peers }]);
  assert.ok(partial.split("\n").find((l) => l.startsWith("vgg_small (64)"))?.includes("0.50×"), partial);
});

test("inference comparison and per-pair table: speed-ups over each library's own dense version; pairs under 80% of a ≥ 2× theory are flagged", () => {
  const ours = result("tensorflow", 150, 60);
  ours.pairs = [{ rank: 8, ms: 2, denseMs: 10, theory: 12, measured: 5 }];
  ours.forward = {
    batch: 128,
    networks: [
      { variant: "dense", ranks: {}, ms: 100, speedup: 1, asTrainedMs: 130, asTrainedSpeedup: 1, theoryConvSpeedup: 1 },
      { variant: "2x", ranks: { conv1_2: 24 }, ms: 50, speedup: 1.9, asTrainedMs: 100, asTrainedSpeedup: 1.25, theoryConvSpeedup: 2 },
    ],
    pairs: [
      { variant: "2x", layer: "conv1_2", rank: 24, theory: 2, measured: 1.5 },
      { variant: "2x", layer: "conv2_1", rank: 32, theory: 2, measured: 1.7 },
      { variant: "2x", layer: "conv1_1", rank: 4, theory: 1.5, measured: 0.5 },
    ],
  };
  const conv = { pytorch: { peer: "pytorch" as const, ok: true as const, result: { ...peerBase, case: "conv" as const, shape: "32x32x64->64", dense: { ms: 20, cpuMs: 1 }, pairs: [{ rank: 8, ms: 4, cpuMs: 1, speedup: 4 }] } } };
  const forward = {
    pytorch: { peer: "pytorch" as const, ok: true as const, result: { ...peerBase, case: "forward" as const, models: [{ name: "dense", ranks: {} as Record<string, number>, ms: 90, cpuMs: 1, speedup: 1 }, { name: "2x", ranks: { conv1_2: 24 }, ms: 60, cpuMs: 1, speedup: 1.4 }] } },
  };
  const text = formatInferenceComparison(ours, conv, forward);
  const pairRow = text.split("\n").find((l) => l.includes("V/H pair K=8"));
  // The peer's pair: the speed-up it measured in turns (4.00×), not the ratio of its medians (5.00×).
  assert.ok(pairRow && pairRow.includes("12.00×") && pairRow.includes("5.00×") && pairRow.includes("4.0") && pairRow.includes("4.00×"), `pair row: ${pairRow}`);
  const netRow = text.split("\n").find((l) => l.startsWith("vggSmall 2x"));
  // Speed-ups are the paired ones each side measured (1.90×, 1.25×, 1.40×), not ratios of medians.
  assert.ok(netRow && netRow.includes("50.0") && netRow.includes("1.90×") && netRow.includes("60.0") && netRow.includes("1.25×") && netRow.includes("1.40×"), `network row: ${netRow}`);
  assert.match(netRow, /50\.0\s+1\.90×/);
  assert.ok(!netRow.includes("1.50×"), `network row: ${netRow}`);
  const pairs = formatPairs(ours);
  assert.match(pairs.split("\n").find((l) => l.includes("conv1_2")) ?? "", /75%\s+< 80%/);
  assert.doesNotMatch(pairs.split("\n").find((l) => l.includes("conv1_1")) ?? "", /< 80%/, "theory < 2×: not held to the target");
  assert.match(pairs, /1 of 2 pairs with theory ≥ 2× reach 80% of it/);
});

test("SVD table: the kernel, the project's own on every core and on one thread, against numpy; numpy's skip reason", () => {
  const text = formatSvd([
    { n: 768, threads: 2, kernel: { allVectorsS: 0.4, valuesOnlyS: 0.05 }, kernelName: "TensorFlow Svd", ours: { allVectorsS: 1, valuesOnlyS: 0.2 }, oursOneThread: { allVectorsS: 1.25, valuesOnlyS: 0.21 }, numpy: { allVectorsS: 0.5, valuesOnlyS: 0.1 } },
    { n: 1536, threads: 2, kernel: { allVectorsS: 3, valuesOnlyS: 1 }, kernelName: "TensorFlow Svd", ours: { allVectorsS: 8, valuesOnlyS: 2 }, numpySkipped: "numpy not installed" },
  ]);
  const row = text.split("\n").find((l) => l.startsWith("768×768")) ?? "";
  // numpy/ours compares numpy with what decompositions use: the kernel.
  assert.match(row, /0\.40\s+1\.00\s+1\.25\s+0\.50\s+1\.25×\s+0\.05\s+0\.20\s+0\.21\s+0\.10\s+2\.00×/);
  assert.match(text, /numpy 1536: skipped \(numpy not installed\)/);
  assert.match(text, /kernel: TensorFlow Svd/);
  assert.match(text, /own: .* 2 thread\(s\)/);
  // Without a kernel, numpy is compared with the project's own SVD.
  const own = formatSvd([{ n: 768, threads: 1, kernelSkipped: "no tensorflow backend", ours: { allVectorsS: 1, valuesOnlyS: 0.2 }, numpy: { allVectorsS: 0.5, valuesOnlyS: 0.1 } }]);
  assert.match(own.split("\n").find((l) => l.startsWith("768×768")) ?? "", /—\s+1\.00\s+—\s+0\.50\s+0\.50×/);
  assert.match(own, /kernel: not timed \(no tensorflow backend\)/);
});
