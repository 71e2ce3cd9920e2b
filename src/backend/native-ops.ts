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
