/**
 * Padding arithmetic for expressing a convolution's gradients as ordinary stride-1 convolutions.
 * Framework-free: one spatial axis at a time (height and width are independent).
 *
 * Forward (one axis): y[o] = Σ_t x[o·s + t − padBefore] · w[t], for o < outSize, t < filterSize.
 */
export interface AxisGeometry {
  inSize: number;
  outSize: number;
  filterSize: number;
  stride: number;
  /** Zeros the forward pass added before the input (the conv info's padInfo.top or .left). */
  padBefore: number;
}

/** How to pad (or crop) the input of a stride-1 correlation, and how much of its output to keep. */
export interface AxisPlan {
  /** Leading elements of the correlation's input to drop before padding. */
  cropBefore: number;
  padBefore: number;
  padAfter: number;
  /** The gradient is the first `keep` outputs of the correlation. */
  keep: number;
}

function checkAxis(g: AxisGeometry): void {
  const ints = [g.inSize, g.outSize, g.filterSize, g.stride, g.padBefore];
  if (!ints.every((v) => Number.isInteger(v)) || g.inSize < 1 || g.outSize < 1 || g.filterSize < 1 || g.stride < 1 || g.padBefore < 0) {
    throw new Error(`Invalid convolution geometry ${JSON.stringify(g)}: sizes and stride must be positive integers, padding ≥ 0.`);
  }
}

/**
 * Weight gradient dw[t] = Σ_o x[o·s + t − p] · dy[o] as a correlation of the padded x with dy dilated by s
 * (stride 1, dilation s). The correlation's input is x, padded by the returned amounts; keep `filterSize`.
 */
export function filterGradPlan(g: AxisGeometry): AxisPlan {
  checkAxis(g);
  const span = (g.outSize - 1) * g.stride + 1; // extent of the dilated dy
  // Output length is inSize + before + after − span + 1; it must reach filterSize.
  const padAfter = Math.max(0, g.filterSize + span - 1 - g.inSize - g.padBefore);
  return { cropBefore: 0, padBefore: g.padBefore, padAfter, keep: g.filterSize };
}

/**
 * Input gradient dx[h] = Σ_o dy[o] · w[h − o·s + p] as a correlation of dy — dilated by s (s − 1 zeros
 * after every element, so `dilatedSize` may include trailing zeros) — with the flipped filter.
 * The correlation's input is the dilated dy, cropped then padded by the returned amounts; keep `inSize`.
 */
export function inputGradPlan(g: AxisGeometry, dilatedSize: number): AxisPlan {
  checkAxis(g);
  const minDilated = (g.outSize - 1) * g.stride + 1;
  if (!Number.isInteger(dilatedSize) || dilatedSize < minDilated) {
    throw new Error(`Dilated gradient size ${dilatedSize} is smaller than ${minDilated} = (outSize − 1)·stride + 1.`);
  }
  // Output h reads dilated index h + t' − (filterSize − 1 − padBefore), t' < filterSize.
  const lead = g.filterSize - 1 - g.padBefore;
  const cropBefore = Math.max(0, -lead);
  const padBefore = Math.max(0, lead);
  const available = dilatedSize - cropBefore;
  const padAfter = Math.max(0, g.inSize + g.filterSize - 1 - available - padBefore);
  return { cropBefore, padBefore, padAfter, keep: g.inSize };
}
