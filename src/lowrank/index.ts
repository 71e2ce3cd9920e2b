/**
 * Low-rank decomposition of conv layers. Framework-free maths first (kernel matrix, SVD, cost model,
 * rank bounds and rules, the factorisation interface and its methods), then the TF.js half (reading
 * conv layers, the layers each method builds, model surgery, networks built low-rank from scratch).
 */
export * from "./matrix";
export * from "./host-kernel";
export * from "./kernel-matrix";
export * from "./svd";
export * from "./decompose";
export * from "./rank-bounds";
export * from "./cost";
export * from "./factorization";
export * from "./methods";
export * from "./rank-selection";
export * from "./stable-rank";
export * from "./rank-allocation";
export * from "./vbmf";
export * from "./plan";
export * from "./conv-layer";
// Importing the layer module registers LowRankConv2D for (de)serialisation.
export * from "./lowrank-conv2d";
export * from "./lowrank-dense";
export * from "./factored-conv2d";
export * from "./tucker2-conv2d";
export * from "./cp-conv2d";
export * from "./layer-builder";
export * from "./decompose-model";
export * from "./from-scratch";
export * from "./spectral-init";
export * from "./rank-projection";
export * from "./inference-model";
