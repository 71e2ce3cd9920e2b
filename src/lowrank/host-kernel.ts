/** A convolution kernel held in host memory, TensorFlow HWIO layout: [kh, kw, inChannels, outChannels]. */
export interface HostKernel {
  data: Float32Array | Float64Array;
  shape: [number, number, number, number];
}

/** Human-readable size of a kernel, used in error messages: "3×3 conv 64→128". */
export function describeKernel(shape: readonly number[]): string {
  return `${shape[0]}×${shape[1]} conv ${shape[2]}→${shape[3]}`;
}

/** Throw a clear error unless `kernel` is a well-formed HWIO kernel. */
export function checkKernel(kernel: HostKernel, what = "kernel"): void {
  const shape = kernel?.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new Error(
      `The ${what} must have a 4-D HWIO shape [kh, kw, inChannels, outChannels] of positive integers, got ${JSON.stringify(shape)}.`,
    );
  }
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (!(kernel.data instanceof Float32Array || kernel.data instanceof Float64Array) || kernel.data.length !== size) {
    throw new Error(
      `The ${what} of shape [${shape.join(", ")}] needs a Float32Array or Float64Array of ${size} values, ` +
        `got ${kernel.data?.constructor?.name ?? typeof kernel.data} of length ${kernel.data?.length}.`,
    );
  }
  for (let i = 0; i < kernel.data.length; i++) {
    if (!Number.isFinite(kernel.data[i])) {
      throw new Error(`The ${what} (${describeKernel(shape)}) contains a non-finite value at index ${i}: ${kernel.data[i]}.`);
    }
  }
}
