/**
 * RESULTS.md's reproduction section, generated from the parts' summaries (`reproduction/<profile>/*.json`,
 * written by `npm run reproduce`): each part's table, verdict, command, machine and wall time. The
 * section sits between two markers; everything else in the file is left as it is.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { scratchCurvesFigure } from "../plot/scratch-curves";
import type { NamedFigure } from "../plot/write-figures";
import { ACCURACY_TOLERANCE, architectureVerdict, type ArchitectureRow } from "../experiments/across-architectures";
import { accuracyStandardError, budgetVerdict, chosenBudget, controlOf, lossOf, measuredWords, ranksWords, type BudgetRow } from "../experiments/fine-tune-budget";
import { CIFAR10_TEST_IMAGES } from "../data";
import { armStats, compareArms, fromScratchVerdict, SCRATCH_ARMS, settledRows, type ScratchRow } from "../experiments/from-scratch-compared";
import type { ProfileName, ProfileSettings } from "../profiles";
import { writeFileAtomic } from "../util/atomic-write";

/** What one finished part of the reproduction leaves behind (no weights). */
export interface PartSummary {
  part: string;
  profile: ProfileName;
  /** The command that made it. */
  command: string;
  started: string;
  finished: string;
  seconds: number;
  backend: string;
  threads: number;
  machine: string;
  /** 1-minute load average before and after: other work on the machine slows timings. */
  loadBefore: number;
  loadAfter: number;
  /** The settings it ran with; a summary made with other settings is not reused. */
  settings: ProfileSettings;
  /** The part's scope when it ran (ReproductionPart.scope). */
  scope?: string;
  /** Set while the part is unfinished: rows so far, recorded as each finished (a rerun reuses them), no verdict yet. */
  partial?: boolean;
  /** How many runs of `npm run reproduce` it took when it was resumed (seconds add their times, not the gaps between). */
  sittings?: number;
  /** Whether its training could take graph steps (tfjs-node, not LOWRANK_GRAPH_STEP=off) in its sittings; not recorded before 2026-12-03. */
  trainingSteps?: TrainingSteps;
  rows: object[];
  verdict: string[];
}

export type TrainingSteps = "graph" | "op by op" | "graph and op by op";

/** The training steps of a part resumed with `now` after sittings with `before` (undefined: not recorded). */
export function combineTrainingSteps(before: TrainingSteps | undefined, now: TrainingSteps): TrainingSteps | undefined {
  if (before === undefined) return undefined; // the earlier sittings did not record theirs
  return before === now ? now : "graph and op by op";
}

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const times = (x: number) => `${x.toFixed(2)}×`;

function architecturesTable(rows: readonly ArchitectureRow[]): string {
  return table(
    ["model", "network", "accuracy", "before fine-tune", "change (points)", "parameters", "conv MACs (M)", "conv speed-up, theory", "measured speed-up", "forward ms"],
    rows.map((r) => [
      r.model,
      r.network,
      pct(r.testAccuracy),
      r.accuracyBeforeFineTune === undefined ? "—" : pct(r.accuracyBeforeFineTune),
      (100 * r.accuracyChange).toFixed(2),
      r.params.toLocaleString("en-US"),
      (r.convMacs / 1e6).toFixed(1),
      times(r.convSpeedupTheoretical),
      times(r.modelSpeedupMeasured),
      r.forwardMs.toFixed(1),
    ]),
  );
}

/** Seeds per arm of a from-scratch summary (its settings; 2 in summaries older than the setting). */
const scratchSeeds = (s: PartSummary): number => (s.settings as { scratchCompare?: { seeds?: number[] } }).scratchCompare?.seeds?.length ?? 2;

/** Per model and arm: the seeds' mean and spread, and how the arm compares with the dense net (compareArms; "unfinished" while its or dense's seeds are missing). */
function armSummaryTable(rows: readonly ScratchRow[], unfinished: boolean, seeds: number): string {
  const settled = new Set(settledRows(rows, seeds).map((r) => `${r.model}|${r.arm}`));
  const out: (string | number)[][] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    for (const arm of SCRATCH_ARMS) {
      const s = armStats(rows, model, arm);
      if (!s) continue;
      const c = arm === "dense" ? undefined : compareArms(rows, model, arm);
      const macs = rows.find((r) => r.model === model && r.arm === arm)!.convMacs;
      out.push([model, arm, s.runs, pct(s.mean), (100 * s.spread).toFixed(2), c ? `${c.diff >= 0 ? "+" : ""}${(100 * c.diff).toFixed(2)}` : "—", c ? (unfinished && !settled.has(`${model}|${arm}`) ? "— (unfinished)" : c.word) : "reference", (macs / 1e6).toFixed(1)]);
    }
  }
  return table(["model", "arm", "seeds", "mean best test accuracy", "spread (points)", "vs dense (points)", "verdict", "conv MACs (M)"], out);
}

function fromScratchTable(rows: readonly ScratchRow[], unfinished: boolean, seeds: number): string {
  return armSummaryTable(rows, unfinished, seeds) + "\n\nEach run:\n\n" + table(
    ["model", "arm", "seed", "best test accuracy", "at epoch", "train accuracy then", "final test", "final train", "epochs", "stopped", "parameters", "conv MACs (M)", "train s"],
    rows.map((r) => [
      r.model,
      r.arm,
      r.seed,
      pct(r.bestTestAccuracy),
      r.bestEpoch,
      pct(r.trainAccuracyAtBest),
      pct(r.finalTestAccuracy),
      pct(r.finalTrainAccuracy),
      r.epochs,
      r.stopReason,
      r.params.toLocaleString("en-US"),
      (r.convMacs / 1e6).toFixed(1),
      r.trainSeconds.toFixed(0),
    ]),
  );
}

/** One (layer, rank) of the closed-form part: Theorem 1 against the iterative fit. */
export interface ClosedFormRow {
  layer: string;
  rank: number;
  taiError: number;
  iterativeError: number;
  taiSeconds: number;
  iterativeSeconds: number;
  sweeps?: number;
  converged?: boolean;
}

function closedFormTable(rows: readonly ClosedFormRow[]): string {
  return table(
    ["layer", "K", "closed-form error", "iterative error", "excess (points)", "ALS sweeps", "converged", "closed form ms", "iterative ms"],
    rows.map((r) => [
      r.layer,
      r.rank,
      `${(100 * r.taiError).toFixed(4)} %`,
      `${(100 * r.iterativeError).toFixed(4)} %`,
      (100 * (r.iterativeError - r.taiError)).toExponential(1),
      r.sweeps ?? "—",
      r.converged === undefined ? "—" : r.converged ? "yes" : "no (cap)",
      (1000 * r.taiSeconds).toFixed(1),
      (1000 * r.iterativeSeconds).toFixed(0),
    ]),
  );
}

function fineTuneTable(rows: readonly BudgetRow[]): string {
  return table(
    ["conv speed-up target", "ranks", "theory", "measured", "fine-tune epochs", "peak rate", "before fine-tune", "after", "drop from baseline (points)", "below its dense control (points)", "train s"],
    rows.map((r) => [
      r.control ? "dense baseline, trained on (control)" : `${r.target}×`,
      r.control ? "—" : r.ranks === "joint" ? "joint" : "per layer",
      times(r.convSpeedup),
      r.measuredSpeedup === undefined ? "—" : times(r.measuredSpeedup),
      r.epochs,
      r.learningRate,
      pct(r.accuracyBefore),
      pct(r.accuracyAfter),
      (100 * r.drop).toFixed(2),
      !r.control && controlOf(r, rows) ? (100 * lossOf(r, rows)).toFixed(2) : "—",
      r.trainSeconds.toFixed(0),
    ]),
  );
}

/** Rows of a part without its own table: every column as it is. */
function genericTable(rows: readonly object[]): string {
  if (!rows.length) return "(no rows)";
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return table(keys, rows.map((r) => keys.map((k) => String((r as Record<string, unknown>)[k] ?? ""))));
}

const TABLES: Record<string, (rows: readonly object[], s: PartSummary) => string> = {
  "closed-form": (rows) => closedFormTable(rows as ClosedFormRow[]),
  architectures: (rows) => architecturesTable(rows as ArchitectureRow[]),
  "from-scratch": (rows, s) => fromScratchTable(rows as ScratchRow[], s.partial === true, scratchSeeds(s)),
  "fine-tune": (rows) => fineTuneTable(rows as BudgetRow[]),
};

/** The figures of a part's summary (claim 2: the training curves per model), for reproduce to export. */
export function partFigures(s: PartSummary): NamedFigure[] {
  if (s.part !== "from-scratch") return [];
  const rows = s.rows as ScratchRow[];
  if (!rows.length || !rows.every((r) => Array.isArray(r.testAccuracyByEpoch))) return [];
  return [...new Set(rows.map((r) => r.model))].map((model) => ({
    title: `Trained from scratch: ${model}`,
    basename: `from-scratch-curves-${model}`,
    figure: scratchCurvesFigure(rows, { model, title: `Trained from scratch: ${model} (${s.profile} profile)` }),
  }));
}

/** A link per exported figure of the part (PNG, else the HTML), relative to the results file; none when not exported. */
export type FigureLinks = (s: PartSummary) => { title: string; href: string }[];

/** Links to the figures reproduce wrote into `figuresDir`, as seen from `resultsFile`. */
export function figureLinksIn(figuresDir: string, resultsFile: string): FigureLinks {
  return (s) =>
    partFigures(s).flatMap((f) => {
      const file = ["png", "html"].map((ext) => join(figuresDir, `${f.basename}.${ext}`)).find((p) => existsSync(p));
      return file ? [{ title: f.title, href: relative(dirname(resultsFile), file).split("\\").join("/") }] : [];
    });
}

/** What an unfinished part may already say: from-scratch, the arms whose seeds (and dense's) are all in. */
const PARTIAL_VERDICTS: Record<string, (s: PartSummary) => string[]> = {
  "from-scratch": (s) => {
    const settled = settledRows(s.rows as ScratchRow[], scratchSeeds(s));
    return settled.some((r) => r.arm !== "dense") ? fromScratchVerdict(settled).map((l) => `So far, ${l}`) : [];
  },
};

/** Parts whose verdict lines are made again from their rows, as their tables are: a later rule reaches summaries already committed. */
const VERDICTS: Record<string, (s: PartSummary) => string[]> = {
  "from-scratch": (s) => fromScratchVerdict(s.rows as ScratchRow[]),
  "fine-tune": (s) => {
    const rows = s.rows as BudgetRow[];
    if (!rows.length) return s.verdict;
    // Every row's drop is the baseline's accuracy less its own.
    const baseline = { accuracy: rows[0].accuracyAfter + rows[0].drop, epochs: s.settings.fineTuneBudget?.baselineEpochs ?? s.settings.epochs };
    return budgetVerdict(rows, baseline, ACCURACY_TOLERANCE, s.settings.testLimit ?? CIFAR10_TEST_IMAGES);
  },
};

/** The markdown of one part: heading, provenance, table, figures, verdict. */
export function partMarkdown(s: PartSummary, links: FigureLinks = () => []): string {
  const when = s.finished.slice(0, 10);
  const unfinished = s.partial ? `unfinished: ${s.rows.length} row(s) so far, ` : "";
  return [
    `### ${s.part} (${s.profile} profile, ${unfinished}${when})`,
    "",
    `\`${s.command}\` — ${(s.seconds / 60).toFixed(1)} min${s.sittings ? ` over ${s.sittings} sittings` : ""} on ${s.machine}, ${s.backend}, ${s.threads} thread(s); ` +
      `load average ${s.loadBefore.toFixed(2)} before, ${s.loadAfter.toFixed(2)} after. Summary: \`reproduction/${s.profile}/${s.part}.json\`.`,
    "",
    (TABLES[s.part] ?? genericTable)(s.rows, s),
    "",
    ...links(s).flatMap((l) => [`![${l.title}](${l.href})`, ""]),
    ...(s.partial
      ? [
          ...(PARTIAL_VERDICTS[s.part]?.(s) ?? []).map((l) => `- ${l}`),
          `- Unfinished: no verdict for the rest until every run is in. \`npm run reproduce -- --profile ${s.profile} --only ${s.part}\` resumes it and keeps these rows.`,
        ]
      : (VERDICTS[s.part]?.(s) ?? s.verdict).map((l) => `- ${l}`)),
  ].join("\n");
}

/** The paper's figures for each claim, quoted from ../shared/notes/paper-facts.md. */
const PAPER = {
  "closed-form": "the closed form is the exact global optimum and more effective than iterative methods (the paper's numbers for this comparison are not known)",
  "from-scratch": "low-rank nets trained from scratch with BN can beat their unconstrained twins: low-rank NIN 91.31 % without augmentation; the authors' 3-conv CNN logs: full rank 81.57 %, low rank 83.92 %",
  architectures: "decompose + fine-tune keeps accuracy at a real speed-up: VGG-16 top-5 90.60 → 90.31 % at 2.05× measured, AlexNet 80.03 → 79.66 % at 1.82×, GoogLeNet 92.21 → 91.79 % at 1.20× (ILSVRC-12)",
  "fine-tune": "VGG-16 decomposed + fine-tuned: 90.60 → 90.31 % top-5 (−0.29 points) at 2.05× measured (ILSVRC-12)",
} as const;

const CLAIMS: [keyof typeof PAPER, string][] = [
  ["closed-form", "1 · closed form vs iterative"],
  ["from-scratch", "2 · low-rank from scratch"],
  ["architectures", "3 · across architectures"],
  ["fine-tune", "3 · to the paper's standard (drop < 0.5 point at 2×)"],
];

/** Claim 3 to the paper's standard from the chosen run's loss, flagged when one run's noise (√2 standard errors) spans the bar. */
export function fineTuneClaimVerdict(loss: number, standardError: number): string {
  const verdict = loss < ACCURACY_TOLERANCE ? "confirmed" : "not confirmed";
  return Math.abs(ACCURACY_TOLERANCE - loss) < Math.SQRT2 * standardError ? `${verdict} (one seed, within run-to-run noise of the bar)` : verdict;
}

/** Ours and the verdict of one claim, from its part's rows. */
function oursAndVerdict(part: string, rows: readonly object[], settings?: Partial<ProfileSettings>): [string, string] {
  if (part === "closed-form") {
    const r = rows as ClosedFormRow[];
    const below = r.filter((x) => x.iterativeError < x.taiError * (1 - 1e-9)).length;
    const t = r.reduce((a, x) => a + x.taiSeconds, 0);
    const i = r.reduce((a, x) => a + x.iterativeSeconds, 0);
    return [
      `iterative error ≥ closed form's in ${r.length - below} of ${r.length} (layer, rank) pairs; ${t.toFixed(2)} s against ${i.toFixed(1)} s`,
      below === 0 ? "confirmed" : "not confirmed",
    ];
  }
  if (part === "from-scratch") {
    const r = rows as ScratchRow[];
    const found = [...new Set(r.map((x) => x.model))].map((m) => ({ m, c: compareArms(r, m, "low-rank, BN after") })).filter((x) => x.c);
    const ours = found.map(({ m, c }) => `${m}: ${(100 * c!.low.mean).toFixed(2)} % vs dense ${(100 * c!.dense.mean).toFixed(2)} % (${c!.word})`).join("; ");
    const words = found.map((x) => x.c!.word);
    const beats = words.filter((w) => w === "beats").length;
    const level = words.every((w) => w === "matches" || w === "leans above");
    const verdict = !words.length ? "—" : beats === words.length ? "confirmed" : beats > 0 ? "partly" : level ? "partly (matches, does not beat)" : "not confirmed";
    return [ours || "no comparison", verdict];
  }
  if (part === "architectures") {
    const r = (rows as ArchitectureRow[]).filter((x) => x.target === 2);
    const ours = r.map((x) => `${x.model} ${(100 * x.accuracyChange).toFixed(2)} pts at ${x.modelSpeedupMeasured.toFixed(2)}×`).join("; ");
    const v = r.map(architectureVerdict);
    const verdict = v.length && v.every((x) => x === "confirmed") ? "confirmed" : v.some((x) => x !== "not confirmed") ? `partly (${v.filter((x) => x === "confirmed").length} of ${v.length} at 2×)` : "not confirmed";
    return [`at 2× per conv: ${ours}`, verdict];
  }
  if (part === "fine-tune") {
    const all = rows as BudgetRow[];
    const runs = all.filter((x) => !x.control);
    const first = runs[0]?.target;
    const chosen = chosenBudget(all, ACCURACY_TOLERANCE, first);
    if (!chosen) return ["no run", "—"];
    const control = controlOf(chosen, all);
    const rest = runs.filter((x) => x.target !== first).map((x) => `${x.target}× ${(-100 * lossOf(x, all)).toFixed(2)}`);
    const baselineEpochs = settings?.fineTuneBudget?.baselineEpochs ?? settings?.epochs;
    const reference = control ? `against the dense baseline trained on alike (${pct(control.accuracyAfter)})` : "against the baseline";
    return [
      `vgg-small${baselineEpochs ? ` (baseline trained ${baselineEpochs} epochs)` : ""} at ${first}×${measuredWords(chosen)}: ${(-100 * lossOf(chosen, all)).toFixed(2)} points ${reference}, after ${chosen.epochs} epoch(s) at ${chosen.learningRate}${ranksWords(chosen)}${rest.length ? `; same budget: ${rest.join(", ")} points` : ""}` +
        (control ? `; against the baseline itself ${(-100 * chosen.drop).toFixed(2)} points` : ""),
      fineTuneClaimVerdict(lossOf(chosen, all), accuracyStandardError(chosen.accuracyAfter, settings?.testLimit ?? CIFAR10_TEST_IMAGES)),
    ];
  }
  return ["—", "—"];
}

/** Claim | paper's figure | ours, measured | verdict — one row per claim, from whichever summaries exist. */
export function paperVsOurs(summaries: readonly PartSummary[]): string {
  return table(
    ["claim", "paper", "ours, measured", "verdict"],
    CLAIMS.map(([part, claim]) => {
      const s = summaries.find((x) => x.part === part);
      if (!s) return [claim, PAPER[part], "not run yet (`npm run reproduce -- --only " + part + "`)", "—"];
      const [ours, verdict] = oursAndVerdict(part, s.rows, s.settings);
      return s.partial ? [claim, PAPER[part], `unfinished (${s.rows.length} row(s) so far): ${ours}`, "— (unfinished)"] : [claim, PAPER[part], ours, verdict];
    }),
  );
}

export const beginMarker = (profile: ProfileName) => `<!-- reproduction:${profile}:begin — generated by npm run reproduce from reproduction/${profile}/*.json; do not edit by hand -->`;
export const endMarker = (profile: ProfileName) => `<!-- reproduction:${profile}:end -->`;

const duration = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(1)} min`);

/** Sum of the rows' `trainSeconds` (what each run's history recorded, from its checkpoint when it was trained earlier), or undefined. */
function rowsTrainSeconds(rows: readonly object[]): number | undefined {
  const t = rows.map((r) => (r as { trainSeconds?: unknown }).trainSeconds).filter((x): x is number => typeof x === "number");
  return t.length ? t.reduce((a, b) => a + b, 0) : undefined;
}

/** What each part took and in how many sittings, with the total: the reproduction's time, from the summaries alone. */
export function timeTable(summaries: readonly PartSummary[]): string {
  const rows = summaries.map((s) => {
    const training = rowsTrainSeconds(s.rows);
    return [s.part, s.finished.slice(0, 10), duration(s.seconds), s.sittings ?? 1, training === undefined ? "—" : duration(training), s.trainingSteps ?? "not recorded", s.machine];
  });
  const wall = summaries.reduce((a, s) => a + s.seconds, 0);
  const training = summaries.reduce((a, s) => a + (rowsTrainSeconds(s.rows) ?? 0), 0);
  return [
    table(["part", "finished", "wall time", "sittings", "its runs' training", "steps in its sittings", "machine"], [...rows, ["all parts", "", `**${duration(wall)}**`, "", duration(training), "", ""]]),
    "",
    "Wall time adds up a part's sittings, not the gaps between them. A part run again on checkpoints that finished earlier counts only what it trained then; its runs' training adds up what each run's own history recorded, so that column also holds work done in earlier sittings.",
  ].join("\n");
}

/** The whole generated section for one profile. */
export function reproductionSection(profile: ProfileName, summaries: readonly PartSummary[], links?: FigureLinks): string {
  const body = summaries.length ? summaries.map((x) => partMarkdown(x, links)).join("\n\n") : "No part has run yet: `npm run reproduce`.";
  const time = summaries.length ? ["### Time, part by part", "", timeTable(summaries), ""] : [];
  return [beginMarker(profile), `## Reproduction of the paper's claims (${profile} profile)`, "", "### Paper vs ours", "", paperVsOurs(summaries), "", ...time, body, endMarker(profile)].join("\n");
}

/** Replace (or append) the profile's reproduction section of `file`, atomically. */
export function writeReproductionResults(file: string, profile: ProfileName, summaries: readonly PartSummary[], options: { figuresDir?: string } = {}): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Measured results\n";
  const section = reproductionSection(profile, summaries, options.figuresDir ? figureLinksIn(options.figuresDir, file) : undefined);
  // Found by its fixed start, so a reworded marker comment still matches.
  const begin = text.indexOf(`<!-- reproduction:${profile}:begin`);
  const end = text.indexOf(endMarker(profile));
  if (begin >= 0 && end < begin) throw new Error(`${file} has the start of the ${profile} reproduction section but not its end marker '${endMarker(profile)}': restore it or delete the section.`);
  const next = begin >= 0 ? `${text.slice(0, begin)}${section}${text.slice(end + endMarker(profile).length)}` : `${text.trimEnd()}\n\n${section}\n`;
  writeFileAtomic(file, next);
}
