import * as dfd from "danfojs-node";

/** A table cell: what CSV can hold. `undefined`/`null` mean "missing" (an empty CSV field). */
export type Cell = string | number | boolean | null | undefined;
/** One table row as a plain object, e.g. a `SweepRow`. */
export type Row = Record<string, Cell>;

/** Column names over all rows, in order of first appearance (rows may omit optional fields). */
export function columnsOf(rows: readonly object[]): string[] {
  const cols = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) cols.add(k);
  return [...cols];
}

/** Plain rows → danfo DataFrame; every key of any row becomes a column, missing cells become null. */
export function rowsToDataFrame(rows: readonly object[]): dfd.DataFrame {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error("rowsToDataFrame: no rows given; a table needs at least one row.");
  }
  const columns = columnsOf(rows);
  const values = rows.map((r, i) =>
    columns.map((c) => {
      const v = (r as Record<string, unknown>)[c];
      if (v === undefined || v === null) return null;
      if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
      throw new Error(`rowsToDataFrame: row ${i}, column '${c}' holds a ${typeof v}; cells must be strings, numbers or booleans.`);
    }),
  );
  return new dfd.DataFrame(values, { columns });
}

/** danfo DataFrame → plain rows; missing cells (null, NaN from a missing number) are left out of the row. */
export function dataFrameToRows<T extends object = Row>(df: dfd.DataFrame): T[] {
  const columns = df.columns;
  return (df.values as Cell[][]).map((vals) => {
    const row: Record<string, Cell> = {};
    columns.forEach((c, j) => {
      const v = vals[j];
      if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return;
      row[c] = v;
    });
    return row as T;
  });
}
