// Rows (plain objects) ↔ danfo DataFrames ↔ CSV files; training histories as DataFrames.
export * from "./dataframe";
export * from "./csv";
export * from "./history-frame";
