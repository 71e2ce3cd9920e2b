/** Low-rank decomposition of conv layers (Tai et al. 2016): maths, cost model, TF.js layer, model surgery. */
export * from "./matrix";
export * from "./host-kernel";
export * from "./kernel-matrix";
export * from "./svd";
export * from "./decompose";
export * from "./cost";
export * from "./rank-selection";
// Importing the layer module registers LowRankConv2D for (de)serialisation.
export * from "./lowrank-conv2d";
export * from "./decompose-model";
