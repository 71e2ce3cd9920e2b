import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { decodePng, greyVariance, isPng, pngSize } from "../../src/plot/png";

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  return Buffer.concat([head, data, Buffer.alloc(4)]); // CRC is not checked by the decoder
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Encode RGB pixels, row y using filter type y % 5 (exercises all five PNG filters). */
function encodeRgb(width: number, height: number, px: Uint8Array): Buffer {
  const stride = width * 3;
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    const f = y % 5;
    rows.push(f);
    for (let x = 0; x < stride; x++) {
      const a = x >= 3 ? px[y * stride + x - 3] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= 3 && y > 0 ? px[(y - 1) * stride + x - 3] : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f];
      rows.push((px[y * stride + x] - pred) & 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

test("decodePng undoes all five filter types exactly", () => {
  const w = 7, h = 10;
  const px = new Uint8Array(w * h * 3).map((_, i) => (i * 37 + ((i * i) % 251)) & 255);
  const png = encodeRgb(w, h, px);
  assert.ok(isPng(png));
  assert.deepEqual(pngSize(png), { width: 7, height: 10 });
  const img = decodePng(png);
  assert.equal(img.channels, 3);
  assert.deepEqual(img.pixels, px);
});

test("greyVariance: 0 for a flat image, large for stripes", () => {
  const flat = decodePng(encodeRgb(4, 4, new Uint8Array(48).fill(200)));
  assert.equal(greyVariance(flat), 0);
  const stripes = new Uint8Array(48).map((_, i) => (Math.floor(i / 12) % 2 ? 255 : 0));
  assert.equal(greyVariance(decodePng(encodeRgb(4, 4, stripes))), 127.5 ** 2);
});

test("not a PNG: clear error", () => {
  assert.equal(isPng(Buffer.from("GIF89a....")), false);
  assert.throws(() => pngSize(Buffer.from("hello world, not a png at all")), /Not a PNG/);
});
