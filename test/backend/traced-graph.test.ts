import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/init";
import { canTraceGraphs, traceToGraph, type TracedGraph } from "../../src/backend/traced-graph";

before(async () => {
  await initBackend(undefined, { quiet: true });
});

const native = { skip: !canTraceGraphs() && "needs the tensorflow backend" };

/** v ← v·k + x, returns [sum(v)]: a variable update, a fed input and a constant k. */
function traced(v: tf.Variable, x: tf.Tensor, k: number, constants: "const" | "fed" = "const"): { outputs: tf.Tensor[]; graph: TracedGraph } {
  const r = traceToGraph(() => {
    v.assign(tf.add(tf.mul(v, k), x));
    return [tf.sum(v)];
  }, { inputs: [x], constants });
  if ("unsupported" in r) throw new Error(r.unsupported);
  return r;
}

for (const constants of ["const", "fed"] as const) test(`a traced computation runs again as a graph (constants ${constants}): the variable is updated from its current value, the input is fed, outputs come back`, native, () => {
  const v = tf.variable(tf.tensor1d([1, 2, 3]));
  const { outputs, graph } = traced(v, tf.tensor1d([1, 1, 1]), 2, constants);
  assert.deepEqual(Array.from(v.dataSync()), [3, 5, 7], "the trace itself ran");
  assert.equal(outputs[0].dataSync()[0], 15);
  const tensors = tf.memory().numTensors;
  const [sum] = graph.run([tf.tensor1d([0, 10, 100])]);
  assert.deepEqual(Array.from(v.dataSync()), [6, 20, 114]);
  assert.equal(sum.dataSync()[0], 140);
  sum.dispose();
  assert.equal(tf.memory().numTensors, tensors + 1, "only the fed input made here is left");
  assert.throws(() => graph.run([tf.tensor1d([1, 2])]), /runs on inputs shaped as traced \(\[3\]\), got \[2\]/);
  graph.dispose();
  assert.throws(() => graph.run([tf.tensor1d([1, 2, 3])]), /disposed/);
  tf.dispose([v, ...outputs]);
});

test("signatures: equal for the same computation, different when a captured constant differs", native, () => {
  const v = tf.variable(tf.zeros([2]));
  const x = tf.ones([2]);
  const a = traced(v, x, 2);
  const b = traced(v, x, 2);
  const c = traced(v, x, 3);
  assert.equal(a.graph.signature, b.graph.signature);
  assert.notEqual(a.graph.signature, c.graph.signature);
  for (const t of [a, b, c]) {
    t.graph.dispose();
    tf.dispose(t.outputs);
  }
  tf.dispose([v, x]);
});

test("a live tensor is read afresh on every run", native, () => {
  const v = tf.variable(tf.zeros([1]));
  let rate = tf.scalar(1);
  const x = tf.ones([1]);
  const r = traceToGraph(() => {
    v.assign(tf.add(v, tf.mul(x, rate)));
    return [];
  }, { inputs: [x], live: [() => rate] });
  assert.ok(!("unsupported" in r));
  rate.dispose();
  rate = tf.scalar(10);
  r.graph.run([x]);
  assert.deepEqual(Array.from(v.dataSync()), [11]);
  r.graph.dispose();
  tf.dispose([v, x, rate]);
});

test("an input the computation never reads is refused, with the reason", native, () => {
  const x = tf.ones([2]);
  const r = traceToGraph(() => [tf.scalar(1).add(1)], { inputs: [x] });
  assert.ok("unsupported" in r && /does not read/.test(r.unsupported));
  tf.dispose([x, ...r.outputs]);
});

test("variables made while tracing (an optimizer's first step) are refused, with the reason", native, () => {
  const x = tf.ones([2]);
  let made: tf.Variable | undefined;
  const r = traceToGraph(() => {
    made = tf.variable(tf.mul(x, 2));
    return [];
  }, { inputs: [x] });
  assert.ok("unsupported" in r && /variables were created/.test(r.unsupported));
  tf.dispose([x, made!]);
});
