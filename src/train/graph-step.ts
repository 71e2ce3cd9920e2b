import * as tf from "@tensorflow/tfjs";
import { canTraceGraphs, traceToGraph, type TracedGraph } from "../backend/traced-graph";

/** How a training run's steps ran: as one TensorFlow graph each, or op by op (and why). */
export type StepMode = { mode: "graph"; ops: number } | { mode: "eager"; reason: string };

/**
 * Runs a training step (a function of the batch that updates variables and returns scalars to read) op by
 * op until it can run as one TensorFlow graph (backend/traced-graph.ts): the first call runs eagerly (the
 * optimizer makes its state), the second and third are traced, and when both traces agree (same ops, same
 * constants: nothing that changes per step was captured), later batches of the traced shape run as the
 * graph. Other shapes (a short last batch) and every step where tracing is not possible run eagerly.
 */
export class StepRunner {
  private calls = 0;
  private graph: TracedGraph | undefined;
  private first: TracedGraph | undefined;
  private why: string | undefined;

  /**
   * @param step one optimizer step (run inside tf.tidy here); returns the scalars to read (e.g. loss, correct count)
   * @param live tensors the step reads that are replaced between steps (e.g. the optimizer's learning rate)
   * @param off why graph steps are not to be used (e.g. an optimizer whose rate is baked into each step), or undefined
   */
  constructor(
    private readonly step: (xs: tf.Tensor, ys: tf.Tensor) => tf.Tensor[],
    private readonly live: (() => tf.Tensor)[],
    off: string | undefined,
  ) {
    this.why = off ?? (canTraceGraphs() ? undefined : `graph steps need the tensorflow backend (tfjs-node); the backend is ${tf.getBackend()}`);
  }

  /** One step on a batch; returns the step's scalars as numbers. */
  run(xs: tf.Tensor, ys: tf.Tensor): number[] {
    this.calls++;
    const read = (ts: tf.Tensor[]): number[] => {
      const values = ts.map((t) => t.dataSync()[0]);
      tf.dispose(ts);
      return values;
    };
    if (this.graph && sameShape(this.graph.inputShapes, [xs.shape, ys.shape])) {
      let outputs: tf.Tensor[] | undefined;
      try {
        outputs = tf.tidy(() => this.graph!.run([xs, ys]));
      } catch (err) {
        // Nothing was assigned (a run assigns only after TensorFlow returns): go on op by op.
        this.graph.dispose();
        this.graph = undefined;
        this.why = `TensorFlow could not run the traced step (${(err as Error).message})`;
      }
      if (outputs) return read(outputs);
    }
    const eager = this.why !== undefined || this.graph || this.calls === 1 || (this.first && !sameShape(this.first.inputShapes, [xs.shape, ys.shape]));
    if (eager) return read(tf.tidy(() => this.step(xs, ys)));
    const traced = traceToGraph(() => this.step(xs, ys), { inputs: [xs, ys], live: this.live });
    if ("unsupported" in traced) {
      this.stop(traced.unsupported);
    } else if (!this.first) {
      this.first = traced.graph;
    } else if (this.first.signature !== traced.graph.signature) {
      traced.graph.dispose();
      this.stop("the step's ops or constants change from one step to the next");
    } else {
      this.first.dispose();
      this.first = undefined;
      this.graph = traced.graph;
    }
    return read(traced.outputs);
  }

  /** How the steps ran (so far). */
  get stepMode(): StepMode {
    if (this.graph) return { mode: "graph", ops: this.graph.ops };
    return { mode: "eager", reason: this.why ?? (this.calls < 3 ? "too few steps to trace" : "not traced") };
  }

  dispose(): void {
    this.first?.dispose();
    this.graph?.dispose();
    this.first = this.graph = undefined;
  }

  private stop(reason: string): void {
    this.why = reason;
    this.first?.dispose();
    this.first = undefined;
  }
}

const sameShape = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean =>
  a.length === b.length && a.every((s, i) => s.length === b[i].length && s.every((d, j) => d === b[i][j]));
