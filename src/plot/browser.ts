import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { writeFileAtomic } from "../util/atomic-write";
import { plotlyBundlePath, standaloneHtml } from "./plotly-html";
import type { PlotlyFigure } from "./types";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

export interface ImageOptions {
  /** CSS pixels; default the layout's width/height, else 900×520. */
  width?: number;
  height?: number;
  /** Device-pixel multiplier for PNG (default 2): the PNG is width·scale × height·scale pixels. */
  scale?: number;
}

export interface ScreenshotOptions {
  width?: number;
  height?: number;
  /** Capture the whole scrollable page, not only the viewport (default false). */
  fullPage?: boolean;
}

export type ImageFormat = "png" | "svg";

export interface Exporter {
  /** Write `figure` to `path`; the extension picks the format: .png, .svg or .html (standalone, offline). */
  export(figure: PlotlyFigure, path: string, opts?: ImageOptions): Promise<void>;
  /** PNG bytes, or SVG text. */
  toImage(figure: PlotlyFigure, format: "png", opts?: ImageOptions): Promise<Buffer>;
  toImage(figure: PlotlyFigure, format: "svg", opts?: ImageOptions): Promise<string>;
  /** PNG screenshot of an HTML file or URL, after its plotly figures have drawn. */
  screenshot(htmlFileOrUrl: string, pngPath: string, opts?: ScreenshotOptions): Promise<void>;
  close(): Promise<void>;
}

/** Launch Debian's chromium headless (CHROMIUM_PATH overrides the path), with a clear error when absent. */
export async function launchChromium(executablePath = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it with \`apt-get install -y --no-install-recommends chromium\` ` +
        "(Debian package 'chromium') or set CHROMIUM_PATH to a Chromium/Chrome binary.",
    );
  }
  let playwright: typeof import("playwright-core");
  try {
    playwright = require("playwright-core") as typeof import("playwright-core");
  } catch {
    throw new Error("The npm package 'playwright-core' is missing: run `npm install` (it drives chromium for figure export).");
  }
  return playwright.chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

function layoutSize(figure: PlotlyFigure, opts: ImageOptions): { width: number; height: number; scale: number } {
  const num = (v: unknown) => (typeof v === "number" && v > 0 ? v : undefined);
  const width = opts.width ?? num(figure.layout.width) ?? 900;
  const height = opts.height ?? num(figure.layout.height) ?? 520;
  const scale = opts.scale ?? 2;
  for (const [k, v] of Object.entries({ width, height, scale })) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`Image ${k} must be a positive number, got ${v}.`);
  }
  return { width: Math.round(width), height: Math.round(height), scale };
}

function formatOf(path: string): ImageFormat | "html" {
  const ext = extname(path).toLowerCase();
  if (ext === ".png" || ext === ".svg") return ext.slice(1) as ImageFormat;
  if (ext === ".html" || ext === ".htm") return "html";
  throw new Error(`Cannot export a figure to '${path}': use a .png, .svg or .html file name.`);
}

function checkFigure(figure: PlotlyFigure): void {
  if (!figure || !Array.isArray(figure.data) || typeof figure.layout !== "object" || figure.layout === null) {
    throw new Error("Expected a plotly figure { data: [...], layout: {...} } from one of the src/plot builders.");
  }
}

/** Write the standalone interactive HTML page (no browser needed). */
function writeHtml(figure: PlotlyFigure, path: string, opts: ImageOptions): void {
  writeFileAtomic(path, standaloneHtml(figure, { width: opts.width, height: opts.height }));
}

/**
 * Start one headless chromium with plotly loaded in a blank page, reused for many figures
 * (starting it costs far more than each image). Always `close()` it.
 */
export async function createExporter(opts: { executablePath?: string } = {}): Promise<Exporter> {
  const browser = await launchChromium(opts.executablePath);
  // A blank page with plotly loaded, made on first use (screenshots alone do not need it).
  let plotPage: Promise<Page> | undefined;
  const plotlyPage = (): Promise<Page> =>
    (plotPage ??= (async () => {
      const page = await browser.newPage();
      await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
      await page.addScriptTag({ path: plotlyBundlePath() });
      return page;
    })());

  async function toImage(figure: PlotlyFigure, format: ImageFormat, o: ImageOptions = {}): Promise<Buffer | string> {
    checkFigure(figure);
    const size = layoutSize(figure, o);
    const page = await plotlyPage();
    const url = await page.evaluate(
      async ({ fig, format, size }) => {
        // Runs in the page, where plotly's UMD bundle defined the global Plotly.
        const Plotly = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
        return Plotly.toImage({ data: fig.data, layout: fig.layout }, { format, ...size });
      },
      { fig: figure, format, size },
    );
    const comma = url.indexOf(",");
    if (format === "png") return Buffer.from(url.slice(comma + 1), "base64");
    // plotly returns SVG as a URL-encoded data URL.
    return decodeURIComponent(url.slice(comma + 1));
  }

  return {
    toImage: toImage as Exporter["toImage"],
    async export(figure, path, o = {}) {
      const format = formatOf(path);
      if (format === "html") return writeHtml(figure, path, o);
      const image = await toImage(figure, format, o);
      writeFileAtomic(path, typeof image === "string" ? image : new Uint8Array(image));
    },
    async screenshot(target, pngPath, o = {}) {
      if (extname(pngPath).toLowerCase() !== ".png") throw new Error(`screenshot: '${pngPath}' must end in .png.`);
      const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(target);
      if (!isUrl && !existsSync(target)) throw new Error(`screenshot: no such HTML file '${target}'.`);
      const url = isUrl ? target : pathToFileURL(resolve(target)).href;
      const shot = await browser.newPage({ viewport: { width: o.width ?? 1200, height: o.height ?? 800 } });
      try {
        await shot.goto(url, { waitUntil: "load" });
        // Our figure divs get class js-plotly-plot once drawn; then let fonts settle.
        await shot.waitForFunction(
          () => {
            const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
            return doc.querySelectorAll("div.lowrank-plot:not(.js-plotly-plot)").length === 0;
          },
          undefined,
          { timeout: 20_000 },
        );
        await shot.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready.then(() => undefined));
        const png = await shot.screenshot({ fullPage: o.fullPage ?? false, type: "png" });
        writeFileAtomic(pngPath, new Uint8Array(png));
      } finally {
        await shot.close();
      }
    },
    async close() {
      await browser.close();
    },
  };
}

/** One-shot export of one figure (.png, .svg, or .html). For many figures use `createExporter()`. */
export async function exportFigure(figure: PlotlyFigure, path: string, opts: ImageOptions = {}): Promise<void> {
  checkFigure(figure);
  if (formatOf(path) === "html") return writeHtml(figure, path, opts);
  const exporter = await createExporter();
  try {
    await exporter.export(figure, path, opts);
  } finally {
    await exporter.close();
  }
}

/** One-shot PNG screenshot of an HTML file or URL (viewport width×height, default 1200×800). */
export async function screenshot(htmlFileOrUrl: string, pngPath: string, opts: ScreenshotOptions = {}): Promise<void> {
  const exporter = await createExporter();
  try {
    await exporter.screenshot(htmlFileOrUrl, pngPath, opts);
  } finally {
    await exporter.close();
  }
}
