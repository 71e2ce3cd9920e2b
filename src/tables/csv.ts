import { existsSync } from "node:fs";
import * as dfd from "danfojs-node";
import { writeFileAtomic } from "../util/atomic-write";
import { dataFrameToRows, rowsToDataFrame, type Cell } from "./dataframe";

/** RFC 4180 quoting for a field that holds the separator, a quote or a line break. */
function quote(v: Cell): Cell {
  if (typeof v === "number" && Number.isNaN(v)) return null; // NaN means "missing": an empty field
  if (typeof v !== "string" || !/[",\r\n]/.test(v)) return v;
  return `"${v.replace(/"/g, '""')}"`;
}

/** Table as CSV text (header + one line per row), via danfo's toCSV; fields are quoted where needed. */
export function toCsvString(table: readonly object[] | dfd.DataFrame): string {
  // Not `instanceof`: danfo's readCSV returns its base DataFrame class, not danfojs-node's subclass.
  const df = Array.isArray(table) ? rowsToDataFrame(table) : (table as dfd.DataFrame);
  if (df.shape[0] === 0) throw new Error("toCsvString: the table has no rows.");
  // danfo joins cells with "," as they are: quote text cells first so commas/quotes survive.
  const values = (df.values as Cell[][]).map((row) => row.map(quote));
  const safe = new dfd.DataFrame(values, { columns: df.columns.map((c) => quote(c) as string) });
  return dfd.toCSV(safe) as string;
}

/** Write rows (plain objects) or a DataFrame as CSV, atomically. */
export function writeCsv(table: readonly object[] | dfd.DataFrame, path: string): void {
  writeFileAtomic(path, toCsvString(table));
}

/** Read a CSV written by `writeCsv` (or any headed CSV) into a DataFrame; numbers and booleans are typed. */
export async function readCsv(path: string): Promise<dfd.DataFrame> {
  if (!existsSync(path)) throw new Error(`readCsv: no such file '${path}'.`);
  return dfd.readCSV(path);
}

/** Read a CSV back into plain rows (missing cells left out), e.g. `readCsvRows<SweepRow>(path)`. */
export async function readCsvRows<T extends object>(path: string): Promise<T[]> {
  return dataFrameToRows<T>(await readCsv(path));
}
