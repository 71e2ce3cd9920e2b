import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilter } from "./conv2d-backprop-filter";
import { conv2dBackpropInput } from "./conv2d-backprop-input";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise-grads";
import { makeLeadingAxesReduceKernel } from "./leading-axes-reduce";
import { makeTileKernel } from "./tile";

const BACKEND = "wasm";

/** Kernel functions this module installed, by name, so a second call can tell them from the shipped ones. */
const installed = new Map<string, tf.KernelFunc>();

function install(name: string, make: (shipped?: tf.KernelConfig) => tf.KernelFunc): void {
  const current = tf.getKernel(name, BACKEND);
  if (current && current.kernelFunc === installed.get(name)) return;
  if (current) tf.unregisterKernel(name, BACKEND);
  const kernelFunc = make(current);
  // Keep the shipped kernel's set-up so a fallback to it finds its wasm function bound.
  tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc, setupFunc: current?.setupFunc, disposeFunc: current?.disposeFunc });
  installed.set(name, kernelFunc);
}

/**
 * Register on the wasm backend the gradient kernels TF.js lacks (Conv2DBackpropFilter, the depthwise conv's
 * two gradients) and faster
 * replacements for slow shipped ones (Conv2DBackpropInput, Tile, Sum and Mean over leading axes), all built from public tf ops that run
 * on wasm's XNNPACK kernels. Import `@tensorflow/tfjs-backend-wasm` first. Idempotent.
 * Returns the names of the project's kernels now registered for wasm.
 */
export function registerWasmKernels(): string[] {
  if (!tf.getKernel("Conv2D", BACKEND)) {
    throw new Error("registerWasmKernels: the wasm backend is not loaded; import '@tensorflow/tfjs-backend-wasm' before calling it.");
  }
  install("Conv2DBackpropFilter", () => conv2dBackpropFilter);
  install("Conv2DBackpropInput", () => conv2dBackpropInput);
  // CP layers' depthwise convs: wasm ships the forward kernel only.
  if (!tf.getKernel("DepthwiseConv2dNativeBackpropFilter", BACKEND) || installed.has("DepthwiseConv2dNativeBackpropFilter")) install("DepthwiseConv2dNativeBackpropFilter", () => depthwiseBackpropFilter);
  if (!tf.getKernel("DepthwiseConv2dNativeBackpropInput", BACKEND) || installed.has("DepthwiseConv2dNativeBackpropInput")) install("DepthwiseConv2dNativeBackpropInput", () => depthwiseBackpropInput);
  install("Tile", (shipped) => makeTileKernel(shipped?.kernelFunc));
  for (const kind of ["Sum", "Mean"] as const) {
    install(kind, (shipped) => {
      if (!shipped) throw new Error(`registerWasmKernels: the wasm backend has no ${kind} kernel to fall back on.`);
      return makeLeadingAxesReduceKernel(kind, shipped.kernelFunc);
    });
  }
  return [...installed.keys()];
}
