/** A self-contained results page: run facts, tables and the exported figures. Pure: data in, HTML out. */
import { escapeHtml } from "../util/html";

export interface ReportTable {
  title: string;
  rows: Record<string, string | number | undefined>[];
  /** Column order; default: keys of the first row. */
  columns?: string[];
}

export interface ReportFigure {
  title: string;
  /** File names relative to the report, without extension; `.png`, `.svg`, `.html` exist beside it. */
  basename: string;
  caption?: string;
}

export interface ReportContent {
  title: string;
  facts: Record<string, string>;
  tables: ReportTable[];
  figures: ReportFigure[];
  notes?: string[];
}

function formatCell(v: string | number | undefined): string {
  if (v === undefined || (typeof v === "number" && Number.isNaN(v))) return "–";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
  }
  return v;
}

function tableHtml(t: ReportTable): string {
  const cols = t.columns ?? Object.keys(t.rows[0] ?? {});
  const head = cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows
    .map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(formatCell(r[c]))}</td>`).join("")}</tr>`)
    .join("\n");
  return `<section><h2>${escapeHtml(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></section>`;
}

function figureHtml(f: ReportFigure): string {
  const b = encodeURI(f.basename);
  const caption = f.caption ? `<p class="caption">${escapeHtml(f.caption)}</p>` : "";
  return `<figure><h3>${escapeHtml(f.title)}</h3><img src="${b}.png" alt="${escapeHtml(f.title)}">${caption}
<figcaption><a href="${b}.html">interactive</a> · <a href="${b}.svg">SVG</a> · <a href="${b}.png">PNG</a></figcaption></figure>`;
}

export function reportHtml(c: ReportContent): string {
  const facts = Object.entries(c.facts)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("\n");
  const notes = (c.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(c.title)}</title>
<style>
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.facts th { text-align: left; color: #555; font-weight: normal; } .facts td { text-align: left; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1.5rem; }
figure { margin: 0; } figure img { width: 100%; border: 1px solid #eee; }
figure h3 { font-size: 1rem; margin: .2rem 0; } figcaption, .caption { font-size: .85rem; color: #555; }
</style></head>
<body>
<h1>${escapeHtml(c.title)}</h1>
<table class="facts">${facts}</table>
${notes ? `<ul>${notes}</ul>` : ""}
${c.tables.map(tableHtml).join("\n")}
<h2>Figures</h2>
<div class="figures">
${c.figures.map(figureHtml).join("\n")}
</div>
</body></html>
`;
}
