/**
 * A faster float64 SVD that `src/lowrank/svd.ts` hands its work to when one is installed: on the
 * tensorflow backend, TensorFlow's own `Svd` kernel (src/backend/native-svd.ts, installed by
 * initBackend). It lives here, below both, so the maths does not import a backend and the backend does
 * not import the maths.
 */

/** A row-major float64 matrix (the structural twin of src/lowrank/matrix.ts's Matrix). */
export interface Float64Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

export interface SvdKernel {
  /** Who computes, as reports print it (e.g. "TensorFlow Svd (Eigen), float64"). */
  name: string;
  /**
   * All p = min(rows, cols) singular values, descending, and with `withVectors` the thin U (rows×p) and
   * V (cols×p), A = U·diag(σ)·Vᵀ. Returns undefined to decline (then the project's own SVD runs).
   */
  svd(a: Float64Matrix, withVectors: boolean): { singularValues: Float64Array; u?: Float64Matrix; v?: Float64Matrix } | undefined;
}

let installed: SvdKernel | undefined;

/** Install `kernel` (undefined: the project's own SVD from now on); returns the one it replaces. */
export function setSvdKernel(kernel: SvdKernel | undefined): SvdKernel | undefined {
  const before = installed;
  installed = kernel;
  return before;
}

/** The installed kernel, unless LOWRANK_SVD=project asks for the project's own SVD. */
export function svdKernel(): SvdKernel | undefined {
  return process.env.LOWRANK_SVD === "project" ? undefined : installed;
}
