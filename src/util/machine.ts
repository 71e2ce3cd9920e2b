import { cpus } from "node:os";
import { readFileSync } from "node:fs";

/** This machine as "CPU model ×cores", e.g. "AMD EPYC 7B13 ×2": logged and recorded beside measurements. */
export function machineDescription(): string {
  const list = cpus();
  return `${list[0]?.model?.trim() ?? "unknown CPU"} ×${list.length}`;
}

/** All CPUs' time since boot, in clock ticks: `steal` is time the hypervisor gave to other guests. */
export interface CpuTicks {
  total: number;
  steal: number;
}

/** The aggregate "cpu" line of Linux's /proc/stat (user nice system idle iowait irq softirq steal …). */
export function parseProcStat(text: string): CpuTicks | undefined {
  const line = text.split("\n").find((l) => /^cpu\s/.test(l));
  const fields = line?.trim().split(/\s+/).slice(1, 9).map(Number);
  if (!fields || fields.length < 8 || fields.some((v) => !Number.isFinite(v))) return undefined;
  return { total: fields.reduce((a, v) => a + v, 0), steal: fields[7] };
}

/** This machine's CPU ticks now; undefined where /proc/stat is not there (not Linux). */
export function cpuTicks(): CpuTicks | undefined {
  try {
    return parseProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Percent of CPU time stolen by the hypervisor between two readings. On a shared virtual machine the
 * guest's own load can be nil while others take its cores; high steal says so. Low steal does not prove
 * full speed: slowdowns of 1.6× with under 5 % steal were measured here (RESULTS.md, sixth session).
 */
export function stealPercent(before: CpuTicks | undefined, after: CpuTicks | undefined): number | undefined {
  if (!before || !after) return undefined;
  const total = after.total - before.total;
  return total > 0 ? (100 * (after.steal - before.steal)) / total : undefined;
}
