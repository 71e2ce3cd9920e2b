import * as tf from "@tensorflow/tfjs";

/** What this project calls on tfjs-node's backend to run a TensorFlow op by name (nodejs_kernel_backend). */
export interface NativeBackend {
  binding: { TF_FLOAT: number; TF_INT32: number; TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

/** The active backend when it is tfjs-node's (`tensorflow`), else undefined. */
export function nativeBackend(): NativeBackend | undefined {
  if (tf.getBackend() !== "tensorflow") return undefined;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  return backend.binding && typeof backend.executeMultipleOutputs === "function" && typeof backend.executeSingleOutput === "function"
    ? (backend as NativeBackend)
    : undefined;
}

/** The `T: float32` attribute most TensorFlow ops take. */
export function float32Attr(b: NativeBackend): { name: string; type: number; value: number } {
  return { name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
}

/**
 * Sees every TensorFlow op tfjs-node's backend runs by name, until the returned function is called:
 * `hook` gets the op and `run`, which runs it and returns its outputs (one for single-output ops), and
 * returns what the op returns. Tracing records the calls, the bench times them.
 */
export function interceptNativeOps(
  backend: NativeBackend,
  hook: (name: string, attrs: unknown[], inputs: tf.Tensor[], run: () => tf.Tensor[]) => tf.Tensor[],
): () => void {
  const own = backend as unknown as Record<string, unknown>;
  const saved = (["executeSingleOutput", "executeMultipleOutputs"] as const).map((m) => [m, Object.getOwnPropertyDescriptor(own, m)] as const);
  const single = backend.executeSingleOutput;
  const multiple = backend.executeMultipleOutputs;
  backend.executeSingleOutput = function (this: NativeBackend, name, attrs, inputs) {
    return hook(name, attrs, inputs, () => [single.call(this, name, attrs, inputs)])[0];
  };
  backend.executeMultipleOutputs = function (this: NativeBackend, name, attrs, inputs, n) {
    return hook(name, attrs, inputs, () => multiple.call(this, name, attrs, inputs, n));
  };
  return () => {
    for (const [m, descriptor] of saved) {
      if (descriptor) Object.defineProperty(own, m, descriptor);
      else delete own[m];
    }
  };
}
