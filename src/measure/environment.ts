import * as tf from "@tensorflow/tfjs";
import { cpus } from "node:os";
import { backendInfo } from "../backend/init";

/** Where a measurement was taken: recorded beside every timing. */
export interface MeasureEnvironment {
  backend: string;
  version: string;
  threads: number;
  machine: string;
}

/** The active backend as `initBackend()` described it, or a plain description when it was set otherwise. */
export function measureEnvironment(): MeasureEnvironment {
  const info = backendInfo();
  const active = tf.getBackend();
  if (info && info.name === active) return { backend: info.name, version: info.version, threads: info.threads, machine: info.machine };
  const list = cpus();
  return {
    backend: active,
    version: `tfjs ${tf.version_core}`,
    // Only the native backend runs ops on several threads; wasm and cpu use one under Node.
    threads: active === "tensorflow" ? list.length : 1,
    machine: `${list[0]?.model?.trim() ?? "unknown CPU"} ×${list.length}`,
  };
}

/** One line for subtitles and logs: "tensorflow, 2 thread(s), AMD EPYC ×2". */
export function describeEnvironment(env: MeasureEnvironment = measureEnvironment()): string {
  return `${env.backend}, ${env.threads} thread(s), ${env.machine}`;
}
