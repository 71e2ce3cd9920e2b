/**
 * Reading TF.js conv layers: their ConvSpec, kernel and bias, and whether a method can take them.
 * A Dense layer (the svd method's other kind) reads as a 1×1 conv: kernel [1, 1, C, N], one "pixel"
 * per position of its input's middle axes.
 */
import * as tf from "@tensorflow/tfjs";
import type { ConvSpec } from "./cost";
import type { HostKernel } from "./host-kernel";
import { kernelSize, type KernelSize } from "./rank-bounds";

type Pair = [number, number];

/** A layer's getConfig() value that may be a number or a pair, as [h, w]. */
export function configPair(value: unknown, what: string, layer: string): Pair {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) return [value[0], value[1]];
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "number") return [value[0], value[0]];
  throw new Error(`Layer '${layer}': cannot read ${what} from its config (got ${JSON.stringify(value)}).`);
}

/** The layer's input has no fixed height/width, so per-image costs and speed-up rules cannot apply. */
export class UnknownInputSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnknownInputSizeError";
  }
}

/** The single [batch, H, W, C] input shape of a connected layer (unknown sizes as -1). */
export function layerInputShape(layer: tf.layers.Layer): number[] {
  let input: tf.SymbolicTensor | tf.SymbolicTensor[];
  try {
    input = layer.input;
  } catch {
    throw new Error(`Layer '${layer.name}' is not connected (or is shared): build a model with it before measuring.`);
  }
  if (Array.isArray(input)) {
    throw new Error(`Layer '${layer.name}' has several inputs; only single-input layers can be measured on their own.`);
  }
  return input.shape.map((d) => d ?? -1);
}

/**
 * The ConvSpec (shape, strides, padding, bias) of a built Conv2D-like layer (Conv2D or a method's
 * replacement). Throws UnknownInputSizeError when its input height/width are not fixed.
 */
export function convSpecOfLayer(layer: tf.layers.Layer): ConvSpec {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const shape = layerInputShape(layer);
  if (typeof cfg.units === "number") return denseSpec(layer.name, shape, cfg.units, cfg.useBias !== false);
  if (shape.length !== 4) throw new Error(`Layer '${layer.name}' expects a 4-D input [batch, H, W, C], got [${shape.join(", ")}].`);
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast") {
    throw new Error(`Layer '${layer.name}' uses dataFormat '${String(cfg.dataFormat)}': only channelsLast (NHWC) is supported.`);
  }
  if (cfg.dilationRate !== undefined && configPair(cfg.dilationRate, "dilationRate", layer.name).some((d) => d !== 1)) {
    throw new Error(`Layer '${layer.name}' is dilated: dilated convs are not costed.`);
  }
  const [, inH, inW, inC] = shape;
  if (!(inC > 0)) throw new Error(`Layer '${layer.name}' has an unknown number of input channels [${shape.join(", ")}].`);
  if (!(inH > 0 && inW > 0)) {
    throw new UnknownInputSizeError(`Layer '${layer.name}' has an unknown spatial size [${shape.join(", ")}]: give the model a fixed input shape.`);
  }
  const [kh, kw] = configPair(cfg.kernelSize, "kernelSize", layer.name);
  const [strideH, strideW] = configPair(cfg.strides ?? 1, "strides", layer.name);
  const padding = cfg.padding;
  if (padding !== "same" && padding !== "valid") {
    throw new Error(`Layer '${layer.name}' has padding '${String(padding)}': only 'same' and 'valid' are supported.`);
  }
  const outC = cfg.filters;
  if (typeof outC !== "number") throw new Error(`Layer '${layer.name}' has no 'filters' in its config.`);
  return { inH, inW, inC, outC, kh, kw, strideH, strideW, padding, bias: cfg.useBias !== false };
}

/** A Dense layer (or its replacement) as a 1×1 conv over the positions of its input's middle axes. */
function denseSpec(name: string, shape: number[], units: number, bias: boolean): ConvSpec {
  const inC = shape[shape.length - 1];
  if (!(inC > 0)) throw new Error(`Layer '${name}' has an unknown number of inputs [${shape.join(", ")}].`);
  const positions = shape.slice(1, -1).reduce((a, d) => a * d, 1);
  if (!(positions > 0)) throw new UnknownInputSizeError(`Layer '${name}' has an input of unknown size [${shape.join(", ")}]: give the model a fixed input shape.`);
  return { inH: positions, inW: 1, inC, outC: units, kh: 1, kw: 1, strideH: 1, strideW: 1, padding: "valid", bias, dense: true };
}

/** True for a plain Dense layer (which the svd method factors like a 1×1 conv). */
export function isDenseLayer(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === "Dense";
}

/** The ConvSpec, or null when the input height/width are not fixed. */
export function convSpecIfSized(layer: tf.layers.Layer): ConvSpec | null {
  try {
    return convSpecOfLayer(layer);
  } catch (err) {
    if (err instanceof UnknownInputSizeError) return null;
    throw err;
  }
}

/** The kernel of a Conv2D (HWIO) or of a Dense layer (as [1, 1, C, N]), copied to host memory. */
export function kernelOfLayer(layer: tf.layers.Layer): HostKernel {
  const kernel = layer.getWeights()[0];
  const shape = kernel.shape.length === 2 ? [1, 1, ...kernel.shape] : kernel.shape;
  return { data: kernel.dataSync() as Float32Array, shape: shape as [number, number, number, number] };
}

/** kh, kw, C, N of a Conv2D's kernel (1, 1, C, N for a Dense layer). */
export function kernelSizeOfLayer(layer: tf.layers.Layer): KernelSize {
  const shape = layer.getWeights()[0].shape;
  return shape.length === 2 ? { ...kernelSize([1, 1, ...shape]), dense: true } : kernelSize(shape);
}

/** The bias of a Conv2D or Dense layer with useBias, else undefined. */
export function biasOfLayer(layer: tf.layers.Layer): Float32Array | undefined {
  const weights = layer.getWeights();
  return layer.getConfig().useBias && weights[1] ? (weights[1].dataSync() as Float32Array) : undefined;
}

/**
 * Why a layer cannot be decomposed at all (any method), or null for a plain Conv2D (dilation 1,
 * NHWC, one group) or Dense layer (which only methods with `factorsDense` take).
 * `replacementClasses` are the classes methods build ("already decomposed").
 */
export function convRefusal(layer: tf.layers.Layer, replacementClasses: readonly string[]): string | null {
  const cls = layer.getClassName();
  if (replacementClasses.includes(cls)) return `it is already a ${cls}`;
  switch (cls) {
    case "Conv2D":
      break;
    case "Dense":
      return null;
    case "DepthwiseConv2D":
      return "depthwise convolutions have one filter per input channel (no C×N kernel matrix to factor)";
    case "SeparableConv2D":
      return "separable convolutions are already factored (depthwise + pointwise)";
    case "Conv2DTranspose":
      return "transposed convolutions are not supported";
    default:
      return `it is a ${cls}, not a Conv2D`;
  }
  const config = layer.getConfig();
  const dilation = config.dilationRate as number | number[] | undefined;
  const dilations = dilation == null ? [1] : Array.isArray(dilation) ? dilation : [dilation];
  if (dilations.some((d) => d !== 1)) return `dilated convolutions (dilationRate ${JSON.stringify(dilation)}) are not supported`;
  if (config.dataFormat != null && config.dataFormat !== "channelsLast") {
    return `only channelsLast (NHWC) is supported, got ${String(config.dataFormat)}`;
  }
  if (config.groups != null && config.groups !== 1) return `grouped convolutions (groups ${String(config.groups)}) are not supported`;
  return null;
}
