
/** The sizes of a conv that bound its rank: kernel kh×kw, C inputs, N outputs. */
export interface KernelSize {
  kh: number;
  kw: number;
  inC: number;
  outC: number;
  /** A Dense layer read as a 1×1 conv (conv-layer.ts): messages name it as such. */
  dense?: boolean;
}

/** "3×3 conv 64→128", or "Dense layer 512→10" for a Dense layer read as a 1×1 conv. */
export function describeSize(size: KernelSize): string {
  return size.dense ? `Dense layer ${size.inC}→${size.outC}` : `${size.kh}×${size.kw} conv ${size.inC}→${size.outC}`;
}

/** Largest meaningful rank of the vertical/horizontal split: min(C·kh, N·kw), the rank of its kernel matrix. */
export function maxRank(size: KernelSize): number {
  return Math.min(size.inC * size.kh, size.outC * size.kw);
}

/** KernelSize of an HWIO shape [kh, kw, C, N]. */
export function kernelSize(shape: readonly number[]): KernelSize {
  return { kh: shape[0], kw: shape[1], inC: shape[2], outC: shape[3] };
}

/**
 * Throw unless `rank` is an integer in 1..maxRank(size): the one rank check of the V/H split, used by
 * the cost model, the factorisation and model surgery. `layer` names the layer in the message.
 */
export function checkRank(size: KernelSize, rank: number, layer?: string): void {
  const limit = maxRank(size);
  if (Number.isInteger(rank) && rank >= 1 && rank <= limit) return;
  const what = describeSize(size);
  const matrix = `kernel matrix ${size.inC * size.kh}×${size.outC * size.kw}`;
  throw new Error(
    layer === undefined
      ? `Rank must be an integer in 1..${limit} for a ${what} (${matrix}), got ${rank}.`
      : `Rank for layer '${layer}' (${what}, ${matrix}) must be an integer in 1..${limit}, got ${rank}.`,
  );
}
