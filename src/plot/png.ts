import { inflateSync } from "node:zlib";

/** Decoded 8-bit PNG: `pixels` holds `channels` bytes per pixel, row by row. */
export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** True when `buf` starts with the 8-byte PNG signature. */
export function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && SIGNATURE.every((b, i) => buf[i] === b);
}

/** Width and height from the IHDR chunk. */
export function pngSize(buf: Uint8Array): { width: number; height: number } {
  if (!isPng(buf) || buf.length < 24) throw new Error("Not a PNG file (bad signature).");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (String.fromCharCode(...buf.subarray(12, 16)) !== "IHDR") throw new Error("PNG without an IHDR chunk first.");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decode a non-interlaced 8-bit grey/RGB/RGBA PNG (what chromium writes). */
export function decodePng(buf: Uint8Array): DecodedPng {
  const { width, height } = pngSize(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bitDepth = buf[24], colorType = buf[25], interlace = buf[28];
  const channels = CHANNELS[colorType];
  if (bitDepth !== 8 || channels === undefined || interlace !== 0) {
    throw new Error(`Unsupported PNG (bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}): only 8-bit non-interlaced grey/RGB(A).`);
  }
  const idat: Uint8Array[] = [];
  for (let off = 8; off + 8 <= buf.length; ) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...buf.subarray(off + 4, off + 8));
    if (type === "IDAT") idat.push(buf.subarray(off + 8, off + 8 + len));
    if (type === "IEND") break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error("Truncated PNG image data.");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels] : 0;
      const b = y > 0 ? pixels[row - stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels] : 0;
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : -1;
      if (pred < 0) throw new Error(`Bad PNG filter type ${filter} on row ${y}.`);
      pixels[row + x] = (src[x] + pred) & 255;
    }
  }
  return { width, height, channels, pixels };
}

/** Variance of the pixels' grey level (0..255²): ~0 for a blank image. */
export function greyVariance(img: DecodedPng): number {
  const n = img.width * img.height;
  let sum = 0, sq = 0;
  for (let p = 0; p < n; p++) {
    const o = p * img.channels;
    const g = img.channels >= 3 ? (img.pixels[o] + img.pixels[o + 1] + img.pixels[o + 2]) / 3 : img.pixels[o];
    sum += g;
    sq += g * g;
  }
  const mean = sum / n;
  return sq / n - mean * mean;
}
