// Figures (pure builders → plotly { data, layout }), notebook display and static export.
export * from "./types";
export * from "./theme";
export * from "./spectrum";
export * from "./reconstruction-error";
export * from "./accuracy-rank";
export * from "./speedup-rank";
export * from "./pareto";
export * from "./training-curves";
export * from "./filters";
export * from "./plotly-html";
export * from "./show";
export * from "./browser";
export * from "./png";
