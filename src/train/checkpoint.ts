import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import "../lowrank"; // registers LowRankConv2D so checkpoints holding it load
import { writeFileAtomic } from "../util/atomic-write";
import type { RunFingerprint } from "./fingerprint";
import type { TrainHistoryRow } from "./history";

/*
 * On-disk layout (the standard TF.js "layers-model" format plus the training state):
 *   <dir>/model.json, <dir>/weights.bin                      — saveModel / loadModel
 *   <checkpointDir>/epoch-0003/{model.json, weights.bin, optimizer.json, optimizer.bin, state.json}
 *   <checkpointDir>/latest.json → { epoch: 3, path: "epoch-0003" }
 * Each file is written atomically and latest.json last, so a run killed mid-save still resumes from
 * the previous complete epoch.
 */

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

const QUANTIZED_BYTES = { uint8: 1, uint16: 2, float16: 2 } as const;

/** Bytes a weights manifest says its data file holds. */
function manifestBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((sum, s) => {
    const bytes = s.quantization ? QUANTIZED_BYTES[s.quantization.dtype] : tf.util.bytesPerElement(s.dtype as tf.DataType);
    return sum + bytes * tf.util.sizeFromShape(s.shape);
  }, 0);
}

/** Read a weights file, refusing one whose size is not what its manifest describes. */
function readWeightsFile(path: string, specs: readonly tf.io.WeightsManifestEntry[], manifest: string): ArrayBuffer {
  const buf = readFileSync(path);
  const want = manifestBytes(specs);
  if (buf.byteLength !== want) {
    throw new Error(
      `${path} holds ${buf.byteLength} bytes but ${manifest} describes ${want}: the file is damaged (a copy cut short, or a disk problem). ` +
        `Delete ${dirname(path)} (or its checkpoint folder) to train afresh; npm start: --retrain.`,
    );
  }
  return toArrayBuffer(buf);
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    throw new Error(`Cannot read ${what} ${path}: ${(err as Error).message}. Delete the folder to start afresh.`);
  }
}

/** A TF.js IOHandler for a folder: model.json (topology + manifest) and one weights.bin, atomic writes. */
export function fileSystemIO(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("fileSystemIO saves layers models only (got a binary graph-model topology).");
      }
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      // Weights first: a model.json is never left pointing at missing weights.
      writeFileAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelPath = join(dir, MODEL_JSON);
      if (!existsSync(modelPath)) throw new Error(`No saved model in ${dir} (missing ${MODEL_JSON}): save one first, or check the path.`);
      const json = readJson<tf.io.ModelJSON>(modelPath, "model file");
      if (!Array.isArray(json.weightsManifest)) throw new Error(`${modelPath} has no weights manifest: the file is damaged. Delete ${dir} to train afresh.`);
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const paths = json.weightsManifest.flatMap((g) => g.paths);
      for (const p of paths) {
        if (!existsSync(join(dir, p))) throw new Error(`Saved model ${modelPath} lists weights file ${p}, which is missing. Delete ${dir} to train afresh.`);
      }
      // This project writes one weights file per model; check its size against the whole manifest.
      const buffers =
        paths.length === 1 ? [readWeightsFile(join(dir, paths[0]), specs, modelPath)] : paths.map((p) => toArrayBuffer(readFileSync(join(dir, p))));
      const weightData = tf.io.CompositeArrayBuffer.join(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData,
      };
    },
  };
}

/** Save a layers model (LowRankConv2D included) as <dir>/model.json + weights.bin. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemIO(dir));
}

/** Load a model saved by saveModel (or any single-folder TF.js layers model). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemIO(dir));
}

/** Copy all weights (trainable and BN statistics) of `from` into `to`; same architecture required. */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel, context = "the checkpoint"): void {
  const describe = (m: tf.LayersModel): string[] => m.weights.map((w) => `${w.originalName}[${w.shape.join(",")}]`);
  const a = describe(from);
  const b = describe(to);
  const mismatch = a.length !== b.length ? -1 : a.findIndex((s, i) => s !== b[i]);
  if (a.length !== b.length || mismatch >= 0) {
    const detail = mismatch >= 0 ? `first difference: ${a[mismatch]} vs ${b[mismatch]}` : `${a.length} vs ${b.length} weights`;
    throw new Error(`The model does not match ${context} (${detail}): build the same architecture, or use another checkpoint folder.`);
  }
  to.setWeights(from.getWeights());
}

/** Everything besides tensors that a resumed run needs. */
export interface CheckpointState {
  /** 2 adds `fingerprint`; version-1 checkpoints (no fingerprint) still load but are never resumed. */
  version: 1 | 2;
  /** Last completed epoch (1-based). */
  epoch: number;
  history: TrainHistoryRow[];
  /** The training options, JSON-safe (functions and signals dropped). */
  options: Record<string, unknown>;
  optimizer: { className: string; config: Record<string, unknown> };
  savedAt: string;
  /** What shaped the run (model, data, training options): a resume must match it. */
  fingerprint?: RunFingerprint;
}

export interface Checkpoint {
  model: tf.LayersModel;
  /** In getWeights() order (iterations first); pass to optimizer.setWeights. */
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
  state: CheckpointState;
  path: string;
  /** Dispose the loaded model and optimizer tensors. */
  dispose(): void;
}

interface Latest {
  epoch: number;
  path: string;
}

const epochDir = (epoch: number): string => `epoch-${String(epoch).padStart(4, "0")}`;

/** Drop functions, signals and other non-JSON values from training options. */
export function jsonSafe(options: object): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(options, (_k, v: unknown) => (typeof v === "function" || (typeof v === "object" && v !== null && "aborted" in v) ? undefined : v)),
  ) as Record<string, unknown>;
}

/**
 * Write the model, the optimizer's state, and `state` as checkpoint `epoch-NNNN`, point latest.json
 * at it, then delete older epoch folders beyond `keep` (default 1). Returns the folder written.
 */
export async function saveCheckpoint(
  checkpointDir: string,
  parts: { model: tf.LayersModel; optimizer: tf.Optimizer; state: Omit<CheckpointState, "version" | "savedAt" | "optimizer"> },
  keep = 1,
): Promise<string> {
  if (!(Number.isInteger(keep) && keep >= 1)) throw new Error(`keep must be an integer ≥ 1, got ${keep}.`);
  const name = epochDir(parts.state.epoch);
  const dir = join(checkpointDir, name);
  await saveModel(parts.model, dir);

  const named = await parts.optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    writeFileAtomic(join(dir, "optimizer.bin"), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
    writeFileAtomic(join(dir, "optimizer.json"), JSON.stringify(specs));
  } finally {
    // getWeights makes a fresh 'iter' scalar; the other tensors are the optimizer's own variables.
    tf.dispose(named.filter((t) => t.name === "iter").map((t) => t.tensor));
  }
  const state: CheckpointState = {
    version: 2,
    ...parts.state,
    optimizer: { className: parts.optimizer.getClassName(), config: parts.optimizer.getConfig() as Record<string, unknown> },
    savedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(dir, "state.json"), JSON.stringify(state, null, 1));
  writeFileAtomic(join(checkpointDir, "latest.json"), JSON.stringify({ epoch: parts.state.epoch, path: name } satisfies Latest));

  const others = readdirSync(checkpointDir)
    .filter((f) => /^epoch-\d+$/.test(f) && f !== name)
    .sort();
  for (const f of others.slice(0, Math.max(0, others.length - (keep - 1)))) {
    rmSync(join(checkpointDir, f), { recursive: true, force: true });
  }
  return dir;
}

/**
 * Remove what a writer killed mid-save left in `checkpointDir`: temporary files of atomic writes and
 * epoch folders newer than latest.json's (never completed). Call only while holding the folder's lock.
 */
export function removeIncompleteCheckpoints(checkpointDir: string): void {
  if (!existsSync(checkpointDir)) return;
  const latest = latestCheckpoint(checkpointDir);
  const isTemp = (f: string) => /^\..+\.tmp-\d+-\d+$/.test(f);
  for (const f of readdirSync(checkpointDir)) {
    const path = join(checkpointDir, f);
    const epoch = /^epoch-(\d+)$/.exec(f);
    if (isTemp(f) || (epoch && (!latest || Number(epoch[1]) > latest.epoch))) {
      rmSync(path, { recursive: true, force: true });
    } else if (epoch) {
      for (const g of readdirSync(path).filter(isTemp)) rmSync(join(path, g), { force: true });
    }
  }
}

/** The last complete checkpoint in the folder, if any. */
export function latestCheckpoint(checkpointDir: string): Latest | undefined {
  const path = join(checkpointDir, "latest.json");
  if (!existsSync(path)) return undefined;
  return readJson<Latest>(path, "checkpoint index");
}

/** Load the last complete checkpoint (undefined when the folder has none). */
export async function loadCheckpoint(checkpointDir: string): Promise<Checkpoint | undefined> {
  const latest = latestCheckpoint(checkpointDir);
  if (!latest) return undefined;
  const dir = join(checkpointDir, latest.path);
  const state = readJson<CheckpointState>(join(dir, "state.json"), "checkpoint state");
  if (state.version !== 1 && state.version !== 2) throw new Error(`Checkpoint ${dir} has unknown version ${String(state.version)}: it was written by a newer lowrank-notebooks.`);
  const specs = readJson<tf.io.WeightsManifestEntry[]>(join(dir, "optimizer.json"), "optimizer state");
  const optimizerBin = join(dir, "optimizer.bin");
  if (!existsSync(optimizerBin)) throw new Error(`Checkpoint ${dir} has no optimizer.bin: it is incomplete. Delete ${checkpointDir} to train afresh (npm start: --retrain).`);
  const decoded = tf.io.decodeWeights(readWeightsFile(optimizerBin, specs, join(dir, "optimizer.json")), specs);
  const optimizerWeights = specs.map((s) => ({ name: s.name, tensor: decoded[s.name] }));
  const model = await loadModel(dir);
  return {
    model,
    optimizerWeights,
    state,
    path: dir,
    dispose: () => {
      model.dispose();
      tf.dispose(optimizerWeights.map((w) => w.tensor));
    },
  };
}
