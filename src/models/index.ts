import type * as tf from "@tensorflow/tfjs";
import { nin, type NinOptions } from "./nin";
import { referenceCnn } from "./reference-cnn";
import { tinyCnn, type TinyCnnOptions } from "./tiny-cnn";
import { vggSmall, type VggSmallOptions } from "./vgg-small";

export { BN_MOMENTUM, ConvNetBuilder, type ConvFactory, type ConvRequest } from "./conv-block";
export { nin, type NinOptions } from "./nin";
export { referenceCnn } from "./reference-cnn";
export { tinyCnn, type TinyCnnOptions } from "./tiny-cnn";
export { vggSmall, type VggSmallOptions } from "./vgg-small";

export type ModelName = "tiny-cnn" | "vgg-small" | "nin" | "reference-cnn";
export const MODEL_NAMES: readonly ModelName[] = ["tiny-cnn", "vgg-small", "nin", "reference-cnn"];

export interface ModelOptionsByName {
  "tiny-cnn": TinyCnnOptions;
  "vgg-small": VggSmallOptions;
  nin: NinOptions;
  /** The fixed benchmark CNN of src/models/reference-cnn.ts (softmax output); no options. */
  "reference-cnn": Record<string, never>;
}

/** Build a zoo model by name (for the CLI). Uncompiled; the zoo's own models output logits. */
export function buildModel<N extends ModelName>(name: N, opts?: ModelOptionsByName[N]): tf.Sequential;
export function buildModel(name: string, opts?: object): tf.Sequential;
export function buildModel(name: string, opts: object = {}): tf.Sequential {
  switch (name) {
    case "tiny-cnn":
      return tinyCnn(opts as TinyCnnOptions);
    case "vgg-small":
      return vggSmall(opts as VggSmallOptions);
    case "nin":
      return nin(opts as NinOptions);
    case "reference-cnn":
      if (Object.keys(opts).length) throw new Error("reference-cnn takes no options (it is the fixed benchmark network).");
      return referenceCnn();
    default:
      throw new Error(`Unknown model '${name}': use one of ${MODEL_NAMES.join(", ")}.`);
  }
}
