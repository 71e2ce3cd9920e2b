import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { escapeHtml } from "../util/html";
import type { PlotlyFigure } from "./types";

const PLOTLY_MODULE = "plotly.js-dist-min/plotly.min.js";
let bundle: string | undefined;

/** Path of the minified plotly bundle that gets inlined (offline HTML, notebooks, headless export). */
export function plotlyBundlePath(): string {
  try {
    return require.resolve(PLOTLY_MODULE);
  } catch {
    throw new Error(`Cannot find ${PLOTLY_MODULE}: install the dependency (npm install plotly.js-dist-min).`);
  }
}

/** The plotly bundle's source (≈4.8 MB), read once per process. */
export function plotlyBundle(): string {
  bundle ??= readFileSync(plotlyBundlePath(), "utf8");
  return bundle;
}

/** JSON safe to place inside a <script> element (no "</script>", no line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function plotlyScriptTag(): string {
  return `<script type="text/javascript">${plotlyBundle()}</script>`;
}

export interface FigureDivOptions {
  /** CSS height; default the layout's height or 480 px. */
  height?: number;
  /** CSS width; default 100% (the plot follows the page width). */
  width?: number;
}

/** Plotly's toolbar, minus the logo; the camera button saves a 2× PNG. */
export const PLOT_CONFIG = {
  responsive: true,
  displaylogo: false,
  toImageButtonOptions: { format: "png", scale: 2 },
};

/**
 * A <div> plus the script that draws `figure` into it. It waits for `window.Plotly` (loaded by an
 * earlier output in a notebook) for up to 20 s, so cell outputs may render in any order.
 */
export function figureDivHtml(figure: PlotlyFigure, opts: FigureDivOptions = {}): string {
  const id = `lowrank-plot-${randomBytes(6).toString("hex")}`;
  const layoutHeight = typeof figure.layout.height === "number" ? figure.layout.height : undefined;
  const height = opts.height ?? layoutHeight ?? 480;
  const width = opts.width ? `${opts.width}px` : "100%";
  const layout = opts.width ? figure.layout : { ...figure.layout, width: undefined, autosize: true };
  return (
    `<div id="${id}" class="lowrank-plot" style="width:${width};height:${height}px;"></div>\n` +
    `<script type="text/javascript">(function(){var fig=${scriptJson({ data: figure.data, layout: layout })};` +
    `var cfg=${scriptJson(PLOT_CONFIG)};` +
    `function draw(n){var el=document.getElementById(${scriptJson(id)});` +
    `if(window.Plotly&&el){window.Plotly.newPlot(el,fig.data,fig.layout,cfg);}` +
    `else if(n<400){setTimeout(function(){draw(n+1);},50);}}draw(0);})();</script>`
  );
}

export interface StandaloneHtmlOptions {
  width?: number;
  height?: number;
  /** Page title; default the figure's title text without markup. */
  title?: string;
}

/** The figure's plain title text (markup stripped), or "". */
export function figureTitle(figure: PlotlyFigure): string {
  const t = figure.layout.title as { text?: unknown } | string | undefined;
  const text = typeof t === "string" ? t : typeof t?.text === "string" ? t.text : "";
  return text.replace(/<[^>]*>/g, "");
}

/** A self-contained HTML page (plotly inlined, works offline) showing one interactive figure. */
export function standaloneHtml(figure: PlotlyFigure, opts: StandaloneHtmlOptions = {}): string {
  const title = opts.title ?? (figureTitle(figure) || "figure");
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    plotlyScriptTag(),
    "<style>body{margin:0;padding:16px;background:#fff;font-family:sans-serif}</style>",
    "</head><body>",
    figureDivHtml(figure, { width: opts.width, height: opts.height }),
    "</body></html>",
    "",
  ].join("\n");
}
