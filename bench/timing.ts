/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of an empty list: time at least one run.");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface RunTimes {
  /** Wall-clock milliseconds of each timed run. */
  wallMs: number[];
  /** CPU milliseconds (user + system, all threads of this process) of each timed run. On a machine
   * shared with other work, wall time grows while CPU time barely does. */
  cpuMs: number[];
}

/** Run `fn` `warmup` times untimed, then `runs` times timed. */
export async function timeRuns(fn: () => Promise<void>, { warmup, runs }: { warmup: number; runs: number }): Promise<RunTimes> {
  for (let i = 0; i < warmup; i++) await fn();
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wallMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { wallMs, cpuMs };
}
