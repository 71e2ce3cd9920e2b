/** Training: the custom loop, evaluation, checkpoints, fine-tuning of decomposed nets. */
export * from "./checkpoint";
export * from "./evaluate";
export * from "./fine-tune";
export * from "./history";
export * from "./lr-schedule";
export * from "./optimizer";
export * from "../util/progress";
export * from "./train";
export * from "./graph-step";
export * from "./fingerprint";
export * from "./export-model";
export * from "./frobenius-decay";
export * from "./hybrid";
export * from "./trained-rank-pruning";
