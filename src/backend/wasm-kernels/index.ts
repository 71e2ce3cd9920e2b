/** Gradient kernels TF.js's wasm backend lacks or runs slowly. (Placeholder: being written.) */
export function registerWasmKernels(): string[] {
  return [];
}
