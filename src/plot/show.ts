import { figureDivHtml, figureTitle, plotlyScriptTag, type FigureDivOptions } from "./plotly-html";
import type { PlotlyFigure } from "./types";

// Kept on globalThis, not in this module: tslab reloads edited src modules within one kernel session,
// and the bundle must still be inlined only once per session.
const INLINED = Symbol.for("lowrank-notebooks.plotly-inlined");
type SessionState = { [INLINED]?: boolean };

interface TslabDisplay {
  html(s: string): void;
}

/** tslab's display, or undefined outside a tslab kernel (its `display` throws "Not ready" there). */
function tslabDisplay(): TslabDisplay | undefined {
  try {
    // Lazy: inside the kernel tslab hooks require("tslab"); outside, loading it is just wasted time.
    return (require("tslab") as { display: TslabDisplay }).display;
  } catch {
    return undefined;
  }
}

/**
 * Render an interactive plotly figure inline in a tslab notebook. The first call of a kernel session
 * also inlines plotly itself, so saved and exported notebooks work offline. Outside a notebook it
 * prints a one-line note instead. Returns nothing, so a notebook cell ending in show(…) prints no value.
 */
export function show(figure: PlotlyFigure, opts: FigureDivOptions = {}): void {
  if (!figure || !Array.isArray(figure.data) || typeof figure.layout !== "object") {
    throw new Error("show: expected a plotly figure { data: [...], layout: {...} } from one of the src/plot builders.");
  }
  const state = globalThis as SessionState;
  const display = tslabDisplay();
  if (display) {
    const html = (state[INLINED] ? "" : plotlyScriptTag() + "\n") + figureDivHtml(figure, opts);
    try {
      display.html(html);
      state[INLINED] = true;
      return;
    } catch (err) {
      if (!(err instanceof Error && err.message === "Not ready")) throw err;
    }
  }
  const title = figureTitle(figure) || "untitled figure";
  console.log(`[plot] "${title}" (${figure.data.length} trace(s)): interactive figures render in a tslab notebook; use exportFigure(figure, "name.png|svg|html") to save it.`);
}
