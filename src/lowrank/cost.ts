import { checkRank, type KernelSize } from "./rank-bounds";

/**
 * Theoretical cost (multiply-adds and parameters, per image) of a dense d×d convolution and of its
 * low-rank replacement: a kh×1 "vertical" conv C→K followed by a 1×kw "horizontal" conv K→N.
 *
 * Dense conv:      MACs = outH·outW·kh·kw·C·N                 params = kh·kw·C·N (+N bias)
 * Vertical conv:   MACs = outH·inW·kh·C·K   (stride (sH,1))   params = kh·C·K    (no bias)
 * Horizontal conv: MACs = outH·outW·kw·K·N  (stride (1,sW))   params = kw·K·N    (+N bias)
 *
 * With stride 1 and 'same' padding (outW = inW) this is the paper's K·d·(C+N) per output pixel against
 * C·N·d². With a column stride sW > 1 the vertical conv cannot subsample columns yet (the horizontal
 * taps still need every column), so it runs at width inW, not outW: its MACs are about sW times the
 * stride-1 formula's share and the speedup is lower than `paperSpeedup` says.
 * 'same' padding follows TensorFlow per axis; the vertical conv pads rows only, the horizontal columns only.
 * Bias adds are not counted as MACs. `bias` (default false) only adds N parameters.
 */

export interface ConvSpec extends KernelSize {
  inH: number;
  inW: number;
  strideH: number;
  strideW: number;
  padding: "same" | "valid";
  /** Count N bias parameters (on the horizontal conv for the low-rank pair). Default false. */
  bias?: boolean;
}

export interface LayerCost {
  /** Multiply-accumulates per image. */
  macs: number;
  /** Trainable parameters. */
  params: number;
  outH: number;
  outW: number;
}

function checkPositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer, got ${value}.`);
  }
}

/** Output length along one axis, TensorFlow convention: 'same' → ⌈in/s⌉, 'valid' → ⌈(in−k+1)/s⌉. */
export function outputSize(inSize: number, k: number, stride: number, padding: "same" | "valid"): number {
  checkPositiveInt(inSize, "Input size");
  checkPositiveInt(k, "Kernel size");
  checkPositiveInt(stride, "Stride");
  if (padding === "same") return Math.ceil(inSize / stride);
  if (padding === "valid") {
    if (k > inSize) {
      throw new Error(`Kernel size ${k} is larger than the input size ${inSize} with 'valid' padding: use 'same' or a larger input.`);
    }
    return Math.ceil((inSize - k + 1) / stride);
  }
  throw new Error(`Unknown padding '${String(padding)}': use 'same' or 'valid'.`);
}

function checkSpec(spec: ConvSpec): void {
  checkPositiveInt(spec.inC, "Input channels (inC)");
  checkPositiveInt(spec.outC, "Output channels (outC)");
}

/** Cost of the dense conv, per image. */
export function convCost(spec: ConvSpec): LayerCost {
  checkSpec(spec);
  const outH = outputSize(spec.inH, spec.kh, spec.strideH, spec.padding);
  const outW = outputSize(spec.inW, spec.kw, spec.strideW, spec.padding);
  const macs = outH * outW * spec.kh * spec.kw * spec.inC * spec.outC;
  const params = spec.kh * spec.kw * spec.inC * spec.outC + (spec.bias ? spec.outC : 0);
  return { macs, params, outH, outW };
}

/** Cost of the vertical/horizontal pair at rank K, per image, with each conv's share. */
export function lowRankCost(spec: ConvSpec, rank: number): LayerCost & { vertical: LayerCost; horizontal: LayerCost } {
  checkSpec(spec);
  checkRank(spec, rank);
  const outH = outputSize(spec.inH, spec.kh, spec.strideH, spec.padding);
  const outW = outputSize(spec.inW, spec.kw, spec.strideW, spec.padding);
  // The vertical conv keeps every column: width inW ('same' or 'valid' with a width-1 kernel).
  const vertical: LayerCost = {
    macs: outH * spec.inW * spec.kh * spec.inC * rank,
    params: spec.kh * spec.inC * rank,
    outH,
    outW: spec.inW,
  };
  const horizontal: LayerCost = {
    macs: outH * outW * spec.kw * rank * spec.outC,
    params: spec.kw * rank * spec.outC + (spec.bias ? spec.outC : 0),
    outH,
    outW,
  };
  return { macs: vertical.macs + horizontal.macs, params: vertical.params + horizontal.params, outH, outW, vertical, horizontal };
}

/** Dense MACs / low-rank MACs for this layer (includes the stride effect above). */
export function theoreticalSpeedup(spec: ConvSpec, rank: number): number {
  return convCost(spec).macs / lowRankCost(spec, rank).macs;
}

/** The paper's per-pixel ratio C·N·d² / (K·d·(C+N)) (stride 1, square kernel, borders ignored). */
export function paperSpeedup(C: number, N: number, d: number, K: number): number {
  checkPositiveInt(C, "C");
  checkPositiveInt(N, "N");
  checkPositiveInt(d, "d");
  checkPositiveInt(K, "K");
  return (C * N * d * d) / (K * d * (C + N));
}
