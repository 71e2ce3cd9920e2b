import { naturalSort } from "./theme";

/** Rows grouped by `layer` (layers in natural order), each group sorted by `rank`. */
export function groupByLayer<T extends { layer: string; rank: number }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const layer of naturalSort(rows.map((r) => r.layer))) groups.set(layer, []);
  for (const r of rows) groups.get(r.layer)!.push(r);
  for (const g of groups.values()) g.sort((a, b) => a.rank - b.rank);
  return groups;
}
