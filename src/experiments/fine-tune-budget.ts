import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { Cifar10Split } from "../data";
import { fineTuneOptions, RANK_ALLOCATIONS, type FineTuneBudgetRun, type ProfileSettings, type RankAllocation } from "../profiles";
import type { RankRule } from "../lowrank";
import { evaluate } from "../train/evaluate";
import { fineTune } from "../train/fine-tune";
import type { ModelName } from "../models";
import { ACCURACY_TOLERANCE } from "./across-architectures";
import { checkpointPaths } from "./baseline";
import { denseControl } from "./dense-control";
import { convStackSpeedup } from "./rank-sweep";
import { forwardSpeedup, trainSeconds } from "./summary";

/**
 * One decompose + fine-tune run: a speed-up target and a fine-tune budget (epochs, peak learning rate,
 * rank allocation); or, with `control`, the dense baseline trained on with that budget (target 1): a
 * baseline that has not converged gains from those epochs too, and the loss against it is the
 * decomposition's own (lossOf).
 */
export interface BudgetRow {
  control?: true;
  target: number;
  epochs: number;
  learningRate: number;
  /** How the ranks were picked; absent: "per-layer" (and on controls). */
  ranks?: RankAllocation;
  accuracyBefore: number;
  accuracyAfter: number;
  /** Baseline accuracy − accuracy after the fine-tune (positive: a loss). */
  drop: number;
  convSpeedup: number;
  /** Whole-network forward speed-up over the dense baseline, deploy forms timed in turns (runs only; absent in summaries made before it was measured). */
  measuredSpeedup?: number;
  trainSeconds: number;
}

export interface FineTuneBudgetOptions {
  /** The drop the search aims under. Default ACCURACY_TOLERANCE, 0.5 point (the paper's VGG-16: 0.29 points at 2×). */
  tolerance?: number;
  /** The zoo model `baseline` is (its checkpoints' folder). Default "vgg-small". */
  model?: ModelName;
  /** Also train the dense baseline on with each budget (a `control` row after each run at the first target). Default true. */
  control?: boolean;
  checkpointsRoot?: string;
  /** Called with each row as it is made; `fromCheckpoint`: its training was finished in its checkpoint, none was done now. */
  onRow?: (row: BudgetRow, fromCheckpoint: boolean) => void;
}

/** The control row (the dense baseline trained on) of a run's budget, if there is one. */
export function controlOf(row: BudgetRow, rows: readonly BudgetRow[]): BudgetRow | undefined {
  return rows.find((r) => r.control && r.epochs === row.epochs && r.learningRate === row.learningRate);
}

/** What decomposing costs a run: its accuracy below its budget's control, else below the baseline (`drop`). */
export function lossOf(row: BudgetRow, rows: readonly BudgetRow[]): number {
  const c = controlOf(row, rows);
  return c ? c.accuracyAfter - row.accuracyAfter : row.drop;
}

/** The rank rule of a budget run at `target`. */
export function budgetRankRule(ranks: RankAllocation | undefined, target: number): RankRule {
  return ranks === "joint" ? { budget: target } : { speedup: target };
}

/** " (measured 1.43× faster)" when the row's forward time was measured, else nothing. */
export const measuredWords = (r: Pick<BudgetRow, "measuredSpeedup">): string => (r.measuredSpeedup === undefined ? "" : ` (measured ${r.measuredSpeedup.toFixed(2)}× faster)`);

/** ", ranks allocated jointly" for a joint run, else nothing (per layer is the default every other part uses). */
export const ranksWords = (r: Pick<BudgetRow, "ranks">): string => (r.ranks === "joint" ? ", ranks allocated jointly" : "");

/**
 * The cheapest budget (fewest epochs, then lowest rate, then per-layer ranks) whose loss (lossOf) is under
 * `tolerance`, else the one with the smallest loss. `rows` may hold other targets and controls: only
 * `target`'s runs are chosen from.
 */
export function chosenBudget(rows: readonly BudgetRow[], tolerance: number, target = rows.find((r) => !r.control)?.target): BudgetRow | undefined {
  const runs = rows.filter((r) => !r.control && r.target === target);
  const joint = (r: BudgetRow) => (r.ranks === "joint" ? 1 : 0);
  const under = runs.filter((r) => lossOf(r, rows) < tolerance).sort((a, b) => a.epochs - b.epochs || a.learningRate - b.learningRate || joint(a) - joint(b));
  return under[0] ?? [...runs].sort((a, b) => lossOf(a, rows) - lossOf(b, rows))[0];
}

/** Why settings.fineTuneBudget cannot run, or undefined. */
export function fineTuneBudgetProblem(budget: ProfileSettings["fineTuneBudget"]): string | undefined {
  const { targets, runs } = budget;
  if (!targets?.length || !targets.every((t) => t >= 1)) return `needs at least one speed-up target, each ≥ 1 (got [${targets?.join(", ") ?? ""}])`;
  if (!runs?.length) return "needs at least one run, e.g. runs: [{ epochs: 3, learningRate: 0.01 }]";
  const bad = runs.find((r) => !(Number.isInteger(r.epochs) && r.epochs >= 1) || !(r.learningRate > 0) || (r.ranks !== undefined && !RANK_ALLOCATIONS.includes(r.ranks)));
  if (bad) return `has a run that cannot be trained: ${JSON.stringify(bad)} (epochs: an integer ≥ 1; learningRate > 0; ranks: ${RANK_ALLOCATIONS.join(" or ")})`;
  return undefined;
}

/**
 * How much fine-tuning decompose + fine-tune needs (issue 12): the baseline decomposed at the first target
 * and fine-tuned with every run of settings.fineTuneBudget (epochs, peak rate, rank allocation), each
 * beside its dense control (one per epochs and rate), then the other targets with the budget chosen there
 * (chosenBudget). Each run checkpoints beside the baseline's and resumes.
 */
export async function fineTuneBudgets(
  baseline: tf.LayersModel,
  baselineAccuracy: number,
  data: { train: Cifar10Split; test: Cifar10Split },
  settings: ProfileSettings,
  options: FineTuneBudgetOptions = {},
): Promise<BudgetRow[]> {
  const problem = fineTuneBudgetProblem(settings.fineTuneBudget);
  if (problem) throw new Error(`settings.fineTuneBudget ${problem}.`);
  const { targets, runs } = settings.fineTuneBudget;
  const tolerance = options.tolerance ?? ACCURACY_TOLERANCE;
  const rows: BudgetRow[] = [];
  const paths = checkpointPaths(settings, options.model ?? "vgg-small", options.checkpointsRoot);
  const run = async (target: number, b: FineTuneBudgetRun): Promise<BudgetRow> => {
    const { epochs: e, learningRate: lr } = b;
    const joint = b.ranks === "joint";
    const dir = paths.budget(target, e, lr, joint ? "joint" : undefined);
    const label = `${target}× fine-tune ${e} epoch(s) at ${lr}${ranksWords(b)}`;
    const ft = await fineTune(
      baseline,
      data,
      fineTuneOptions(settings, { plan: budgetRankRule(b.ranks, target), schedule: "all-at-once", epochs: e, training: { learningRate: lr, checkpointDir: dir, resume: true, label } }),
    );
    try {
      const accuracyAfter = evaluate(ft.model, data.test).accuracy;
      const { speedup: measuredSpeedup } = await forwardSpeedup(baseline, ft.model, settings.measureBatchSize);
      const row: BudgetRow = { target, epochs: e, learningRate: lr, ...(joint ? { ranks: "joint" as const } : {}), accuracyBefore: ft.stages[0]?.accuracyBefore ?? NaN, accuracyAfter, drop: baselineAccuracy - accuracyAfter, convSpeedup: convStackSpeedup(ft.layers), measuredSpeedup, trainSeconds: trainSeconds(ft.history) };
      rows.push(row);
      options.onRow?.(row, ft.stages.every((s) => s.fromCheckpoint));
      return row;
    } finally {
      ft.model.dispose();
    }
  };
  const control = async (e: number, lr: number): Promise<void> => {
    const dir = paths.denseControl(e, lr);
    const c = await denseControl(baseline, data, settings, { epochs: e, learningRate: lr, checkpointDir: dir });
    const row: BudgetRow = { control: true, target: 1, epochs: e, learningRate: lr, accuracyBefore: baselineAccuracy, accuracyAfter: c.accuracy, drop: baselineAccuracy - c.accuracy, convSpeedup: 1, trainSeconds: trainSeconds(c.history) };
    rows.push(row);
    options.onRow?.(row, c.fromCheckpoint);
  };
  const [first, ...others] = targets;
  for (const b of runs) {
    await run(first, b);
    const controlled = rows.some((r) => r.control && r.epochs === b.epochs && r.learningRate === b.learningRate);
    if ((options.control ?? true) && !controlled) await control(b.epochs, b.learningRate);
  }
  const chosen = chosenBudget(rows, tolerance, first)!;
  for (const t of others) await run(t, chosen);
  return rows;
}

/**
 * The baseline the fine-tune part starts from: trained `fineTuneBudget.baselineEpochs` (default the profile's
 * epochs). A longer one is another network, so it and its budget runs checkpoint under their own root
 * (`<root>/baseline-<n>-epochs/`), apart from the baseline every other part and `npm start` share.
 */
export function budgetBaseline(settings: ProfileSettings, checkpointsRoot: string): { settings: ProfileSettings; checkpointsRoot: string } {
  const epochs = settings.fineTuneBudget.baselineEpochs ?? settings.epochs;
  if (epochs === settings.epochs) return { settings, checkpointsRoot };
  return { settings: { ...settings, epochs }, checkpointsRoot: join(checkpointsRoot, `baseline-${epochs}-epochs`) };
}

/** Binomial standard error of a test accuracy `p` measured on `n` images (a fraction, like p). */
export const accuracyStandardError = (p: number, n: number): number => Math.sqrt((p * (1 - p)) / n);

/**
 * One line per target, from the rows alone: each run's loss against its budget's control (or the baseline);
 * then joint against per-layer ranks at the same budget, and, given the test set's size, how the margin to
 * the bar compares with the noise of one run.
 */
export function budgetVerdict(rows: readonly BudgetRow[], baseline: { accuracy: number; epochs?: number }, tolerance = ACCURACY_TOLERANCE, testImages?: number): string[] {
  const baselineAccuracy = baseline.accuracy;
  const trained = baseline.epochs ? `, ${baseline.epochs} epochs` : "";
  const runs = rows.filter((r) => !r.control);
  if (!runs.length) return ["No fine-tune budget was run."];
  const first = runs[0].target;
  const chosen = chosenBudget(rows, tolerance, first)!;
  const control = controlOf(chosen, rows);
  const pts = (x: number) => `${(100 * x).toFixed(2)} points`;
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const below = (x: number) => (x >= 0 ? `${pts(x)} below` : `${pts(-x)} above`);
  const loss = lossOf(chosen, rows);
  const reference = control ? `the dense baseline trained on with the same budget (${pct(control.accuracyAfter)}; baseline ${pct(baselineAccuracy)}${trained})` : `the baseline (${pct(baselineAccuracy)}${trained})`;
  const lines = [
    loss < tolerance
      ? `At ${first}×${measuredWords(chosen)}, ${chosen.epochs} epoch(s) at peak rate ${chosen.learningRate}${ranksWords(chosen)} reach ${pct(chosen.accuracyAfter)}, ${below(loss)} ${reference} — under ${pts(tolerance)}: the paper's standard is **met**.`
      : `At ${first}×${measuredWords(chosen)}, no budget tried comes within ${pts(tolerance)} of ${control ? "its dense control" : "the baseline"}; the closest, ${chosen.epochs} epoch(s) at ${chosen.learningRate}${ranksWords(chosen)}, reaches ${pct(chosen.accuracyAfter)}, ${below(loss)} ${reference} — the paper's standard is **not met** at these budgets.`,
  ];
  for (const r of runs.filter((x) => x.target !== first)) lines.push(`At ${r.target}×${measuredWords(r)} with the same budget: ${pct(r.accuracyAfter)}, ${below(lossOf(r, rows))} ${control ? "that control" : "the baseline"}.`);
  if (control) {
    const gains = rows.filter((r) => r.control).map((r) => `${r.epochs} epoch(s) at ${r.learningRate}: ${r.drop <= 0 ? "+" : "−"}${pts(Math.abs(r.drop))}`);
    lines.push(`The dense controls show how much of what a fine-tune recovers is training the baseline had not finished (${gains.join("; ")} over the baseline); against the baseline itself the chosen ${first}× run is ${below(chosen.drop)}.`);
  }
  const pairs = runs
    .filter((j) => j.ranks === "joint")
    .flatMap((j) => {
      const p = runs.find((r) => r.ranks !== "joint" && r.target === j.target && r.epochs === j.epochs && r.learningRate === j.learningRate);
      return p ? [`${j.target}×, ${j.epochs} epoch(s) at ${j.learningRate}: ${pct(j.accuracyAfter)} against ${pct(p.accuracyAfter)} (${j.accuracyAfter >= p.accuracyAfter ? "+" : "−"}${pts(Math.abs(j.accuracyAfter - p.accuracyAfter))}; before fine-tuning ${pct(j.accuracyBefore)} against ${pct(p.accuracyBefore)})`] : [];
    });
  if (pairs.length) lines.push(`Ranks allocated jointly against per layer, same cost and budget: ${pairs.join("; ")}.`);
  if (testImages) {
    const se = accuracyStandardError(chosen.accuracyAfter, testImages);
    const margin = Math.abs(tolerance - loss);
    lines.push(
      `One run per budget, one seed: on ${testImages.toLocaleString("en")} test images an accuracy has a standard error of about ${pts(se)} (binomial), a difference of two runs about ${pts(Math.SQRT2 * se)}. ` +
        `The chosen run is ${pts(margin)} ${loss < tolerance ? "under" : "over"} the bar, so ${margin < Math.SQRT2 * se ? "another seed could turn the verdict" : "the verdict is clear of that noise"}.`,
    );
  }
  return lines;
}
