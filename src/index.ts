/** lowrank-notebooks: everything the notebooks and the CLI use, from one import. */
export * from "./backend/init";
export * from "./profiles";
export * from "./data";
export * from "./lowrank";
export * from "./models";
export * from "./train";
export * from "./measure";
export * from "./tables";
export * from "./plot";
export * from "./experiments";
export * from "./report/report-html";
export * from "./report/main-report";
export * from "./pipeline/main-job";
export { writeFileAtomic } from "./util/atomic-write";
