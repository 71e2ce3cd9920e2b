import * as tf from "@tensorflow/tfjs";
import { inferenceModelWithReport, replacementClassNames, type InferenceModelReport } from "../lowrank";
import { saveModel } from "./checkpoint";

/**
 * Save `model` in its deploy form (lowrank/inference-model: BN folded into the convs, ReLUs fused,
 * V/H pairs as two plain Conv2D) as <dir>/model.json + weights.bin. Only standard TF.js layers are
 * written, so plain `@tensorflow/tfjs` loads it with `tf.loadLayersModel` — in a browser too — without
 * this project's code. For inference: the folded model has no BN left to train.
 */
export async function exportDeployModel(model: tf.LayersModel, dir: string): Promise<InferenceModelReport> {
  const { model: deploy, report } = inferenceModelWithReport(model);
  try {
    const custom = replacementClassNames();
    const left = deploy.layers.filter((l) => custom.includes(l.getClassName()));
    if (left.length) {
      throw new Error(
        `exportDeployModel: ${left.map((l) => `'${l.name}' (${l.getClassName()})`).join(", ")} has no standard TF.js form yet, ` +
          "so the export would need this project to load. Save it with saveModel instead.",
      );
    }
    await saveModel(deploy, dir);
    return report;
  } finally {
    deploy.dispose();
  }
}
