import * as tf from "@tensorflow/tfjs";
import { asTensor, requireInput } from "./kernel-support";

/** Insert stride − 1 zeros after every row and column: [B,OH,OW,C] → [B,OH·sh,OW·sw,C]. */
function spread(g: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return g;
  const [b, oh, ow, c] = g.shape;
  const padded = tf.pad(tf.reshape(g, [b, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.reshape(padded, [b, oh * sh, ow * sw, c]);
}

/**
 * Max-pool gradient, NHWC. The shipped wasm kernel is slow and, on ties (common after ReLU: windows of
 * zeros), sends the gradient to the last maximal element or, with overlapping padded windows, loses it;
 * the cpu and TensorFlow backends send it to the first maximum in row-major window order. This does the
 * same with whole-tensor ops: for each window tap (i, j), the strided slice of x that the tap sees is
 * compared with the pooled output, taking only windows no earlier tap claimed; each tap's dy share is
 * then placed back at rows oh·sh + i − top, columns ow·sw + j − left.
 */
export function maxPoolGrad({ inputs, attrs }: Parameters<tf.KernelFunc>[0]): tf.Tensor4D {
  const dyInfo = requireInput("MaxPoolGrad", inputs, "dy");
  const xInfo = requireInput("MaxPoolGrad", inputs, "input");
  const yInfo = requireInput("MaxPoolGrad", inputs, "output");
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  if (xInfo.shape.length !== 4) throw new Error(`MaxPoolGrad: expected an NHWC rank-4 input, got [${xInfo.shape}].`);
  const info = tf.backend_util.computePool2DInfo(xInfo.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  return tf.tidy(() => {
    const x = asTensor<tf.Rank.R4>(xInfo);
    const dy = asTensor<tf.Rank.R4>(dyInfo);
    const y = asTensor<tf.Rank.R4>(yInfo);
    const tiled = sh === kh && sw === kw; // windows cover the input without overlap
    // Pad with −∞ (padded positions never equal a window's maximum) to exactly the rows and columns the
    // taps read: OH·kh when tiled, else (kh − 1) + OH·sh so that every tap's contiguous slice fits.
    const rows = tiled ? oh * kh : kh - 1 + oh * sh;
    const cols = tiled ? ow * kw : kw - 1 + ow * sw;
    let xPad = x;
    const padBottom = rows - padInfo.top - h;
    const padRight = cols - padInfo.left - w;
    if (padInfo.top || padInfo.left || padBottom > 0 || padRight > 0) {
      xPad = tf.pad(x, [[0, 0], [padInfo.top, Math.max(0, padBottom)], [padInfo.left, Math.max(0, padRight)], [0, 0]], -Infinity);
    }
    if (xPad.shape[1] !== rows || xPad.shape[2] !== cols) xPad = tf.slice(xPad, [0, 0, 0, 0], [b, rows, cols, c]);
    // What tap (i, j) sees in every window, [B,OH,OW,C]. wasm's strided slice is very slow, so strides
    // become reshapes: rows oh·s + i are row i of [B·OH, s, OW, s·C].
    const windows = tiled ? tf.reshape(xPad, [b * oh, kh, ow, kw * c]) : undefined;
    const tap = (i: number, j: number): tf.Tensor4D => {
      if (windows) return tf.reshape(tf.slice(windows, [0, i, 0, j * c], [b * oh, 1, ow, c]), [b, oh, ow, c]);
      const shifted = tf.slice(xPad, [0, i, j, 0], [b, oh * sh, ow * sw, c]);
      if (sh === 1 && sw === 1) return shifted;
      return tf.reshape(tf.slice(tf.reshape(shifted, [b * oh, sh, ow, sw * c]), [0, 0, 0, 0], [b * oh, 1, ow, c]), [b, oh, ow, c]);
    };
    const zeros = tf.zerosLike(dy);
    let taken: tf.Tensor | undefined;
    const shares: tf.Tensor4D[][] = [];
    for (let i = 0; i < kh; i++) {
      const row: tf.Tensor4D[] = [];
      for (let j = 0; j < kw; j++) {
        let hit = tf.equal(tap(i, j), y);
        if (taken) {
          hit = tf.logicalAnd(hit, tf.logicalNot(taken));
          taken = tf.logicalOr(taken, hit);
        } else taken = hit;
        row.push(tf.where(hit, dy, zeros) as tf.Tensor4D);
      }
      shares.push(row);
    }
    let canvas: tf.Tensor4D; // gradient w.r.t. the padded input, from row 0 and column 0
    if (tiled) {
      // Interleave the taps' shares: [B·OH, kh, OW, kw·C] is the tiled input's layout.
      const rowsOfTaps = shares.map((r) => tf.reshape(tf.concat(r, 3), [b * oh, 1, ow, kw * c]));
      canvas = tf.reshape(tf.concat(rowsOfTaps, 1), [b, oh * kh, ow * kw, c]);
    } else {
      const height = (oh - 1) * sh + kh;
      const width = (ow - 1) * sw + kw;
      const placed = shares.flatMap((r, i) =>
        r.map((g, j) => {
          const s = tf.slice(spread(g, sh, sw), [0, 0, 0, 0], [b, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]);
          return tf.pad(s, [[0, 0], [i, height - i - s.shape[1]], [j, width - j - s.shape[2]], [0, 0]]);
        }),
      );
      canvas = tf.addN(placed);
    }
    // Back to the input's frame: drop the padding, add rows/columns no window reached.
    const [ch, cw] = [canvas.shape[1], canvas.shape[2]];
    const extraRows = Math.max(0, padInfo.top + h - ch);
    const extraCols = Math.max(0, padInfo.left + w - cw);
    if (extraRows || extraCols) canvas = tf.pad(canvas, [[0, 0], [0, extraRows], [0, extraCols], [0, 0]]);
    if (padInfo.top || padInfo.left || canvas.shape[1] !== h || canvas.shape[2] !== w) {
      canvas = tf.slice(canvas, [0, padInfo.top, padInfo.left, 0], [b, h, w, c]);
    }
    return canvas;
  });
}
