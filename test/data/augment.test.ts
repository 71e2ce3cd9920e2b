import { test } from "node:test";
import assert from "node:assert/strict";
import { IDENTITY, randomPlacement, renderImage } from "../../src/data/augment";
import { createRng } from "../../src/data/prng";

// A test image whose pixels say where they are: R = 8·row, G = 8·column, B = 200 (channel-major, as in the files).
function positionImage(): Uint8Array {
  const img = new Uint8Array(3072);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      img[y * 32 + x] = 8 * y;
      img[1024 + y * 32 + x] = 8 * x;
      img[2048 + y * 32 + x] = 200;
    }
  }
  return img;
}

const RAW = { mean: [0, 0, 0], invStd: [1, 1, 1] };
const render = (p = IDENTITY, norm = RAW) => {
  const out = new Float32Array(3072);
  renderImage(positionImage(), 0, out, 0, norm.mean, norm.invStd, p);
  return out;
};
/** RGB at (row, column) of an HWC image. */
const at = (img: Float32Array, y: number, x: number) => Array.from(img.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));

test("identity turns channel-major bytes into HWC floats", () => {
  const out = render();
  assert.deepEqual(at(out, 0, 0), [0, 0, 200]);
  assert.deepEqual(at(out, 5, 9), [40, 72, 200]);
  assert.deepEqual(at(out, 31, 31), [248, 248, 200]);
});

test("normalisation is (v − mean) / std per channel", () => {
  const out = render(IDENTITY, { mean: [10, 20, 100], invStd: [1 / 2, 1 / 4, 1 / 50] });
  assert.deepEqual(at(out, 5, 9), [(40 - 10) / 2, (72 - 20) / 4, (200 - 100) / 50]);
});

test("a crop shifted by (dy, dx) = (2, −3) is a shifted copy with zeros in the padding, checked by hand", () => {
  const out = render({ dy: 2, dx: -3, flip: false });
  // Output (y, x) shows input (y + 2, x − 3).
  assert.deepEqual(at(out, 0, 3), [16, 0, 200]); // input (2, 0)
  assert.deepEqual(at(out, 10, 20), [96, 136, 200]); // input (12, 17)
  assert.deepEqual(at(out, 29, 31), [248, 224, 200]); // input (31, 28): last row in range
  // The three leftmost columns came from the left padding, the two bottom rows from the bottom padding.
  for (let y = 0; y < 32; y++) for (let x = 0; x < 3; x++) assert.deepEqual(at(out, y, x), [0, 0, 0]);
  for (let y = 30; y < 32; y++) for (let x = 0; x < 32; x++) assert.deepEqual(at(out, y, x), [0, 0, 0]);
  // Everything else is non-padding (B = 200).
  for (let y = 0; y < 30; y++) for (let x = 3; x < 32; x++) assert.equal(at(out, y, x)[2], 200);
});

test("a flip mirrors each row; flip and shift compose as documented", () => {
  const plain = render();
  const flipped = render({ dy: 0, dx: 0, flip: true });
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) assert.deepEqual(at(flipped, y, x), at(plain, y, 31 - x));
  const both = render({ dy: -4, dx: 4, flip: true });
  // Output (y, x) shows input (y − 4, (31 − x) + 4).
  assert.deepEqual(at(both, 4, 4), [0, 248, 200]); // input (0, 31)
  assert.deepEqual(at(both, 4, 3), [0, 0, 0]); // column 32: padding
  assert.deepEqual(at(both, 3, 10), [0, 0, 0]); // row −1: padding
});

test("random placements are seeded and cover shifts −4..4 and both flips", () => {
  const take = (seed: number) => {
    const rng = createRng(seed);
    return Array.from({ length: 400 }, () => randomPlacement(rng));
  };
  const a = take(5);
  assert.deepEqual(a, take(5));
  assert.notDeepEqual(a, take(6));
  assert.deepEqual([...new Set(a.map((p) => p.dy))].sort((x, y) => x - y), [-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  assert.deepEqual([...new Set(a.map((p) => p.dx))].sort((x, y) => x - y), [-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  assert.deepEqual(new Set(a.map((p) => p.flip)), new Set([true, false]));
});
