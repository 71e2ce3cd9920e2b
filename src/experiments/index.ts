// The main job's steps, each callable from a notebook; src/pipeline composes them.
export * from "./baseline";
export * from "./decompose-fine-tune";
export * from "./low-rank-twin";
export * from "./methods-compared";
export * from "./rank-sweep";
export * from "./run-folders";
export * from "./summary";
export * from "./sweeps";
export * from "./across-architectures";
export * from "./from-scratch-compared";
export * from "./scratch-recipes";
export * from "./fine-tune-budget";
export * from "./dense-control";
