// Timing, theoretical costs per layer/model, and measured low-rank speedups.
export * from "./time-it";
export * from "./environment";
export * from "./layer-cost";
export * from "./model-profile";
export * from "./layer-speedup";
