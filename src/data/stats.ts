import { CHANNELS, IMAGE_BYTES, PLANE_SIZE } from "./format";

export type Rgb = [number, number, number];

// Module-local copies: imported bindings compile to property reads, too slow inside hot loops.
const PLANE = PLANE_SIZE;
const IMAGE = IMAGE_BYTES;

/**
 * Per-channel mean and (population) standard deviation of channel-major images, in raw 0..255 units.
 * Counts each byte value first, so the sums are exact and the pass is a single cheap loop.
 */
export function channelMeanStd(pixels: Uint8Array): { mean: Rgb; std: Rgb } {
  if (pixels.length === 0 || pixels.length % IMAGE_BYTES !== 0) {
    throw new Error(`channelMeanStd needs whole 32×32×3 images (a multiple of ${IMAGE_BYTES} bytes), got ${pixels.length} bytes.`);
  }
  const counts = new Float64Array(CHANNELS * 256);
  for (let at = 0; at < pixels.length; at += IMAGE) {
    for (let c = 0; c < 3; c++) {
      const base = c * 256;
      const end = at + (c + 1) * PLANE;
      for (let p = at + c * PLANE; p < end; p++) counts[base + pixels[p]]++;
    }
  }
  const mean: Rgb = [0, 0, 0];
  const std: Rgb = [0, 0, 0];
  for (let c = 0; c < CHANNELS; c++) {
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    for (let v = 0; v < 256; v++) {
      const k = counts[c * 256 + v];
      n += k;
      sum += k * v;
      sumSq += k * v * v;
    }
    mean[c] = sum / n;
    std[c] = Math.sqrt(Math.max(sumSq / n - mean[c] * mean[c], 0));
  }
  return { mean, std };
}
