import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./src/backend/wasm-kernels";
(async () => {
  for (const b of ["cpu", "wasm"]) {
    await tf.setBackend(b); if (b === "wasm") registerWasmKernels();
    const x = tf.tensor4d([0, 0, 0, 0,  0, 0, 2, 2,  3, 0, 3, 3,  0, 0, 3, 3], [1, 4, 4, 1]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid"), tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]))))(x);
    console.log(b, Array.from(g.dataSync()).join(" "));
    const g2 = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, "same")))(tf.tensor4d([0,0,0,0,0, 1,1,0,0,0, 0,0,0,0,0, 0,0,0,0,0, 0,0,0,0,0], [1,5,5,1]));
    console.log(b, Array.from(g2.dataSync()).join(" "));
    const g3 = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, "same")))(tf.tensor4d([1,2,3,4,5, 6,7,8,9,10, 11,12,13,14,15, 16,17,18,19,20, 21,22,23,24,25], [1,5,5,1]));
    console.log(b, Array.from(g3.dataSync()).join(" "));
  }
})().catch(e => console.error(String(e.message).slice(0, 300)));
