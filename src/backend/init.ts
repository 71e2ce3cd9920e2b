import * as tf from "@tensorflow/tfjs";
import { cpus } from "node:os";
import { installNativeActivationGradients } from "./native-activation-grads";
import { installNativeBatchNormLayer } from "./batch-norm-layer";
import { installHalvingMaxPoolGrad } from "./max-pool-grad";
import { installBatchNormInferenceKernel } from "./native-batch-norm";
import { installStridedPointwiseFilterGrad } from "./pointwise-filter-grad";
import { NATIVE_SVD_KERNEL } from "./native-svd";
import { setSvdKernel } from "../util/svd-kernel";
import { registerWasmKernels } from "./wasm-kernels";
import { machineDescription } from "../util/machine";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** TF.js backend name in use. */
  name: BackendName;
  /** Human-readable versions, e.g. "tfjs 4.22.0, TensorFlow 2.21.0". */
  version: string;
  /** Compute threads the backend uses (best knowledge). */
  threads: number;
  /** CPU model and core count of this machine. */
  machine: string;
}

let current: BackendInfo | undefined;

/** Load the native tfjs-node package (installed as the optional alias `tfjs-node-native`). */
function tryLoadNative(): string | undefined {
  // Quiet TensorFlow's banner; oneDNN is off by default on AMD CPUs and is the faster conv path (RESULTS.md).
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  process.env.TF_ENABLE_ONEDNN_OPTS ??= "1";
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const native = require("tfjs-node-native") as { version?: Record<string, string> };
    const tfVersion = native.version?.["tfjs-binding"] ?? native.version?.["tfjs-node"];
    return tfVersion ? `tfjs-node ${tfVersion}` : "tfjs-node";
  } catch {
    return undefined;
  }
}

function nativeTensorflowVersion(): string | undefined {
  try {
    const backend = tf.backend() as unknown as { binding?: { TF_Version?: string } };
    return backend.binding?.TF_Version;
  } catch {
    return undefined;
  }
}

/** Compute threads of a backend: native TensorFlow uses every core; tfjs forces wasm threads off under Node, and cpu is one thread. */
export function backendThreads(name: string): number {
  return name === "tensorflow" ? cpus().length : 1;
}

async function activate(name: BackendName): Promise<BackendInfo | undefined> {
  if (name === "tensorflow") {
    const pkg = tryLoadNative();
    if (!pkg || !tf.findBackendFactory("tensorflow")) return undefined;
    if (!(await tf.setBackend("tensorflow"))) return undefined;
    installNativeBatchNormLayer();
    installBatchNormInferenceKernel();
    installNativeActivationGradients();
    installHalvingMaxPoolGrad();
    installStridedPointwiseFilterGrad();
    // Decompositions' float64 SVDs on TensorFlow's own kernel; it declines whenever this backend is not active.
    setSvdKernel(NATIVE_SVD_KERNEL);
    const tfv = nativeTensorflowVersion();
    return { name, version: `tfjs ${tf.version_core}, ${pkg}${tfv ? `, TensorFlow ${tfv}` : ""}`, threads: backendThreads(name), machine: machineDescription() };
  }
  if (name === "wasm") {
    try {
      require("@tensorflow/tfjs-backend-wasm");
    } catch {
      return undefined;
    }
    if (!(await tf.setBackend("wasm"))) return undefined;
    const added = registerWasmKernels();
    const extra = added.length ? `, +${added.length} project kernels` : "";
    return { name, version: `tfjs ${tf.version_core}, wasm SIMD${extra}`, threads: backendThreads(name), machine: machineDescription() };
  }
  if (!(await tf.setBackend("cpu"))) return undefined;
  return { name, version: `tfjs ${tf.version_core}, pure JS`, threads: backendThreads(name), machine: machineDescription() };
}

/**
 * Pick and start the TF.js backend: `tensorflow` (native tfjs-node) when it loads, else `wasm`, else
 * `cpu`. `LOWRANK_BACKEND` (or `requested`) forces one; forcing one that cannot start is an error.
 * Logs one line naming the backend. Safe to call again: later calls return the active backend.
 */
export async function initBackend(requested?: string, opts: { quiet?: boolean } = {}): Promise<BackendInfo> {
  const wanted = requested ?? process.env.LOWRANK_BACKEND;
  if (current && (!wanted || wanted === current.name) && tf.getBackend() === current.name) return current;
  if (wanted && !BACKEND_NAMES.includes(wanted as BackendName)) {
    throw new Error(`Unknown backend '${wanted}' (LOWRANK_BACKEND): use one of ${BACKEND_NAMES.join(", ")}.`);
  }
  const order: BackendName[] = wanted ? [wanted as BackendName] : ["tensorflow", "wasm", "cpu"];
  for (const name of order) {
    const info = await activate(name);
    if (info) {
      await tf.ready();
      current = info;
      if (!opts.quiet && process.env.LOWRANK_QUIET !== "1") {
        console.log(`[lowrank] backend: ${info.name} (${info.version}; ${info.threads} thread(s); ${info.machine})`);
      }
      return info;
    }
  }
  const hint =
    wanted === "tensorflow"
      ? "The native package did not install: run `npm run setup` (it builds tfjs-node from a tensorflow-cpu wheel, see environment.md)."
      : "Reinstall dependencies with `npm run setup`.";
  throw new Error(`Backend '${wanted ?? "any"}' could not be started. ${hint}`);
}

/** The backend chosen by the last `initBackend`, if any. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
