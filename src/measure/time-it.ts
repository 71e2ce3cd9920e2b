import * as tf from "@tensorflow/tfjs";

export interface TimeOptions {
  /** Untimed calls first: kernel compilation, allocator warm-up (default 2). */
  warmup?: number;
  /** Timed calls (default 5); the median is reported. */
  runs?: number;
  /**
   * How each call is waited for: "element" (default) reads one value of every output back, which
   * forces the whole computation on async backends without timing a large device→JS copy; "full"
   * reads every output completely (`await t.data()`), copy included.
   */
  sync?: "element" | "full";
}

export interface Timing {
  medianMs: number;
  /** Each timed call, in order. */
  runsMs: number[];
  minMs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function waitFor(outputs: tf.Tensor[], sync: "element" | "full"): Promise<void> {
  if (sync === "full") {
    await Promise.all(outputs.map((t) => t.data()));
    return;
  }
  // One element per output: depends on the whole result, so the work must be finished.
  const probes = tf.tidy(() => outputs.map((t) => (t.size > 0 ? tf.slice(tf.reshape(t, [-1]), 0, 1) : tf.zeros([0]))));
  try {
    await Promise.all(probes.map((p) => p.data()));
  } finally {
    tf.dispose(probes);
  }
}

/**
 * Time `fn` (a forward pass, an op…): `warmup` untimed calls, then `runs` timed ones, each waited
 * for by reading its result back. Every tensor `fn` creates is disposed.
 */
export async function timeIt(fn: () => tf.Tensor | tf.Tensor[], opts: TimeOptions = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 5;
  const sync = opts.sync ?? "element";
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`timeIt: warmup must be an integer ≥ 0, got ${warmup}.`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`timeIt: runs must be an integer ≥ 1, got ${runs}.`);
  if (sync !== "element" && sync !== "full") throw new Error(`timeIt: sync must be "element" or "full", got ${String(sync)}.`);
  const once = async (): Promise<number> => {
    const start = performance.now();
    const result = tf.tidy(fn);
    const outputs = Array.isArray(result) ? result : [result];
    if (!outputs.every((t) => t instanceof tf.Tensor)) {
      tf.dispose(outputs.filter((t) => t instanceof tf.Tensor));
      throw new Error("timeIt: the timed function must return a tensor or an array of tensors.");
    }
    try {
      await waitFor(outputs, sync);
      return performance.now() - start;
    } finally {
      tf.dispose(outputs);
    }
  };
  for (let i = 0; i < warmup; i++) await once();
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await once());
  return { medianMs: median(runsMs), runsMs, minMs: Math.min(...runsMs) };
}

/**
 * Time several functions in turns: every round runs each once (who goes first rotates), so a change
 * of machine load between rounds hits all of them alike. Compare two of them with `pairedSpeedup`.
 */
export async function timeInterleaved(fns: Record<string, () => tf.Tensor | tf.Tensor[]>, opts: TimeOptions = {}): Promise<Record<string, Timing>> {
  const names = Object.keys(fns);
  if (names.length === 0) throw new Error("timeInterleaved: give at least one function to time.");
  const runs = opts.runs ?? 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`timeInterleaved: runs must be an integer ≥ 1, got ${runs}.`);
  for (const name of names) await timeIt(fns[name], { ...opts, runs: 1 }); // untimed: the warm-up calls and one more
  const runsMs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      runsMs[name].push((await timeIt(fns[name], { ...opts, warmup: 0, runs: 1 })).medianMs);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { medianMs: median(runsMs[n]), runsMs: runsMs[n], minMs: Math.min(...runsMs[n]) }]));
}

/** How many times faster `other` ran than `base`, round by round (timeInterleaved): the median of their ratios. */
export function pairedSpeedup(base: Timing, other: Timing): number {
  if (base.runsMs.length !== other.runsMs.length || base.runsMs.length === 0) {
    throw new Error(`pairedSpeedup: needs timings of the same rounds, got ${base.runsMs.length} and ${other.runsMs.length} runs; time both with timeInterleaved.`);
  }
  return median(base.runsMs.map((b, i) => b / other.runsMs[i]));
}
