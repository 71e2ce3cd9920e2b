import { CHANNELS, IMAGE_SIZE, PLANE_SIZE } from "./format";
import type { Rng } from "./prng";

/**
 * Where an output image takes its pixels from: output (y, x) shows input (y + dy, x' + dx), with
 * x' = 31 − x when `flip` (mirror) else x. Pixels that fall outside the input are padding.
 * A random crop of the image padded by p pixels is a shift with dy, dx in −p..p.
 */
export interface Placement {
  dy: number;
  dx: number;
  flip: boolean;
}

// Module-local copies: imported bindings compile to property reads, too slow inside hot loops.
const SIZE = IMAGE_SIZE;
const PLANE = PLANE_SIZE;
const ROW = IMAGE_SIZE * CHANNELS;

export const IDENTITY: Placement = Object.freeze({ dy: 0, dx: 0, flip: false });

/** The standard CIFAR augmentation: random crop from a `pad`-pixel zero-padded image and a coin-flip mirror. */
export function randomPlacement(rng: Rng, pad = 4): Placement {
  const dy = rng.int(2 * pad + 1) - pad;
  const dx = rng.int(2 * pad + 1) - pad;
  return { dy, dx, flip: rng.next() < 0.5 };
}

/**
 * Write one channel-major uint8 image (`src` at `srcOffset`) into `out` at `outOffset` as HWC float32,
 * normalised as (v − mean[c]) · invStd[c] and placed by `p`. Padding is written as 0 — zero *after*
 * normalisation, i.e. the training-set mean colour — so padded borders carry no signal for the network.
 */
export function renderImage(
  src: Uint8Array,
  srcOffset: number,
  out: Float32Array,
  outOffset: number,
  mean: ArrayLike<number>,
  invStd: ArrayLike<number>,
  p: Placement = IDENTITY,
): void {
  const last = SIZE - 1;
  const { dy, dx, flip } = p;
  const m0 = mean[0], m1 = mean[1], m2 = mean[2];
  const s0 = invStd[0], s1 = invStd[1], s2 = invStd[2];
  for (let y = 0; y < SIZE; y++) {
    const sy = y + dy;
    const rowOut = outOffset + y * ROW;
    if (sy < 0 || sy > last) {
      out.fill(0, rowOut, rowOut + ROW);
      continue;
    }
    const rowIn = srcOffset + sy * SIZE;
    for (let x = 0; x < SIZE; x++) {
      const sx = (flip ? last - x : x) + dx;
      const o = rowOut + x * 3;
      if (sx < 0 || sx > last) {
        out[o] = 0;
        out[o + 1] = 0;
        out[o + 2] = 0;
        continue;
      }
      const i = rowIn + sx;
      out[o] = (src[i] - m0) * s0;
      out[o + 1] = (src[i + PLANE] - m1) * s1;
      out[o + 2] = (src[i + 2 * PLANE] - m2) * s2;
    }
  }
}
