import type { BackendBenchResult } from "./backend-bench";

export interface BenchFailure {
  backend: string;
  reason: string;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i])).join("  ");
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [pad(header, widths), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map((r) => pad(r, widths))];
}

const fixed = (v: number, digits: number) => v.toFixed(digits);

/** The bench's printed summary: one row per backend, then ratios between backends. */
export function formatReport(results: readonly BackendBenchResult[], failures: readonly BenchFailure[]): string {
  const lines: string[] = [];
  const rows = results.map((r) => [
    r.backend,
    String(r.threads),
    r.train ? fixed(r.train.imagesPerSecond, 1) : "—",
    r.train ? fixed(r.train.stepMs, 0) : "—",
    r.train ? fixed(r.train.stepCpuMs, 0) : "—",
    `${r.conv.batch}`,
    fixed(r.conv.ms, 1),
    fixed(r.conv.gflops, 2),
    r.version,
  ]);
  lines.push(...table(["backend", "threads", "train img/s", "step ms", "step CPU ms", "conv batch", "conv ms", "conv GFLOP/s", "version"], rows));
  for (const f of failures) lines.push(`${f.backend}: not measured (${f.reason})`);
  lines.push("(step CPU ms: CPU time of one training step summed over the process's threads; for 1-thread wasm,");
  lines.push(" batch·1000 / step CPU ms is about what an idle core would give when the machine is busy.)");
  const by = new Map(results.map((r) => [r.backend, r]));
  const native = by.get("tensorflow");
  const wasm = by.get("wasm");
  const cpu = by.get("cpu");
  const ratios: string[] = [];
  if (native && wasm) {
    if (native.train && wasm.train) ratios.push(`training: tensorflow / wasm = ${fixed(native.train.imagesPerSecond / wasm.train.imagesPerSecond, 2)}×`);
    ratios.push(`conv forward (GFLOP/s): tensorflow / wasm = ${fixed(native.conv.gflops / wasm.conv.gflops, 2)}×`);
  }
  if (wasm && cpu) ratios.push(`conv forward (GFLOP/s): wasm / cpu = ${fixed(wasm.conv.gflops / cpu.conv.gflops, 1)}×`);
  if (ratios.length) lines.push("", "Ratios:", ...ratios.map((r) => `  ${r}`));
  return lines.join("\n");
}
