import * as tf from "@tensorflow/tfjs";
import type { Float64Matrix, SvdKernel } from "../util/svd-kernel";
import { nativeBackend, type NativeBackend } from "./native-ops";

/** TF_DataType's TF_DOUBLE (tensorflow/c/tf_datatype.h); tfjs-node's binding does not export it. */
const TF_DOUBLE = 2;

interface OutputMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

/** tfjs-node's binding, below the backend's tensor bookkeeping: it runs ops on float64 handles TF.js cannot hold. */
interface RawBinding {
  executeOp(name: string, attrs: unknown[], inputIds: number[], numOutputs: number): OutputMetadata[];
  deleteTensor(id: number): void;
}

interface RawBackend extends NativeBackend {
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(metadata: OutputMetadata): tf.Tensor;
}

/**
 * TensorFlow's own float64 `Svd` kernel (Eigen), run through tfjs-node's binding. TF.js has no float64
 * tensors, so the matrix travels as int32 pairs and `Bitcast` turns it into float64 inside TensorFlow
 * (and the results back): every bit is kept. Declines (undefined) when the tensorflow backend is not active.
 */
export function nativeSvd(a: Float64Matrix, withVectors: boolean): { singularValues: Float64Array; u?: Float64Matrix; v?: Float64Matrix } | undefined {
  const backend = nativeBackend() as RawBackend | undefined;
  if (!backend || typeof backend.getInputTensorIds !== "function" || typeof backend.createOutputTensor !== "function") return undefined;
  const binding = backend.binding as unknown as RawBinding & NativeBackend["binding"];
  const type = (name: string, value: number) => ({ name, type: binding.TF_ATTR_TYPE, value });
  const bool = (name: string, value: boolean) => ({ name, type: binding.TF_ATTR_BOOL, value });
  const { rows, cols } = a;
  const p = Math.min(rows, cols);
  const handles: number[] = [];
  // An unshared copy: tf.tensor keeps its argument, and a SharedArrayBuffer view is not a plain Int32Array.
  const words = new Int32Array(new Float64Array(a.data).buffer);
  const input = tf.tensor(words, [rows, cols, 2], "int32");
  try {
    const [matrix] = binding.executeOp("Bitcast", [type("T", binding.TF_INT32), type("type", TF_DOUBLE)], backend.getInputTensorIds([input]), 1);
    handles.push(matrix.id);
    const outputs = binding.executeOp("Svd", [bool("compute_uv", withVectors), bool("full_matrices", false), type("T", TF_DOUBLE)], [matrix.id], 3);
    handles.push(...outputs.map((o) => o.id));
    const read = (o: OutputMetadata): Float64Array => {
      const [ints] = binding.executeOp("Bitcast", [type("T", TF_DOUBLE), type("type", binding.TF_INT32)], [o.id], 1);
      let t: tf.Tensor;
      try {
        t = backend.createOutputTensor(ints); // owns the handle from here: t.dispose() frees it
      } catch (err) {
        binding.deleteTensor(ints.id);
        throw err;
      }
      try {
        const w = t.dataSync() as Int32Array;
        return new Float64Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength));
      } finally {
        t.dispose();
      }
    };
    const singularValues = read(outputs[0]);
    if (!withVectors) return { singularValues };
    return { singularValues, u: { data: read(outputs[1]), rows, cols: p }, v: { data: read(outputs[2]), rows: cols, cols: p } };
  } finally {
    for (const id of handles) binding.deleteTensor(id);
    input.dispose();
  }
}

export const NATIVE_SVD_KERNEL: SvdKernel = { name: "TensorFlow Svd (Eigen), float64", svd: nativeSvd };
