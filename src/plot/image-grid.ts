import { escapeHtml } from "../util/html";
import { baseLayout, requireNonEmpty } from "./theme";
import type { PlotlyFigure } from "./types";

/** One row of the grid: a label (e.g. a class name) and its images, left to right. */
export interface ImageGridRow {
  label: string;
  /** Square RGB images, 0..255, plane by plane (all red, then green, then blue; rows top-down): CIFAR-10's record layout. */
  images: readonly ArrayLike<number>[];
}

export interface ImageGridOptions {
  title?: string;
  /** White pixels between images. Default 2. */
  gap?: number;
  /** Screen pixels per image pixel. Default 1.65. */
  scale?: number;
}

/** A mosaic of small images, one labelled row each, drawn as one plotly image trace. */
export function imageGridFigure(rows: readonly ImageGridRow[], opts: ImageGridOptions = {}): PlotlyFigure {
  requireNonEmpty(rows, "rows", "imageGridFigure");
  const first = rows.find((r) => r.images.length > 0)?.images[0];
  if (!first) throw new Error("imageGridFigure: every row is empty; give at least one image.");
  const size = Math.round(Math.sqrt(first.length / 3));
  const plane = size * size;
  rows.forEach((r, i) => r.images.forEach((img, k) => {
    if (img.length !== 3 * plane) {
      throw new Error(`imageGridFigure: image ${k} of row ${i} ('${r.label}') has ${img.length} values; all must be ${size}×${size} RGB (${3 * plane}).`);
    }
  }));
  const gap = opts.gap ?? 2;
  const scale = opts.scale ?? 1.65;
  const cell = size + gap;
  const cols = Math.max(...rows.map((r) => r.images.length));
  const white = (): number[] => [255, 255, 255];
  const z = Array.from({ length: rows.length * cell }, () => Array.from({ length: cols * cell }, white));
  rows.forEach((r, c) => r.images.forEach((img, k) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const at = y * size + x;
        z[c * cell + y][k * cell + x] = [img[at], img[at + plane], img[at + 2 * plane]];
      }
    }
  }));
  const margin = { l: 100, r: 10, t: 60, b: 10 };
  return {
    data: [{ type: "image", z }],
    layout: {
      ...baseLayout(opts.title ?? "Images"),
      xaxis: { visible: false },
      yaxis: {
        tickvals: rows.map((_, c) => c * cell + size / 2),
        ticktext: rows.map((r) => escapeHtml(r.label)),
        ticks: "",
      },
      height: margin.t + margin.b + Math.round(rows.length * cell * scale),
      width: margin.l + margin.r + Math.round(cols * cell * scale),
      margin,
    },
  };
}
