import * as tf from "@tensorflow/tfjs";
import { FactoredConv2D, setFactorWeights, type FactoredConv2DConfig } from "./factored-conv2d";
import type { HostKernel } from "./host-kernel";

type Shape = (number | null)[];

export interface Tucker2Conv2DConfig extends FactoredConv2DConfig {
  /** [R1, R2]: channels after the first 1×1 conv, and out of the core. */
  rank: [number, number];
}

/**
 * A kh×kw convolution C→N as Tucker-2 factors (Kim et al. 2016): a 1×1 conv C→R1, the kh×kw core conv
 * R1→R2 with the original strides and padding, and a 1×1 conv R2→N with the bias, then the activation.
 * Zero padding commutes with the first 1×1 conv (it has no bias), so 'same' and 'valid' are exact.
 * Weights: first_kernel [1, 1, C, R1], core_kernel [kh, kw, R1, R2], last_kernel [1, 1, R2, N], bias [N].
 */
export class Tucker2Conv2D extends FactoredConv2D {
  static className = "Tucker2Conv2D";
  readonly rank: [number, number];

  constructor(config: Tucker2Conv2DConfig) {
    super(config, Tucker2Conv2D.className);
    if (!Array.isArray(config.rank) || config.rank.length !== 2 || !config.rank.every((r) => Number.isInteger(r) && r >= 1)) {
      throw new Error(`Tucker2Conv2D '${config.name ?? this.name}': rank must be two positive integers [R1, R2], got ${JSON.stringify(config.rank)}.`);
    }
    this.rank = [config.rank[0], config.rank[1]];
  }

  override build(inputShape: Shape | Shape[]): void {
    const C = this.channelsOf(inputShape);
    const [kh, kw] = this.kernelSize;
    const [r1, r2] = this.rank;
    this.addFactors([["first_kernel", [1, 1, C, r1]], ["core_kernel", [kh, kw, r1, r2]], ["last_kernel", [1, 1, r2, this.filters]]]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const y = tf.conv2d(x, this.factor("first_kernel"), 1, "valid");
      return this.lastConv(tf.conv2d(y, this.factor("core_kernel"), this.strides, this.padding));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rank: [...this.rank] };
  }
}
tf.serialization.registerClass(Tucker2Conv2D);

/** Load Tucker-2 factors (and the original bias; zero without one) into a built Tucker2Conv2D. */
export function setTucker2Weights(layer: Tucker2Conv2D, factors: { first: HostKernel; core: HostKernel; last: HostKernel }, bias?: ArrayLike<number>): void {
  if (!(layer instanceof Tucker2Conv2D)) throw new Error("setTucker2Weights expects a Tucker2Conv2D layer.");
  setFactorWeights(layer, { first_kernel: factors.first, core_kernel: factors.core, last_kernel: factors.last }, bias);
}
