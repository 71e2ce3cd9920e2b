import * as tf from "@tensorflow/tfjs";
import { float32Attr, nativeBackend } from "./native-ops";

let installed = false;

/**
 * Gradients of Relu and LeakyRelu through TensorFlow's one-pass `ReluGrad` / `LeakyReluGrad` on the
 * tensorflow backend, where TF.js composes them from two or three element-wise ops (Relu's through a
 * slow Step kernel). Float32 only; other backends and dtypes keep TF.js's own gradient. Idempotent.
 */
export function installNativeActivationGradients(): void {
  if (installed) return;
  installed = true;
  for (const kernelName of ["Relu", "LeakyRelu"]) {
    const original = tf.getGradient(kernelName);
    if (!original) continue;
    tf.unregisterGradient(kernelName);
    tf.registerGradient({
      kernelName,
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const native = nativeBackend();
        const [x] = saved;
        if (!native || x.dtype !== "float32" || (dy as tf.Tensor).dtype !== "float32") return original.gradFunc(dy, saved, attrs);
        const type = float32Attr(native);
        if (kernelName === "Relu") return { x: () => native.executeSingleOutput("ReluGrad", [type], [dy as tf.Tensor, x]) };
        const alpha = { name: "alpha", type: native.binding.TF_ATTR_FLOAT, value: (attrs as { alpha: number }).alpha };
        return { x: () => native.executeSingleOutput("LeakyReluGrad", [type, alpha], [dy as tf.Tensor, x]) };
      },
    });
  }
}
