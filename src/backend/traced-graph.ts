/**
 * A computation traced once as it runs eagerly on tfjs-node, then replayed as one TensorFlow graph.
 *
 * tfjs-node hands every op to TensorFlow by name with its attributes (executeSingleOutput /
 * executeMultipleOutputs), so recording those calls gives the whole computation, gradients and optimizer
 * update included, as TensorFlow ops. Written as a SavedModel without variables and loaded through
 * tfjs-node's own binding (loadSavedModel / runSavedModel), it runs in a TensorFlow session: one call,
 * TensorFlow's graph executor, the same kernels. Tensors that are neither fed nor variables are
 * captured as constants, so a computation whose constants change from call to call (random masks made in
 * JavaScript, a learning rate built from a number each call) must not be replayed: compare `signature`s.
 */
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { interceptNativeOps, nativeBackend, type NativeBackend } from "./native-ops";

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

interface TracedOp {
  name: string;
  attrs: OpAttr[];
  inputs: object[];
  outputs: object[];
}

/** tfjs-node's backend (NativeBackend) with what tracing and replaying also use. */
interface TraceableBackend extends NativeBackend {
  binding: NativeBackend["binding"] &
    Record<string, number> & {
      loadSavedModel(dir: string, tags: string): number;
      runSavedModel(id: number, inputIds: number[], inputNames: string, outputNames: string): unknown[];
      deleteSavedModel(id: number): void;
    };
  getInputTensorIds(inputs: tf.Tensor[]): number[];
  createOutputTensor(metadata: unknown): tf.Tensor;
  readSync(dataId: object): ArrayLike<number>;
}

export interface TracedGraph {
  /**
   * Runs the traced computation as one graph on new `inputs` (the traced ones' shapes and dtypes): the
   * variables the trace updated are assigned their new values; returns the traced outputs (the caller
   * disposes them).
   */
  run(inputs: readonly tf.Tensor[]): tf.Tensor[];
  /** The ops, their wiring and every captured constant's value: equal for two traces of the same computation. */
  readonly signature: string;
  /** TensorFlow ops in the graph. */
  readonly ops: number;
  /** Shapes of the inputs it was traced with. */
  readonly inputShapes: readonly (readonly number[])[];
  dispose(): void;
}

export type TraceResult = { outputs: tf.Tensor[]; graph: TracedGraph } | { outputs: tf.Tensor[]; unsupported: string };

export interface TraceFeeds {
  /** Fed on every run, by position (e.g. the batch). */
  inputs: readonly tf.Tensor[];
  /** Read afresh on every run (e.g. an optimizer's learning-rate scalar, replaced when the rate changes). */
  live?: readonly (() => tf.Tensor)[];
  /** Other leaves: written into the graph as constants (default), or fed on every run from kept copies. */
  constants?: "const" | "fed";
}

type ApiPb = Record<string, new () => Record<string, (...a: unknown[]) => unknown>> & {
  AttrValue: { new (): Record<string, (...a: unknown[]) => unknown>; ListValue: new () => Record<string, (...a: unknown[]) => unknown> };
  TensorShape: { new (): Record<string, (...a: unknown[]) => unknown>; Dim: new () => Record<string, (...a: unknown[]) => unknown> };
  MetaGraphDef: { new (): Record<string, (...a: unknown[]) => unknown>; MetaInfoDef: new () => Record<string, (...a: unknown[]) => unknown> };
};

let apiPb: ApiPb | null | undefined;

/** tfjs-node's compiled TensorFlow protos (it reads SavedModels with them), whichever name it installed under. */
function loadApiPb(): ApiPb | null {
  if (apiPb !== undefined) return apiPb;
  apiPb = null;
  for (const pkg of ["tfjs-node-native", "@tensorflow/tfjs-node"]) {
    try {
      apiPb = require(`${pkg}/dist/proto/api_pb.js`) as ApiPb;
      break;
    } catch {
      // try the next name
    }
  }
  return apiPb;
}

/** tfjs-node's backend (nativeBackend) when it also offers what tracing and replaying use. */
function traceableBackend(): TraceableBackend | undefined {
  const b = nativeBackend() as unknown as Partial<TraceableBackend> | undefined;
  const ok = b?.binding && typeof b.binding.loadSavedModel === "function" && typeof b.binding.runSavedModel === "function" && typeof b.getInputTensorIds === "function" && typeof b.createOutputTensor === "function";
  return ok ? (b as TraceableBackend) : undefined;
}

/** Whether graphs can be traced here: the tensorflow backend (tfjs-node) with its protos. */
export function canTraceGraphs(): boolean {
  return traceableBackend() !== undefined && loadApiPb() !== null;
}

/**
 * Runs `fn` eagerly (its outputs are real) while recording every TensorFlow op, and builds the graph that
 * replays it. Leaves of the computation: `feeds.inputs` and `feeds.live` are fed on each run, variables
 * are fed their current values (and assigned when the trace changed them), every other tensor is a
 * constant. When the computation cannot be replayed (another backend, an op input TF.js made outside
 * TensorFlow's tensors, an attribute kind not handled, a graph TensorFlow refuses), the result says why
 * and `fn` has still run once.
 */
export function traceToGraph(fn: () => tf.Tensor[], feeds: TraceFeeds): TraceResult {
  const backend = traceableBackend();
  const api = loadApiPb();
  if (!backend || !api) return { outputs: tf.tidy(fn), unsupported: `graph tracing needs the tensorflow backend (tfjs-node); the backend is ${tf.getBackend()}` };

  const ops: TracedOp[] = [];
  const produced = new Set<object>();
  const leaves = new Map<object, { shape: number[]; dtype: string; values?: ArrayLike<number> }>();
  const variables = Object.values(tf.engine().registeredVariables) as tf.Variable[];
  const variableAt = new Map<object, tf.Variable>(variables.map((v) => [v.dataId, v]));
  const fed = new Map<object, number>(feeds.inputs.map((t, i) => [t.dataId, i]));
  const live = (feeds.live ?? []).map((get) => get());
  const liveAt = new Map<object, number>(live.map((t, i) => [t.dataId, i]));
  let problem: string | undefined;

  const record = (name: string, attrs: OpAttr[], inputs: tf.Tensor[], outputs: tf.Tensor[]): void => {
    for (const t of inputs) {
      if (!t || !t.dataId) {
        problem ??= `${name} took an input that is not a TensorFlow tensor`;
        continue;
      }
      if (produced.has(t.dataId) || leaves.has(t.dataId)) continue;
      const constant = !variableAt.has(t.dataId) && !fed.has(t.dataId) && !liveAt.has(t.dataId);
      leaves.set(t.dataId, { shape: [...t.shape], dtype: t.dtype, ...(constant ? { values: Array.from(backend.readSync(t.dataId)) } : {}) });
    }
    for (const o of outputs) produced.add(o.dataId);
    ops.push({ name, attrs, inputs: inputs.map((t) => t?.dataId), outputs: outputs.map((o) => o.dataId) });
  };
  const restore = interceptNativeOps(backend, (name, attrs, inputs, run) => {
    const outs = run();
    record(name, attrs as OpAttr[], inputs, outs);
    return outs;
  });
  let outputs: tf.Tensor[];
  try {
    outputs = tf.tidy(fn);
  } finally {
    restore();
  }
  if (problem) return { outputs, unsupported: problem };

  // A variable made during the trace (an optimizer's first step) would never be fed its updates.
  if (Object.keys(tf.engine().registeredVariables).length !== variables.length) return { outputs, unsupported: "variables were created during the traced computation" };
  const updated = variables.filter((v) => !v.isDisposed && variableAt.get(v.dataId) !== v);
  const missing = [...updated.map((v) => v.dataId), ...outputs.map((o) => o.dataId)].some((id) => !produced.has(id));
  if (missing) return { outputs, unsupported: "an output or an updated variable was not made by a TensorFlow op" };
  if (feeds.inputs.some((t) => !leaves.has(t.dataId))) return { outputs, unsupported: "an input the computation does not read" };

  try {
    return { outputs, graph: buildGraph(backend, api, ops, leaves, { constants: feeds.constants ?? "const", variableAt, fed, liveAt, feeds, updated, outputs }) };
  } catch (err) {
    return { outputs, unsupported: (err as Error).message };
  }
}

interface Wiring {
  constants: "const" | "fed";
  variableAt: Map<object, tf.Variable>;
  fed: Map<object, number>;
  liveAt: Map<object, number>;
  feeds: TraceFeeds;
  updated: tf.Variable[];
  outputs: tf.Tensor[];
}

function buildGraph(
  backend: TraceableBackend,
  api: ApiPb,
  ops: TracedOp[],
  leaves: Map<object, { shape: number[]; dtype: string; values?: ArrayLike<number> }>,
  w: Wiring,
): TracedGraph {
  const b = backend.binding;
  const tfType: Record<string, number> = { float32: b.TF_FLOAT, int32: b.TF_INT32, bool: b.TF_BOOL };
  const attrValue = (a: OpAttr) => {
    const v = new api.AttrValue();
    const list = (add: string, xs: unknown[]) => {
      const l = new api.AttrValue.ListValue();
      for (const x of xs) l[add](x);
      v.setList(l);
    };
    if (a.type === b.TF_ATTR_STRING) v.setS(Buffer.from(String(a.value)));
    else if (a.type === b.TF_ATTR_INT) Array.isArray(a.value) ? list("addI", a.value) : v.setI(a.value);
    else if (a.type === b.TF_ATTR_FLOAT) Array.isArray(a.value) ? list("addF", a.value) : v.setF(a.value);
    else if (a.type === b.TF_ATTR_BOOL) Array.isArray(a.value) ? list("addB", a.value) : v.setB(a.value);
    else if (a.type === b.TF_ATTR_TYPE) v.setType(a.value);
    else if (a.type === b.TF_ATTR_SHAPE) v.setShape(shapeProto(a.value as number[]));
    else throw new Error(`attribute ${a.name} is of a kind graph tracing does not write (${a.type})`);
    return v;
  };

  const graph = new api.GraphDef();
  const versions = new api.VersionDef();
  versions.setProducer(1000);
  graph.setVersions(versions);
  const nameOf = new Map<object, string>();
  // What each placeholder is fed from, in order.
  const sources: ((inputs: readonly tf.Tensor[]) => tf.Tensor)[] = [];
  const constants: tf.Tensor[] = [];
  const hash = createHash("sha256");
  const shapeProto = (dims: readonly number[]) => {
    const shape = new api.TensorShape();
    for (const d of dims) {
      const dim = new api.TensorShape.Dim();
      dim.setSize(d);
      shape.addDim(dim);
    }
    return shape;
  };
  let leafCount = 0;
  for (const [dataId, leaf] of leaves) {
    const type = tfType[leaf.dtype];
    if (type === undefined) throw new Error(`a ${leaf.dtype} tensor cannot be fed to a graph`);
    const node = new api.NodeDef();
    const attrs = node.getAttrMap() as unknown as Map<string, unknown>;
    attrs.set("dtype", attrValue({ name: "dtype", type: b.TF_ATTR_TYPE, value: type }));
    const variable = w.variableAt.get(dataId);
    const input = w.fed.get(dataId);
    const live = w.liveAt.get(dataId);
    // Tracing read the values of exactly the leaves that are neither variables, inputs nor live.
    const constant = leaf.values !== undefined;
    const name = constant && w.constants === "const" ? `const_${leafCount++}` : `feed_${sources.length}`;
    node.setName(name);
    nameOf.set(dataId, `${name}:0`);
    if (variable) {
      sources.push(() => variable);
      hash.update(`variable ${variable.name} ${leaf.shape};`);
    } else if (input !== undefined) {
      sources.push((inputs) => inputs[input]);
      hash.update(`input ${input} ${leaf.shape};`);
    } else if (live !== undefined) {
      sources.push(() => w.feeds.live![live]());
      hash.update(`live ${live} ${leaf.shape};`);
    } else {
      hash.update(`constant ${leaf.dtype} ${leaf.shape} `);
      hash.update(new Uint8Array(Float64Array.from(leaf.values!).buffer));
    }
    if (constant && w.constants === "const") {
      // Written into the graph, where TensorFlow's optimizer can fold it.
      const value = new api.Tensor();
      value.setDtype(type);
      value.setTensorShape(shapeProto(leaf.shape));
      const raw = leaf.dtype === "float32" ? Float32Array.from(leaf.values!) : leaf.dtype === "int32" ? Int32Array.from(leaf.values!) : Uint8Array.from(leaf.values!);
      value.setTensorContent(new Uint8Array(raw.buffer));
      const v = new api.AttrValue();
      v.setTensor(value);
      attrs.set("value", v);
      node.setOp("Const");
    } else {
      if (constant) {
        const c = tf.tensor(leaf.values as number[], leaf.shape, leaf.dtype as "float32");
        constants.push(c);
        sources.push(() => c);
      }
      node.setOp("Placeholder");
    }
    graph.addNode(node);
  }
  ops.forEach((op, k) => {
    const node = new api.NodeDef();
    node.setName(`op_${k}`);
    node.setOp(op.name);
    const inputs = op.inputs.map((id) => nameOf.get(id)!);
    for (const input of inputs) node.addInput(input);
    for (const a of op.attrs) (node.getAttrMap() as unknown as Map<string, unknown>).set(a.name, attrValue(a));
    graph.addNode(node);
    op.outputs.forEach((o, j) => nameOf.set(o, `op_${k}:${j}`));
    hash.update(`${op.name}(${inputs.join(",")})${JSON.stringify(op.attrs.map((a) => [a.name, a.value]))};`);
  });
  const fetches = [...w.updated.map((v) => nameOf.get(v.dataId)!), ...w.outputs.map((o) => nameOf.get(o.dataId)!)];
  hash.update(`fetch ${fetches.join(",")}`);

  const meta = new api.MetaGraphDef();
  const info = new api.MetaGraphDef.MetaInfoDef();
  info.addTags("serve");
  meta.setMetaInfoDef(info);
  meta.setGraphDef(graph);
  const saved = new api.SavedModel();
  saved.setSavedModelSchemaVersion(1);
  saved.addMetaGraphs(meta);
  const dir = mkdtempSync(join(tmpdir(), "lowrank-graph-"));
  let id: number;
  try {
    writeFileSync(join(dir, "saved_model.pb"), saved.serializeBinary() as Uint8Array);
    id = b.loadSavedModel(dir, "serve");
  } catch (err) {
    tf.dispose(constants);
    throw new Error(`TensorFlow did not take the traced graph: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const feedNames = sources.map((_, k) => `feed_${k}:0`).join(",");
  const fetchNames = fetches.join(",");
  const inputShapes = w.feeds.inputs.map((t) => [...t.shape]);
  let disposed = false;
  return {
    signature: hash.digest("hex"),
    ops: ops.length,
    inputShapes,
    run(inputs) {
      if (disposed) throw new Error("This traced graph was disposed.");
      if (inputs.length !== inputShapes.length || inputs.some((t, k) => t.shape.length !== inputShapes[k].length || t.shape.some((d, j) => d !== inputShapes[k][j]))) {
        throw new Error(`A traced graph runs on inputs shaped as traced (${inputShapes.map((s) => `[${s}]`).join(", ")}), got ${inputs.map((t) => `[${t.shape}]`).join(", ")}.`);
      }
      const ids = backend.getInputTensorIds(sources.map((s) => s(inputs)));
      const results = b.runSavedModel(id, ids, feedNames, fetchNames).map((m) => backend.createOutputTensor(m));
      w.updated.forEach((v, k) => {
        v.assign(results[k]);
        results[k].dispose();
      });
      return results.slice(w.updated.length);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose(constants);
      b.deleteSavedModel(id);
    },
  };
}
