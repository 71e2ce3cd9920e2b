import type * as tf from "@tensorflow/tfjs";
import { inceptionNet, type InceptionOptions } from "./inception";
import { nin, type NinOptions } from "./nin";
import { referenceCnn } from "./reference-cnn";
import { resnet, type ResNetOptions } from "./resnet";
import { taiCifarCnn, type TaiCifarCnnOptions } from "./tai-cifar-cnn";
import { tinyCnn, type TinyCnnOptions } from "./tiny-cnn";
import { vggSmall, type VggSmallOptions } from "./vgg-small";

export { BN_MOMENTUM, ConvGraphBuilder, ConvNetBuilder, type ConvFactory, type ConvRequest } from "./conv-block";
export { inceptionNet, type InceptionOptions } from "./inception";
export { nin, type NinOptions } from "./nin";
export { referenceCnn } from "./reference-cnn";
export { resnet, type ResNetOptions } from "./resnet";
export { TAI_CIFAR_CNN_RANKS, taiCifarCnn, type TaiCifarCnnOptions } from "./tai-cifar-cnn";
export { tinyCnn, type TinyCnnOptions } from "./tiny-cnn";
export { vggSmall, type VggSmallOptions } from "./vgg-small";

export type ModelName = "tiny-cnn" | "vgg-small" | "nin" | "tai-cnn" | "resnet" | "inception" | "reference-cnn";
export const MODEL_NAMES: readonly ModelName[] = ["tiny-cnn", "vgg-small", "nin", "tai-cnn", "resnet", "inception", "reference-cnn"];

export interface ModelOptionsByName {
  "tiny-cnn": TinyCnnOptions;
  "vgg-small": VggSmallOptions;
  nin: NinOptions;
  "tai-cnn": TaiCifarCnnOptions;
  resnet: ResNetOptions;
  inception: InceptionOptions;
  /** The fixed benchmark CNN of src/models/reference-cnn.ts (softmax output); no options. */
  "reference-cnn": Record<string, never>;
}

/** Build a zoo model by name (for the CLI). Uncompiled; the zoo's own models output logits. */
export function buildModel<N extends ModelName>(name: N, opts?: ModelOptionsByName[N]): tf.LayersModel;
export function buildModel(name: string, opts?: object): tf.LayersModel;
export function buildModel(name: string, opts: object = {}): tf.LayersModel {
  switch (name) {
    case "tiny-cnn":
      return tinyCnn(opts as TinyCnnOptions);
    case "vgg-small":
      return vggSmall(opts as VggSmallOptions);
    case "nin":
      return nin(opts as NinOptions);
    case "tai-cnn":
      return taiCifarCnn(opts as TaiCifarCnnOptions);
    case "resnet":
      return resnet(opts as ResNetOptions);
    case "inception":
      return inceptionNet(opts as InceptionOptions);
    case "reference-cnn":
      if (Object.keys(opts).length) throw new Error("reference-cnn takes no options (it is the fixed benchmark network).");
      return referenceCnn();
    default:
      throw new Error(`Unknown model '${name}': use one of ${MODEL_NAMES.join(", ")}.`);
  }
}
