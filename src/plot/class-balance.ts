import { axis, baseLayout, requireFinite } from "./theme";
import type { PlotlyFigure, PlotlyTrace } from "./types";

/** Images per class of a data set's splits, in `classNames` order. */
export interface ClassBalance {
  classNames: readonly string[];
  train: readonly number[];
  test?: readonly number[];
}

/** Grouped bars: images per class, training set (and test set) side by side. */
export function classBalanceFigure(input: ClassBalance, opts: { title?: string } = {}): PlotlyFigure {
  if (input.classNames.length === 0) throw new Error("classBalanceFigure: no classes given.");
  const splits = [{ name: "train", counts: input.train }, ...(input.test ? [{ name: "test", counts: input.test }] : [])];
  const data: PlotlyTrace[] = splits.map(({ name, counts }) => {
    if (counts.length !== input.classNames.length) {
      throw new Error(`classBalanceFigure: ${counts.length} ${name} counts for ${input.classNames.length} classes.`);
    }
    counts.forEach((n, i) => {
      if (requireFinite(n, `${name}[${i}]`, "classBalanceFigure") < 0) throw new Error(`classBalanceFigure: ${name}[${i}] is negative (${n}).`);
    });
    return { type: "bar", name, x: [...input.classNames], y: [...counts] };
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title ?? "Images per class", input.test ? "training and test sets" : "training set"),
      barmode: "group",
      xaxis: { ...axis("class"), type: "category" }, // axis() is numeric by default
      yaxis: axis("images"),
      height: 420,
    },
  };
}
