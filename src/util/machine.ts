import { cpus } from "node:os";

/** This machine as "CPU model ×cores", e.g. "AMD EPYC 7B13 ×2": logged and recorded beside measurements. */
export function machineDescription(): string {
  const list = cpus();
  return `${list[0]?.model?.trim() ?? "unknown CPU"} ×${list.length}`;
}
