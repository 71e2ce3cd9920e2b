export * from "./rank-sweep";
export * from "./figures";
export * from "./main-job";
