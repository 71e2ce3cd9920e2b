/** A dense row-major float64 matrix: element (r, c) is `data[r * cols + c]`. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** A zero matrix of the given size. */
export function zeros(rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`Matrix size must be non-negative integers, got ${rows}×${cols}.`);
  }
  return { data: new Float64Array(rows * cols), rows, cols };
}

/** Wrap row-major data, checking its length. */
export function matrix(rows: number, cols: number, data: ArrayLike<number>): Matrix {
  if (data.length !== rows * cols) {
    throw new Error(`Matrix ${rows}×${cols} needs ${rows * cols} values, got ${data.length}.`);
  }
  return { data: Float64Array.from(data), rows, cols };
}

export function transpose(a: Matrix): Matrix {
  const t = zeros(a.cols, a.rows);
  for (let r = 0; r < a.rows; r++) {
    const row = r * a.cols;
    for (let c = 0; c < a.cols; c++) t.data[c * a.rows + r] = a.data[row + c];
  }
  return t;
}

/** a · b (i-k-j loop order: contiguous inner loop). */
export function matMul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`Cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}.`);
  const out = zeros(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const o = i * n;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) out.data[o + j] += aik * b.data[bk + j];
    }
  }
  return out;
}
