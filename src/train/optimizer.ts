import * as tf from "@tensorflow/tfjs";
import { isRateTensorAdam, RateTensorAdam } from "./adam";

export type OptimizerName = "sgd" | "adam";

export interface OptimizerOptions {
  optimizer: OptimizerName;
  learningRate: number;
  /** SGD momentum (0 = plain SGD). Default 0.9. */
  momentum?: number;
  /** Nesterov momentum for SGD. Default false. */
  nesterov?: boolean;
}

/** Build a TF.js optimizer; its state round-trips through getWeights/setWeights (checkpoints). */
export function makeOptimizer(o: OptimizerOptions): tf.Optimizer {
  if (!(o.learningRate > 0)) throw new Error(`learningRate must be > 0, got ${o.learningRate}.`);
  if (o.optimizer === "adam") return new RateTensorAdam(o.learningRate);
  if (o.optimizer === "sgd") {
    const momentum = o.momentum ?? 0.9;
    if (!(momentum >= 0 && momentum < 1)) throw new Error(`momentum must be in [0, 1), got ${momentum}.`);
    return momentum > 0 ? tf.train.momentum(o.learningRate, momentum, o.nesterov ?? false) : tf.train.sgd(o.learningRate);
  }
  throw new Error(`Unknown optimizer '${String(o.optimizer)}': use "sgd" or "adam".`);
}

/**
 * Change the learning rate in place (by class name: tfjs's Optimizer overrides `instanceof` so that
 * every optimizer is an "SGDOptimizer"). SGD/Momentum expose setLearningRate (it also rebuilds their
 * cached scalar), as RateTensorAdam does setRate; TF.js's own Adam reads its `learningRate` field at
 * every step, so assigning it is enough.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (isRateTensorAdam(optimizer)) {
    optimizer.setRate(lr);
    return;
  }
  const name = optimizer.getClassName();
  if (name === "SGD" || name === "Momentum") {
    (optimizer as tf.SGDOptimizer).setLearningRate(lr);
    return;
  }
  if (name === "Adam") {
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    return;
  }
  throw new Error(`Cannot set the learning rate of ${optimizer.getClassName()}: use "sgd" or "adam".`);
}

/** Current learning rate (for the history). */
export function learningRateOf(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/**
 * Dispose an optimizer completely. MomentumOptimizer.dispose (tfjs 4.22) forgets the learning-rate
 * scalar its SGD base keeps, leaking one tensor per optimizer: dispose that too.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  const lr = optimizer.getClassName() === "Momentum" ? (optimizer as unknown as { c?: tf.Tensor }).c : undefined;
  optimizer.dispose();
  if (lr && !lr.isDisposed) lr.dispose();
}

/**
 * What a traced graph step (train/graph-step.ts) must read afresh on each step: SGD and Momentum keep the
 * rate as the scalar `c`, RateTensorAdam as `negatedRate`; setLearningRate replaces them.
 */
export function liveOptimizerTensors(optimizer: tf.Optimizer): (() => tf.Tensor)[] {
  if (isRateTensorAdam(optimizer)) return [() => optimizer.negatedRate];
  const name = optimizer.getClassName();
  return name === "SGD" || name === "Momentum" ? [() => (optimizer as unknown as { c: tf.Tensor }).c] : [];
}

/** Why an optimizer's steps must not be replayed as a traced graph, or undefined when they may. */
export function graphStepObstacle(optimizer: tf.Optimizer): string | undefined {
  const name = optimizer.getClassName();
  if (name === "SGD" || name === "Momentum" || isRateTensorAdam(optimizer)) return undefined;
  // TF.js's Adam builds its rate from a number inside each step: a graph would keep the traced step's rate.
  return `the ${name} optimizer passed in builds its learning rate inside each step (graph steps: SGD, momentum and optimizer: "adam", which holds its rate as a tensor)`;
}
