// Rows (plain objects) ↔ danfo DataFrames ↔ CSV files.
export * from "./dataframe";
export * from "./csv";
