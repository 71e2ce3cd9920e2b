import * as tf from "@tensorflow/tfjs";

/** The parts of TF.js's AdamOptimizer (tfjs-core 4.x) its update reads; private in its typings. */
interface AdamState {
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

const rateTensorAdam = Symbol("RateTensorAdam");

/**
 * TF.js's Adam with its learning rate held as a scalar tensor (replaced by setRate) instead of a number
 * turned into a new constant inside every step. The update, the state and its checkpoint form
 * (getWeights / setWeights, class name "Adam") are TF.js's; only the rate's form differs, so a traced
 * graph step (train/graph-step.ts) can be fed the current rate instead of keeping the traced one.
 */
export class RateTensorAdam extends tf.AdamOptimizer {
  readonly [rateTensorAdam] = true;
  private negativeRate: tf.Scalar;

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    // Kept: an optimizer made inside a tf.tidy outlives it (as TF.js's SGD keeps its rate scalar).
    this.negativeRate = tf.keep(tf.scalar(-learningRate));
  }

  /** The scalar −rate the update multiplies by (what graph steps are fed); replaced, the old one disposed, by setRate. */
  get negatedRate(): tf.Scalar {
    return this.negativeRate;
  }

  setRate(learningRate: number): void {
    this.learningRate = learningRate;
    this.negativeRate.dispose();
    this.negativeRate = tf.keep(tf.scalar(-learningRate));
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer["applyGradients"]>[0]): void {
    const s = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, s.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, s.accBeta2);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = s.accumulatedFirstMoment[i].variable;
        const v = s.accumulatedSecondMoment[i].variable;
        const newM = tf.add(tf.mul(m, s.beta1), tf.mul(gradient, 1 - s.beta1));
        const newV = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(gradient), 1 - s.beta2));
        const step = tf.div(tf.div(newM, oneMinusAccBeta1), tf.add(tf.sqrt(tf.div(newV, oneMinusAccBeta2)), s.epsilon));
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(step, this.negativeRate), value));
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    this.incrementIterations();
  }

  override dispose(): void {
    super.dispose();
    this.negativeRate.dispose();
  }
}

/** Whether `optimizer` is a RateTensorAdam (tf.Optimizer's `instanceof` accepts every optimizer). */
export function isRateTensorAdam(optimizer: tf.Optimizer): optimizer is RateTensorAdam {
  return (optimizer as Partial<Record<typeof rateTensorAdam, boolean>>)[rateTensorAdam] === true;
}
