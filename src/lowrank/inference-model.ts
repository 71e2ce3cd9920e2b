/**
 * The deploy form of a trained model: standard TF.js layers only, each batch norm at inference folded
 * into the conv before it, and a ReLU after a conv fused into it. Inference then runs one fused conv
 * kernel (conv + bias + ReLU) where the trained model runs conv, BN and activation as three passes over
 * each feature map; TensorFlow's own graph mode folds BN the same way. A V/H pair (LowRankConv2D)
 * becomes two plain Conv2D layers — `${name}_vertical` (kh×1) and `${name}` (1×kw) — and a Tucker-2
 * layer three — `${name}_first` (1×1), `${name}_core` (kh×kw) and `${name}` (1×1) — and a CP layer a 1×1
 * conv, depthwise convs and a 1×1 conv, and a LowRankDense two Dense layers — `${name}_first` (C→K)
 * and `${name}` (K→N) — so the result needs no project code to load (`model.save` → `tf.loadLayersModel` in plain TF.js).
 */
import * as tf from "@tensorflow/tfjs";
import { LowRankConv2D } from "./lowrank-conv2d";
import { Tucker2Conv2D } from "./tucker2-conv2d";
import { CpConv2D } from "./cp-conv2d";
import { LowRankDense } from "./lowrank-dense";
import { rebuildFromConfig } from "./rebuild-model";

type ConfigDict = tf.serialization.ConfigDict;
/** [layer name, node index, tensor index, kwargs], as in a functional model's config. */
type InboundRef = [string, number, number, ConfigDict?];

interface Entry {
  name?: string;
  className: string;
  config: ConfigDict;
  inboundNodes?: InboundRef[][];
}

interface ModelConfig {
  name: string;
  layers: Entry[];
  inputLayers?: [string, number, number][];
  outputLayers?: [string, number, number][];
}

/** A conv kernel and bias in host memory (HWIO). */
interface HostConv {
  kernel: Float32Array;
  shape: number[];
  bias: Float32Array;
}

/** Per-channel y = x·scale + shift of a BN at inference. */
interface Affine {
  scale: Float32Array;
  shift: Float32Array;
}

export interface InferenceModelReport {
  /** BN layers (or a pair's own BN) folded into the conv before them: "conv1_1_bn → conv1_1". */
  foldedBatchNorms: string[];
  /** ReLU layers fused into the conv before them. */
  fusedActivations: string[];
  /** V/H pairs, Tucker-2 and CP layers written as standard (depthwise) conv layers; LowRankDense as two Dense. */
  splitPairs: string[];
}

const weightName = (v: tf.LayerVariable) => v.originalName.split("/").pop() as string;

function weightsByName(layer: tf.layers.Layer): Map<string, Float32Array> {
  return new Map(layer.weights.map((v) => [weightName(v), v.read().dataSync() as Float32Array]));
}

/** BN at inference as an affine map; layers with `center`/`scale` off have no beta/gamma. */
function affineOf(w: Map<string, Float32Array>, epsilon: number, prefix: string, channels: number): Affine {
  const get = (n: string) => w.get(`${prefix}${n}`);
  const gamma = get("gamma");
  const beta = get("beta");
  const mean = get("moving_mean");
  const variance = get("moving_variance");
  if (!mean || !variance) throw new Error(`No moving statistics '${prefix}moving_mean'/'${prefix}moving_variance' found to fold.`);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + epsilon);
    shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
  }
  return { scale, shift };
}

/** conv followed by y = x·scale + shift on its output channels, as one conv. */
function foldAffine(conv: HostConv, a: Affine): void {
  const n = conv.shape[3];
  for (let i = 0; i < conv.kernel.length; i++) conv.kernel[i] *= a.scale[i % n];
  for (let c = 0; c < n; c++) conv.bias[c] = conv.bias[c] * a.scale[c] + a.shift[c];
}

function isReluLayer(e: Entry): boolean {
  const c = e.config;
  if (e.className === "ReLU") return c.maxValue == null;
  if (e.className === "LeakyReLU") return c.alpha === 0;
  return e.className === "Activation" && c.activation === "relu";
}

function isFoldableBatchNorm(e: Entry): boolean {
  const axis = e.config.axis;
  return e.className === "BatchNormalization" && (axis === -1 || axis === 3 || axis == null);
}

/** The graph of a Sequential or functional config, with the few edits folding needs. */
class LayerGraph {
  readonly sequential: boolean;

  constructor(readonly config: ModelConfig, sequential: boolean) {
    this.sequential = sequential;
  }

  get entries(): Entry[] {
    return this.config.layers;
  }

  nameOf(e: Entry): string {
    return (e.name ?? e.config.name) as string;
  }

  private index(name: string): number {
    return this.entries.findIndex((e) => this.nameOf(e) === name);
  }

  /** Called once on one input (functional), or any Sequential layer: safe to rewire. */
  private singleUse(e: Entry): boolean {
    return this.sequential || (e.inboundNodes?.length === 1 && e.inboundNodes[0].length === 1);
  }

  /** The one layer reading `name`'s output, or undefined if several do, none does, or it is a model output. */
  soleConsumer(name: string): Entry | undefined {
    const i = this.index(name);
    if (this.sequential) return this.entries[i + 1];
    if (this.config.outputLayers?.some((o) => o[0] === name)) return undefined;
    const readers = this.entries.filter((e) => (e.inboundNodes ?? []).some((node) => node.some((ref) => ref[0] === name)));
    if (readers.length !== 1 || !this.singleUse(readers[0])) return undefined;
    return readers[0];
  }

  /** Drop a single-input layer; its readers read its input instead. */
  remove(name: string): void {
    const i = this.index(name);
    const e = this.entries[i];
    if (!this.sequential) {
      const input = e.inboundNodes![0][0];
      for (const other of this.entries) {
        for (const node of other.inboundNodes ?? []) {
          for (const ref of node) if (ref[0] === name) [ref[0], ref[1], ref[2]] = [input[0], input[1], input[2]];
        }
      }
      for (const ref of this.config.outputLayers ?? []) if (ref[0] === name) [ref[0], ref[1], ref[2]] = [input[0], input[1], input[2]];
    }
    this.entries.splice(i, 1);
  }

  /** Put `entry` in front of layer `name`, which then reads `entry`'s output. */
  insertBefore(name: string, entry: Entry): void {
    const i = this.index(name);
    const target = this.entries[i];
    if (!this.sequential) {
      entry.inboundNodes = target.inboundNodes;
      target.inboundNodes = [[[this.nameOf(entry), 0, 0, {}]]];
    }
    this.entries.splice(i, 0, entry);
  }

  canRewrite(e: Entry): boolean {
    return this.singleUse(e);
  }
}

function convEntry(graph: LayerGraph, name: string, c: ConfigDict, trainable: boolean): Entry {
  const config: ConfigDict = {
    name,
    trainable,
    filters: c.filters,
    kernelSize: c.kernelSize,
    strides: c.strides,
    padding: c.padding,
    dataFormat: "channelsLast",
    dilationRate: c.dilationRate ?? [1, 1],
    activation: c.activation,
    useBias: c.useBias,
  };
  if (c.batchInputShape != null) config.batchInputShape = c.batchInputShape;
  return graph.sequential ? { className: "Conv2D", config } : { name, className: "Conv2D", config, inboundNodes: [] };
}

/** Put `parts` (in order) in front of layer `name` with their weights, refusing names the model already uses. */
function insertParts(graph: LayerGraph, model: tf.LayersModel, name: string, parts: { entry: Entry; host: HostConv }[], convWeights: Map<string, HostConv>): void {
  for (const { entry } of parts) {
    const n = graph.nameOf(entry);
    if (model.layers.some((l) => l.name === n)) throw new Error(`inferenceModel: cannot split '${name}': a layer named '${n}' already exists.`);
  }
  for (const { entry, host } of parts) {
    graph.insertBefore(name, entry);
    convWeights.set(graph.nameOf(entry), host);
  }
}

/** A LowRankDense as `${name}_first` (C→K, no bias) in front of a Dense `${name}` (K→N, bias, activation). */
function splitLowRankDense(graph: LayerGraph, model: tf.LayersModel, entry: Entry, convWeights: Map<string, HostConv>): void {
  const name = graph.nameOf(entry);
  const layer = model.getLayer(name) as LowRankDense;
  const w = weightsByName(layer);
  const first = w.get("first_kernel")!;
  const second = w.get("second_kernel")!;
  const [K, N] = [layer.rank, layer.units];
  const dense = (n: string, config: ConfigDict): Entry => {
    const c: ConfigDict = { name: n, trainable: layer.trainable, ...config };
    return graph.sequential ? { className: "Dense", config: c } : { name: n, className: "Dense", config: c, inboundNodes: [] };
  };
  const firstConfig: ConfigDict = { units: K, activation: "linear", useBias: false };
  if (entry.config.batchInputShape != null) firstConfig.batchInputShape = entry.config.batchInputShape;
  const host = { kernel: Float32Array.from(first), shape: [first.length / K, K], bias: new Float32Array(0) };
  insertParts(graph, model, name, [{ entry: dense(`${name}_first`, firstConfig), host }], convWeights);
  entry.className = "Dense";
  entry.config = dense(name, { units: N, activation: layer.activationName, useBias: layer.useBias }).config;
  convWeights.set(name, { kernel: Float32Array.from(second), shape: [K, N], bias: Float32Array.from(w.get("bias") ?? new Float32Array(0)) });
}

function depthwiseEntry(graph: LayerGraph, name: string, kernelSize: number[], strides: number[], padding: string, trainable: boolean): Entry {
  const config: ConfigDict = { name, trainable, kernelSize, strides, padding, depthMultiplier: 1, dataFormat: "channelsLast", dilationRate: [1, 1], activation: "linear", useBias: false };
  return graph.sequential ? { className: "DepthwiseConv2D", config } : { name, className: "DepthwiseConv2D", config, inboundNodes: [] };
}

/**
 * The model in deploy form (see the file comment): a new model whose predictions equal `model`'s at
 * inference (to float rounding), with the report of what was folded. The input model is untouched;
 * dispose the result when done. Training the result is not the same as training the original (no BN).
 */
export function inferenceModelWithReport(model: tf.LayersModel): { model: tf.LayersModel; report: InferenceModelReport } {
  if (!(model instanceof tf.LayersModel)) throw new Error("inferenceModel expects a tf.LayersModel (tf.sequential or tf.model).");
  const sequential = model instanceof tf.Sequential;
  const graph = new LayerGraph(JSON.parse(JSON.stringify(model.getConfig())) as ModelConfig, sequential);
  const report: InferenceModelReport = { foldedBatchNorms: [], fusedActivations: [], splitPairs: [] };
  const convWeights = new Map<string, HostConv>();

  for (const entry of [...graph.entries]) {
    const name = graph.nameOf(entry);
    if (entry.className === LowRankDense.className && graph.canRewrite(entry)) {
      splitLowRankDense(graph, model, entry, convWeights);
      report.splitPairs.push(name);
      continue;
    }
    const isPair = entry.className === LowRankConv2D.className;
    const isTucker = entry.className === Tucker2Conv2D.className;
    const isCp = entry.className === CpConv2D.className;
    const isConv = entry.className === "Conv2D" && (entry.config.dataFormat ?? "channelsLast") === "channelsLast";
    if (!(isPair || isTucker || isCp || isConv) || !graph.canRewrite(entry)) continue;
    const layer = model.getLayer(name);
    const w = weightsByName(layer);
    const c = entry.config;
    let conv: HostConv;
    let activation = c.activation as string;
    if (isPair) {
      const pair = layer as LowRankConv2D;
      const [kh, kw] = pair.kernelSize;
      const [sH, sW] = pair.strides;
      const [K, N] = [pair.rank, pair.filters];
      const vertical: HostConv = { kernel: Float32Array.from(w.get("vertical_kernel")!), shape: [kh, 1, w.get("vertical_kernel")!.length / (kh * K), K], bias: new Float32Array(K) };
      conv = { kernel: Float32Array.from(w.get("horizontal_kernel")!), shape: [1, kw, K, N], bias: Float32Array.from(w.get("bias") ?? new Float32Array(N)) };
      if (pair.bn === "between") foldAffine(vertical, affineOf(w, pair.bnEpsilon, "bn_", K));
      if (pair.bn === "after") foldAffine(conv, affineOf(w, pair.bnEpsilon, "bn_", N));
      if (pair.bn !== "none") report.foldedBatchNorms.push(`${name} (its own BN, ${pair.bn})`);
      const vConfig = { filters: K, kernelSize: [kh, 1], strides: [sH, 1], padding: pair.padding, activation: "linear", useBias: pair.bn === "between", batchInputShape: c.batchInputShape };
      if (!vConfig.useBias) vertical.bias = new Float32Array(0);
      insertParts(graph, model, name, [{ entry: convEntry(graph, `${name}_vertical`, vConfig, layer.trainable), host: vertical }], convWeights);
      entry.className = "Conv2D";
      entry.config = { name, filters: N, kernelSize: [1, kw], strides: [1, sW], padding: pair.padding, activation, useBias: true };
      report.splitPairs.push(name);
    } else if (isTucker || isCp) {
      // A chain ending in a 1×1 conv R→N (factored-conv2d.ts): its first parts go in front, the last conv keeps the name.
      const f = layer as Tucker2Conv2D | CpConv2D;
      const [kh, kw] = f.kernelSize;
      const R = isTucker ? (f as Tucker2Conv2D).rank[0] : (f as CpConv2D).rank;
      const last = isTucker ? (f as Tucker2Conv2D).rank[1] : R;
      const N = f.filters;
      const noBias = new Float32Array(0);
      const first = { filters: R, kernelSize: [1, 1], strides: [1, 1], padding: "valid", activation: "linear", useBias: false, batchInputShape: c.batchInputShape };
      const parts = [{ entry: convEntry(graph, `${name}_first`, first, layer.trainable), host: { kernel: Float32Array.from(w.get("first_kernel")!), shape: [1, 1, w.get("first_kernel")!.length / R, R], bias: noBias } }];
      if (isTucker) {
        const core = { filters: last, kernelSize: [kh, kw], strides: [...f.strides], padding: f.padding, activation: "linear", useBias: false };
        parts.push({ entry: convEntry(graph, `${name}_core`, core, layer.trainable), host: { kernel: Float32Array.from(w.get("core_kernel")!), shape: [kh, kw, R, last], bias: noBias } });
      } else if (f.strides.some((x) => x > 1)) {
        // TensorFlow's depthwise kernel takes equal strides only: one kh×kw depthwise conv with the outer product of the two taps.
        if (f.strides[0] !== f.strides[1]) throw new Error(`inferenceModel: '${name}' has strides [${f.strides.join(", ")}]; a CP layer's deploy form needs equal strides.`);
        const [vertical, horizontal] = [w.get("vertical_kernel")!, w.get("horizontal_kernel")!];
        const merged = new Float32Array(kh * kw * R);
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let r = 0; r < R; r++) merged[(i * kw + j) * R + r] = vertical[i * R + r] * horizontal[j * R + r];
        parts.push({ entry: depthwiseEntry(graph, `${name}_depthwise`, [kh, kw], [...f.strides], f.padding, layer.trainable), host: { kernel: merged, shape: [kh, kw, R, 1], bias: noBias } });
      } else {
        parts.push(
          { entry: depthwiseEntry(graph, `${name}_vertical`, [kh, 1], [1, 1], f.padding, layer.trainable), host: { kernel: Float32Array.from(w.get("vertical_kernel")!), shape: [kh, 1, R, 1], bias: noBias } },
          { entry: depthwiseEntry(graph, `${name}_horizontal`, [1, kw], [1, 1], f.padding, layer.trainable), host: { kernel: Float32Array.from(w.get("horizontal_kernel")!), shape: [1, kw, R, 1], bias: noBias } },
        );
      }
      insertParts(graph, model, name, parts, convWeights);
      conv = { kernel: Float32Array.from(w.get("last_kernel")!), shape: [1, 1, last, N], bias: Float32Array.from(w.get("bias") ?? new Float32Array(N)) };
      entry.className = "Conv2D";
      entry.config = { name, filters: N, kernelSize: [1, 1], strides: [1, 1], padding: "valid", activation, useBias: true };
      report.splitPairs.push(name);
    } else {
      const kernel = w.get("kernel")!;
      const shape = layer.weights.find((v) => weightName(v) === "kernel")!.shape as number[];
      conv = { kernel: Float32Array.from(kernel), shape, bias: Float32Array.from(w.get("bias") ?? new Float32Array(shape[3])) };
    }
    let next = graph.soleConsumer(name);
    if (activation === "linear" && next && isFoldableBatchNorm(next)) {
      const bn = model.getLayer(graph.nameOf(next));
      foldAffine(conv, affineOf(weightsByName(bn), Number(next.config.epsilon ?? 1e-3), "", conv.shape[3]));
      report.foldedBatchNorms.push(`${bn.name} → ${name}`);
      graph.remove(bn.name);
      next = graph.soleConsumer(name);
    }
    if (activation === "linear" && next && isReluLayer(next)) {
      activation = "relu";
      report.fusedActivations.push(`${graph.nameOf(next)} → ${name}`);
      graph.remove(graph.nameOf(next));
    }
    const folded = conv.bias.some((b) => b !== 0) || c.useBias === true;
    entry.config = { ...entry.config, name, activation, useBias: folded };
    if (isPair || isTucker || isCp) entry.config = convEntry(graph, name, entry.config, layer.trainable).config;
    if (!folded) conv.bias = new Float32Array(0);
    convWeights.set(name, conv);
  }

  const fresh = rebuildFromConfig(model, graph.config, (layer) => {
    const host = convWeights.get(layer.name);
    if (!host) return false;
    const values = [tf.tensor(host.kernel, host.shape), ...(host.bias.length ? [tf.tensor1d(host.bias)] : [])];
    try {
      layer.setWeights(values);
    } finally {
      tf.dispose(values);
    }
    return true;
  });
  return { model: fresh, report };
}

/** `inferenceModelWithReport(model).model`. */
export function inferenceModel(model: tf.LayersModel): tf.LayersModel {
  return inferenceModelWithReport(model).model;
}
