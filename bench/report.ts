import type { BackendBenchResult } from "./backend-bench";
import type { PeerConvResult, PeerForwardResult, PeerName, PeerOutcome, PeerTrainResult } from "./peers";
import type { SvdBenchRow } from "./svd";
import { median } from "../src/measure/time-it";

export interface BenchFailure {
  backend: string;
  reason: string;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [pad(header, widths), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map((r) => pad(r, widths))];
}

const fixed = (v: number, digits: number) => v.toFixed(digits);
const times = (v: number) => `${v.toFixed(2)}×`;

/** The backends' table: one row per backend, then ratios between backends. */
export function formatReport(results: readonly BackendBenchResult[], failures: readonly BenchFailure[]): string {
  const lines: string[] = [];
  const rows = results.map((r) => [
    r.backend,
    String(r.threads),
    r.train ? fixed(r.train.imagesPerSecond, 1) : "—",
    r.train ? fixed(r.train.stepMs, 0) : "—",
    `${r.conv.batch}`,
    fixed(r.conv.ms, 1),
    fixed(r.conv.gflops, 2),
    r.version,
  ]);
  lines.push(...table(["backend", "threads", "ref. CNN train img/s", "step ms", "conv batch", "conv ms", "conv GFLOP/s", "version"], rows));
  for (const f of failures) lines.push(`${f.backend}: not measured (${f.reason})`);
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

/** Peer outcomes of one kind, by peer. */
export type PeerResults<R> = Partial<Record<PeerName, PeerOutcome<R>>>;

const PEER_COLUMNS: PeerName[] = ["pytorch", "keras-eager", "keras-graph"];

function skipped<R>(outcomes: PeerResults<R>): string[] {
  return PEER_COLUMNS.flatMap((p) => {
    const o = outcomes[p];
    return o && !o.ok ? [`${p}: skipped (${o.reason})`] : [];
  });
}

/**
 * Training throughput, ours against each peer: images/s and ours / peer (> 1: we are faster).
 * `ours` maps a peer model name to the project's measurement.
 */
type TrainModel = "vgg_small" | "reference_cnn";

/** One round of the training comparison: ours and every peer, measured back to back. */
export interface TrainingRound {
  ours: Partial<Record<TrainModel, { imagesPerSecond: number; batch: number; stepMode?: string }>>;
  peers: Partial<Record<TrainModel, PeerResults<PeerTrainResult>>>;
  /** Percent of CPU time the hypervisor gave to other guests during the round (Linux), when known. */
  stealPercent?: number;
}

/**
 * Ours against each peer over rounds: medians of images/s, and the median of each round's own ratio with
 * its range, so that a load change between one program's turn and another's moves one round, not the table.
 */
export function formatTrainingComparison(rounds: readonly TrainingRound[]): string {
  const many = rounds.length > 1;
  const header = ["model (batch)", "ours img/s", ...PEER_COLUMNS.flatMap((p) => [`${p} img/s`, `ours/${p}${many ? " (range)" : ""}`])];
  const rows: string[][] = [];
  const notes = new Set<string>();
  for (const model of ["vgg_small", "reference_cnn"] as const) {
    const ours = rounds.flatMap((r) => (r.ours[model] ? [r.ours[model]!] : []));
    if (!ours.length) continue;
    const cells = [`${model} (${ours[0].batch})`, fixed(median(ours.map((o) => o.imagesPerSecond)), 1)];
    for (const p of PEER_COLUMNS) {
      const peer = rounds.flatMap((r) => {
        const o = r.peers[model]?.[p];
        return o?.ok ? [o.result.imagesPerSecond] : [];
      });
      const ratios = rounds.flatMap((r) => {
        const o = r.peers[model]?.[p];
        const mine = r.ours[model];
        return o?.ok && mine ? [mine.imagesPerSecond / o.result.imagesPerSecond] : [];
      });
      if (!peer.length) cells.push("—", "—");
      else {
        const range = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : "";
        cells.push(fixed(median(peer), 1), ratios.length ? `${times(median(ratios))}${range}` : "—");
      }
    }
    rows.push(cells);
    for (const r of rounds) for (const line of skipped(r.peers[model] ?? {})) notes.add(`${model} ${line}`);
  }
  const footer = many ? [`${rounds.length} rounds, each ours and every peer back to back (who goes first alternates); ratios: median of the rounds' own ratios (range).`] : [];
  const modes = (["vgg_small", "reference_cnn"] as const).flatMap((m) => {
    const seen = [...new Set(rounds.flatMap((r) => (r.ours[m]?.stepMode ? [r.ours[m]!.stepMode!] : [])))];
    return seen.length ? [`${m}: ${seen.join(" / ")}`] : [];
  });
  if (modes.length) footer.push(`Our train() ran its steps: ${modes.join("; ")}.`);
  const steals = rounds.map((r) => r.stealPercent);
  if (steals.some((v) => v !== undefined)) footer.push(`CPU steal during ${many ? "each round" : "the round"}: ${steals.map((v) => (v === undefined ? "?" : `${v.toFixed(1)} %`)).join(", ")}.`);
  return [...table(header, rows), ...notes, ...footer].join("\n");
}

/**
 * Inference at batch 128: one 3×3 conv and its V/H pair per rank; the whole vggSmall dense and
 * decomposed — ours and each peer's time and speed-up over its own dense version, beside theory.
 */
export function formatInferenceComparison(ours: BackendBenchResult, conv: PeerResults<PeerConvResult>, forward: PeerResults<PeerForwardResult>): string {
  const lines: string[] = [];
  const peerCols = PEER_COLUMNS.filter((p) => conv[p]?.ok || forward[p]?.ok);
  // "ours": the deploy form (BN folded, ReLU fused); "as trained": the same weights with BN/ReLU layers.
  const header = ["case", "theory", "ours ms", "ours speed-up", "as trained ms", "speed-up", ...peerCols.flatMap((p) => [`${p} ms`, `${p} speed-up`])];
  const rows: string[][] = [];
  const peerConvCells = (rank?: number) =>
    peerCols.flatMap((p) => {
      const r = conv[p];
      if (!r?.ok) return ["—", "—"];
      if (rank === undefined) return [fixed(r.result.dense.ms, 1), "1.00×"];
      const pair = r.result.pairs.find((q) => q.rank === rank);
      return pair ? [fixed(pair.ms, 1), times(pair.speedup)] : ["—", "—"];
    });
  rows.push([`3×3 conv ${ours.conv.shape}`, "1.00×", fixed(ours.conv.ms, 1), "1.00×", "—", "—", ...peerConvCells()]);
  for (const p of ours.pairs ?? []) {
    rows.push([`  V/H pair K=${p.rank}`, times(p.theory), fixed(p.ms, 1), times(p.measured), "—", "—", ...peerConvCells(p.rank)]);
  }
  const nets = ours.forward?.networks ?? [];
  const peerNetCells = (name: string) =>
    peerCols.flatMap((p) => {
      const r = forward[p];
      if (!r?.ok) return ["—", "—"];
      const m = r.result.models.find((q) => q.name === name);
      return m ? [fixed(m.ms, 1), times(m.speedup)] : ["—", "—"];
    });
  for (const n of nets) {
    rows.push([
      `vggSmall ${n.variant}`,
      times(n.theoryConvSpeedup),
      fixed(n.ms, 1),
      times(n.speedup),
      fixed(n.asTrainedMs, 1),
      times(n.asTrainedSpeedup),
      ...peerNetCells(n.variant),
    ]);
  }
  lines.push(...table(header, rows));
  lines.push("Speed-ups: each network (and each pair) timed in turns with its dense one, the median of the rounds' ratios.");
  lines.push(...skipped(conv).map((s) => `conv ${s}`), ...skipped(forward).map((s) => `forward ${s}`));
  return lines.join("\n");
}

/** Share of the theoretical speed-up a pair must reach where theory promises ≥ 2×. */
export const PAIR_TARGET = 0.8;

/** Each decomposed vggSmall layer's V/H pair alone against its dense conv: theory, measured, share. */
export function formatPairs(ours: BackendBenchResult): string {
  const pairs = ours.forward?.pairs ?? [];
  const rows = pairs.map((p) => {
    const share = p.measured / p.theory;
    const flag = p.theory >= 2 && share < PAIR_TARGET ? `  < ${PAIR_TARGET * 100}%` : "";
    return [p.variant, p.layer, String(p.rank), times(p.theory), times(p.measured), `${Math.round(share * 100)}%${flag}`];
  });
  const eligible = pairs.filter((p) => p.theory >= 2);
  const met = eligible.filter((p) => p.measured / p.theory >= PAIR_TARGET).length;
  return [...table(["network", "layer", "K", "theory", "measured", "of theory"], rows), `${met} of ${eligible.length} pairs with theory ≥ 2× reach ${PAIR_TARGET * 100}% of it.`].join("\n");
}

/** SVD seconds, ours against numpy. */
export function formatSvd(rows: readonly SvdBenchRow[]): string {
  const oneThread = (r: SvdBenchRow, t: keyof SvdBenchRow["ours"]) => (r.oursOneThread ? fixed(r.oursOneThread[t], 2) : "—");
  // What decompositions use: the kernel where there is one, else the project's own.
  const used = (r: SvdBenchRow) => r.kernel ?? r.ours;
  const body = rows.map((r) => [
    `${r.n}×${r.n}`,
    r.kernel ? fixed(r.kernel.allVectorsS, 2) : "—",
    fixed(r.ours.allVectorsS, 2),
    oneThread(r, "allVectorsS"),
    r.numpy ? fixed(r.numpy.allVectorsS, 2) : "—",
    r.numpy ? times(r.numpy.allVectorsS / used(r).allVectorsS) : "—",
    r.kernel ? fixed(r.kernel.valuesOnlyS, 2) : "—",
    fixed(r.ours.valuesOnlyS, 2),
    oneThread(r, "valuesOnlyS"),
    r.numpy ? fixed(r.numpy.valuesOnlyS, 2) : "—",
    r.numpy ? times(r.numpy.valuesOnlyS / used(r).valuesOnlyS) : "—",
  ]);
  const notes = rows.filter((r) => r.numpySkipped).map((r) => `numpy ${r.n}: skipped (${r.numpySkipped})`);
  const kernels = [...new Set(rows.flatMap((r) => (r.kernelName ? [r.kernelName] : [])))];
  const kernelSkips = [...new Set(rows.flatMap((r) => (r.kernelSkipped ? [r.kernelSkipped] : [])))];
  notes.push(kernels.length ? `kernel: ${kernels.join("; ")}, what decompositions use on the tensorflow backend; numpy/ours compares numpy with it` : `kernel: not timed (${kernelSkips.join("; ") || "none"}); numpy/ours compares numpy with the project's own`);
  const from = [...new Set(rows.flatMap((r) => (r.numpyFrom ? [r.numpyFrom] : [])))];
  if (from.length) notes.push(`peer: ${from.join("; ")}`);
  notes.push(`own: the project's TypeScript SVD (the wasm and cpu backends' only one) on ${rows[0]?.threads ?? 1} thread(s) (LOWRANK_SVD_THREADS), and 1`);
  const head = ["matrix", "kernel all s", "own all s", "1 thread", "numpy all s", "numpy/ours", "kernel values s", "own values s", "1 thread", "numpy values s", "numpy/ours"];
  return [...table(head, body), ...notes].join("\n");
}
