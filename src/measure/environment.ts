import * as tf from "@tensorflow/tfjs";
import { backendInfo, backendThreads } from "../backend/init";
import { machineDescription } from "../util/machine";

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
  return {
    backend: active,
    version: `tfjs ${tf.version_core}`,
    threads: backendThreads(active),
    machine: machineDescription(),
  };
}
