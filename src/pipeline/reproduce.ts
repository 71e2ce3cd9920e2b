/**
 * `npm run reproduce`: the paper's claims as parts that each write a small summary (JSON, no weights) to
 * `reproduction/<profile>/<part>.json`. A finished part is skipped on the next run (unless its settings
 * changed, or `redo`), baselines resume from their checkpoints, so an interrupted run picks up where it
 * stopped; parts run at different times or on different machines add up, and RESULTS.md's reproduction
 * section is regenerated from the summaries (report/reproduction-results.ts), never typed by hand.
 */
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { loadCifar10, type Cifar10, type Cifar10Split } from "../data";
import { initBackend } from "../backend/init";
import { acrossArchitectures, architecturesVerdict } from "../experiments/across-architectures";
import { baselineFor } from "../experiments/baseline";
import { budgetBaseline, budgetVerdict, fineTuneBudgetProblem, fineTuneBudgets, ranksWords } from "../experiments/fine-tune-budget";
import { fromScratchCompared, fromScratchVerdict, SCRATCH_ARMS, type ScratchRow } from "../experiments/from-scratch-compared";
import { closedFormVerdict, networksByMethod, reconstructionByMethod } from "../experiments/methods-compared";
import { prepareCheckpointsDir } from "../experiments/run-folders";
import { dataOptions, profileSettings, type ProfileName, type ProfileSettings } from "../profiles";

export type { PartSummary } from "../report/reproduction-results";
import { combineTrainingSteps, partFigures, writeReproductionResults, type PartSummary, type TrainingSteps } from "../report/reproduction-results";
import { canTraceGraphs } from "../backend/traced-graph";
import { graphStepsTurnedOff } from "../train/train";
import { writeFigures } from "../plot/write-figures";
import { writeFileAtomic } from "../util/atomic-write";
import { lockFolder } from "../util/folder-lock";

/** What a part gets to run with. */
export interface PartContext {
  settings: ProfileSettings;
  data: { train: Cifar10Split; test: Cifar10Split };
  /** The same source with another number of training images (the caller disposes it). */
  loadData(trainLimit: number | undefined): Promise<Cifar10>;
  checkpointsRoot: string;
  /** Report one finished unit of work (e.g. a network), for progress and time left; `reused`: taken from earlierRows or a finished checkpoint, no training time spent (left out of the time-left estimate). */
  unitDone(label: string, reused?: boolean): void;
  /** Rows an unfinished run of this part recorded with the same settings (PartSummary.partial): reuse them, do not redo their work. */
  earlierRows: readonly object[];
  /** Record a finished row at once in the part's summary (marked partial), so the work survives a lost machine or checkout. */
  rowDone(row: object): void;
}

export interface ReproductionPart {
  name: string;
  /** One line: which claim it tests and how. */
  description: string;
  /** Units of work (networks trained or measured) it will report through unitDone. */
  units(settings: ProfileSettings): number;
  /** What the part compares beyond the settings (e.g. its arms): a summary made with another scope is run again. */
  scope?: string;
  /** Settings the part never reads (the other parts' own blocks): a change there leaves its summary current. */
  unread?: readonly (keyof ProfileSettings)[];
  run(ctx: PartContext): Promise<{ rows: object[]; verdict: string[] }>;
}

const FROM_CHECKPOINT = ", trained earlier (its checkpoint)";

/** Every part of the reproduction, in the order `npm run reproduce` runs them. */
export const PARTS: readonly ReproductionPart[] = [
  {
    name: "closed-form",
    description:
      "claim 1 — the trained vgg-small's 3×3 convs factored by Theorem 1 and by an iterative fit (Jaderberg et al., ALS) at the sweep targets: error and time; both networks at the profile's target, fine-tuned alike",
    units: () => 3,
    unread: ["scratchCompare", "fineTuneBudget"],
    async run(ctx) {
      const base = await baselineFor(ctx.settings, ctx.data, { checkpointsRoot: ctx.checkpointsRoot });
      try {
        ctx.unitDone(`vgg-small baseline ${(100 * base.accuracy).toFixed(2)} %`);
        const errors = reconstructionByMethod(base.model, ["tai", "jaderberg"], ctx.settings.sweepSpeedups);
        ctx.unitDone(`${errors.length / 2} (layer, rank) pairs factored both ways`);
        const networks = await networksByMethod(base.model, ctx.data, ctx.settings, ["tai", "jaderberg"], ctx.settings.speedup);
        ctx.unitDone("both networks fine-tuned");
        const rows = errors
          .filter((r) => r.method === "tai")
          .map((t) => {
            const j = errors.find((r) => r.method === "jaderberg" && r.layer === t.layer && r.rank === t.rank)!;
            return { layer: t.layer, rank: t.rank, taiError: t.relError, iterativeError: j.relError, taiSeconds: t.seconds, iterativeSeconds: j.seconds, sweeps: j.iterations, converged: j.converged };
          });
        return { rows, verdict: closedFormVerdict(errors, networks) };
      } finally {
        base.model.dispose();
      }
    },
  },
  {
    name: "from-scratch",
    description:
      "claim 2 — vgg-small and the authors' 3-conv CNN dense and as low-rank twins (BN after; BN between; and the later recipes SI + FD, hybrid, TRP at the same multiply-adds), trained from scratch without augmentation on fewer images for one whole cosine schedule (best epoch reported), over seeds",
    units: (s) => 2 * SCRATCH_ARMS.length * s.scratchCompare.seeds.length,
    scope: `arms: ${SCRATCH_ARMS.join("; ")}`,
    unread: ["fineTuneBudget"],
    async run(ctx) {
      const data = await ctx.loadData(ctx.settings.scratchCompare.trainLimit);
      try {
        // vgg-small at the project's usual 2×; the 3-conv CNN at 5×, about the authors' 5.25× fewer MACs with K = 10, 51, 51.
        const rows = await fromScratchCompared(ctx.settings, data, {
          rule: (m) => ({ speedup: m === "tai-cnn" ? 5 : 2 }),
          checkpointsRoot: ctx.checkpointsRoot,
          finished: ctx.earlierRows as ScratchRow[],
          onRow: (r, reused) => {
            if (!reused) ctx.rowDone(r);
            ctx.unitDone(`${r.model} ${r.arm} seed ${r.seed}: best ${(100 * r.bestTestAccuracy).toFixed(2)} % (epoch ${r.bestEpoch})${reused ? ", kept from the unfinished run" : ""}`, reused);
          },
        });
        return { rows, verdict: fromScratchVerdict(rows) };
      } finally {
        data.dispose();
      }
    },
  },
  {
    name: "architectures",
    description: "claim 3 — vgg-small, NIN, the authors' 3-conv CNN, a ResNet and a BN-Inception-style net, each decomposed at 2× and 3× per conv, fine-tuned and timed",
    units: () => 5 * 3,
    unread: ["scratchCompare", "fineTuneBudget"],
    async run(ctx) {
      const rows = await acrossArchitectures(ctx.settings, ctx.data, { checkpointsRoot: ctx.checkpointsRoot, onRow: (r) => ctx.unitDone(`${r.model} ${r.network}`) });
      return { rows, verdict: architecturesVerdict(rows) };
    },
  },
  {
    name: "fine-tune",
    description:
      "claim 3 to the paper's standard — the trained vgg-small decomposed at 2× and fine-tuned with each budget (epochs, peak rate, ranks per layer or allocated jointly) to find one that loses under 0.5 point, each beside the dense baseline trained on with the same budget (its control), then 3× and 4× with the budget that loses least",
    units: (s) => {
      const { runs, targets } = s.fineTuneBudget;
      const controls = new Set(runs.map((r) => `${r.epochs} ${r.learningRate}`)).size;
      return 1 + runs.length + controls + targets.length - 1;
    },
    scope: "with dense controls: the baseline trained on with each budget",
    unread: ["scratchCompare"],
    async run(ctx) {
      const problem = fineTuneBudgetProblem(ctx.settings.fineTuneBudget);
      if (problem) throw new Error(`settings.fineTuneBudget ${problem}.`); // before the baseline trains
      const { settings, checkpointsRoot } = budgetBaseline(ctx.settings, ctx.checkpointsRoot);
      const base = await baselineFor(settings, ctx.data, { checkpointsRoot });
      try {
        ctx.unitDone(`vgg-small baseline (${settings.epochs} epochs) ${(100 * base.accuracy).toFixed(2)} %${base.loaded ? FROM_CHECKPOINT : ""}`, base.loaded);
        const rows = await fineTuneBudgets(base.model, base.accuracy, ctx.data, settings, {
          checkpointsRoot,
          onRow: (r, fromCheckpoint) =>
            ctx.unitDone(`${r.control ? "dense control" : `${r.target}×`}, ${r.epochs} epoch(s) at ${r.learningRate}${ranksWords(r)}: ${(100 * r.accuracyAfter).toFixed(2)} %${fromCheckpoint ? FROM_CHECKPOINT : ""}`, fromCheckpoint),
        });
        return { rows, verdict: budgetVerdict(rows, { accuracy: base.accuracy, epochs: settings.epochs }, undefined, ctx.data.test.size) };
      } finally {
        base.model.dispose();
      }
    },
  },
];

export interface ReproduceOptions {
  profile: ProfileName;
  /** Part names to run (default all). */
  only?: readonly string[];
  /** Run parts again even if their summary is current. */
  redo?: boolean;
  /** Default "reproduction". */
  outDir?: string;
  /** Default "checkpoints". */
  checkpointsDir?: string;
  dataDir?: string;
  download?: boolean;
  /** RESULTS.md to regenerate (its reproduction section); null: none. Default "RESULTS.md". */
  resultsFile?: string | null;
  /** Setting overrides (e.g. a tiny run: { trainLimit: 200, epochs: 1 }). */
  overrides?: Partial<ProfileSettings>;
  /** Recorded in each summary. Default "npm run reproduce -- --profile <profile>". */
  command?: string;
  log?: (line: string) => void;
}

export function summaryPath(outDir: string, profile: ProfileName, part: string): string {
  return join(outDir, profile, `${part}.json`);
}

/** The summary of a part, or undefined when it has none; a damaged file is an error that says what to do. */
export function readSummary(outDir: string, profile: ProfileName, part: string): PartSummary | undefined {
  const path = summaryPath(outDir, profile, part);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as PartSummary;
  } catch (err) {
    throw new Error(`${path} is not readable JSON (${(err as Error).message}): delete it to run the part again.`);
  }
}

/** Where a profile's part figures go: <outDir>/<profile>/figures/. */
export const figuresDir = (outDir: string, profile: ProfileName): string => join(outDir, profile, "figures");

/**
 * Whether a summary was made with these settings. Settings added since cannot have shaped it: only the ones
 * it recorded must agree, less those the part does not read (`unread`, e.g. another part's own block).
 */
export function summaryIsCurrent(summary: PartSummary, settings: ProfileSettings, scope?: string, unread: readonly string[] = []): boolean {
  if (summary.scope !== scope) return false;
  return Object.entries(summary.settings).every(([k, v]) => unread.includes(k) || JSON.stringify(v) === JSON.stringify((settings as unknown as Record<string, unknown>)[k]));
}

/** Whether part `p`'s summary is current (summaryIsCurrent with the part's scope and unread settings). */
export function partIsCurrent(p: ReproductionPart, summary: PartSummary, settings: ProfileSettings): boolean {
  return summaryIsCurrent(summary, settings, p.scope, p.unread);
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

/** Where a part stands: what `--list` prints and what decides whether `reproduce` runs it. */
export type PartState =
  | { kind: "not run" }
  | { kind: "stale"; summary: PartSummary }
  | { kind: "unfinished"; summary: PartSummary }
  | { kind: "done"; summary: PartSummary };

export function partState(p: ReproductionPart, summary: PartSummary | undefined, settings: ProfileSettings): PartState {
  if (!summary) return { kind: "not run" };
  if (!partIsCurrent(p, summary, settings)) return { kind: "stale", summary };
  return summary.partial ? { kind: "unfinished", summary } : { kind: "done", summary };
}

/** A part's state in words; `--list` and `reproduce` each add what happens next (ACTION_NOW, ACTION_ON_RERUN). */
export function describePartState(state: PartState): string {
  switch (state.kind) {
    case "not run":
      return "not run";
    case "stale":
      return `stale: its summary (${state.summary.finished}) was made with other settings or another scope`;
    case "unfinished":
      return `unfinished, ${state.summary.rows.length} row(s) kept from ${state.summary.finished}`;
    case "done":
      return `done on ${state.summary.finished} (${minutes(state.summary.seconds * 1000)})`;
  }
}

/** What `reproduce` does with a part in each state, unless --redo. */
export const ACTION_NOW: Record<PartState["kind"], string> = { "not run": "running it", stale: "running it again", unfinished: "resuming", done: "skipped (--redo runs it again)" };
/** What a rerun of `reproduce` would do, as `--list` says it. */
export const ACTION_ON_RERUN: Record<PartState["kind"], string> = { "not run": "a rerun runs it", stale: "a rerun runs it again", unfinished: "a rerun resumes it", done: "--redo runs it again" };

function checkParts(only: readonly string[] | undefined): ReproductionPart[] {
  if (!only?.length) return [...PARTS];
  const unknown = only.filter((n) => !PARTS.some((p) => p.name === n));
  if (unknown.length) throw new Error(`Unknown part(s) ${unknown.map((n) => `'${n}'`).join(", ")}: the parts are ${PARTS.map((p) => p.name).join(", ")}.`);
  return PARTS.filter((p) => only.includes(p.name));
}

/** Run the parts that are not done yet (see the file comment); returns every chosen part's summary. */
export async function reproduce(o: ReproduceOptions): Promise<PartSummary[]> {
  const log = o.log ?? ((l: string) => console.log(l));
  const say = (l: string) => log(`[reproduce] ${l}`);
  const parts = checkParts(o.only);
  const outDir = o.outDir ?? "reproduction";
  const settings: ProfileSettings = { ...profileSettings(o.profile), ...o.overrides };
  const command = o.command ?? `npm run reproduce -- --profile ${o.profile}`;
  const states = new Map(parts.map((p) => [p, partState(p, readSummary(outDir, o.profile, p.name), settings)]));
  const todo = parts.filter((p) => o.redo || states.get(p)!.kind !== "done");
  for (const p of parts) {
    const state = states.get(p)!;
    if (state.kind !== "not run") say(`${p.name}: ${describePartState(state)}; ${o.redo ? "--redo: running it again" : ACTION_NOW[state.kind]}`);
  }
  if (todo.length) {
    const lock = lockFolder(join(outDir, o.profile), "npm run reproduce");
    try {
      const backend = await initBackend();
      const checkpointsRoot = prepareCheckpointsDir(o.checkpointsDir ?? "checkpoints");
      const data = await loadCifar10({ ...dataOptions(settings), dir: o.dataDir, download: o.download ?? true });
      try {
        for (const part of todo) {
          const state = states.get(part)!;
          const resumed = state.kind === "unfinished" && !o.redo ? state.summary : undefined;
          const started = new Date();
          const loadBefore = loadavg()[0];
          const total = part.units(settings);
          let done = 0;
          let reusedUnits = 0;
          say(`${part.name}: ${part.description}`);
          const unitDone = (label: string, reused = false) => {
            done++;
            if (reused) reusedUnits++;
            const elapsed = Date.now() - started.getTime();
            const worked = done - reusedUnits;
            const left = done < total && worked > 0 ? `, about ${minutes((elapsed / worked) * (total - done))} left` : "";
            say(`${part.name} ${done}/${total} · ${label} · ${minutes(elapsed)} elapsed${left}`);
          };
          // One summary shape for the partial and the final file; time and sittings add up over resumed runs.
          const stepsNow: TrainingSteps = graphStepsTurnedOff() || !canTraceGraphs() ? "op by op" : "graph";
          const trainingSteps = resumed ? combineTrainingSteps(resumed.trainingSteps, stepsNow) : stepsNow;
          const summaryOf = (rows: object[], verdict: string[], partial: boolean): PartSummary => {
            const finished = new Date();
            const machine = backend.machine;
            return {
              part: part.name,
              profile: o.profile,
              command,
              started: resumed?.started ?? started.toISOString(),
              finished: finished.toISOString(),
              seconds: (resumed?.seconds ?? 0) + (finished.getTime() - started.getTime()) / 1000,
              ...(trainingSteps ? { trainingSteps } : {}),
              ...(resumed ? { sittings: (resumed.sittings ?? 1) + 1 } : {}),
              backend: `${backend.name} (${backend.version})`,
              threads: backend.threads,
              machine: resumed && !resumed.machine.split(" and ").includes(machine) ? `${resumed.machine} and ${machine}` : machine,
              loadBefore: resumed?.loadBefore ?? loadBefore,
              loadAfter: loadavg()[0],
              settings,
              ...(part.scope ? { scope: part.scope } : {}),
              ...(partial ? { partial: true } : {}),
              rows,
              verdict,
            };
          };
          const recorded: object[] = [...(resumed?.rows ?? [])];
          const rowDone = (row: object) => {
            recorded.push(row);
            writeFileAtomic(summaryPath(outDir, o.profile, part.name), `${JSON.stringify(summaryOf(recorded, [], true), null, 1)}\n`);
          };
          const loadData = (trainLimit: number | undefined) => loadCifar10({ ...dataOptions(settings), trainLimit, dir: o.dataDir, download: o.download ?? true });
          const { rows, verdict } = await part.run({ settings, data, loadData, checkpointsRoot, unitDone, earlierRows: resumed?.rows ?? [], rowDone });
          const summary = summaryOf(rows, verdict, false);
          writeFileAtomic(summaryPath(outDir, o.profile, part.name), `${JSON.stringify(summary, null, 1)}\n`);
          say(`${part.name}: finished in ${minutes(summary.seconds * 1000)}${summary.sittings ? ` over ${summary.sittings} sittings` : ""} → ${summaryPath(outDir, o.profile, part.name)}`);
        }
      } finally {
        data.dispose();
      }
    } finally {
      lock.release();
    }
  }
  const all = PARTS.map((p) => readSummary(outDir, o.profile, p.name)).filter((s): s is PartSummary => s !== undefined);
  // Figures from the summaries alone: those of the parts run now, and any missing (a summary made elsewhere
  // or before figures existed).
  for (const summary of all) {
    const ranNow = todo.some((p) => p.name === summary.part);
    const figures = partFigures(summary).filter((f) => ranNow || !existsSync(join(figuresDir(outDir, o.profile), `${f.basename}.png`)));
    if (!figures.length) continue;
    const { imagesError } = await writeFigures(figures, figuresDir(outDir, o.profile));
    say(`${summary.part}: ${figures.length} figure(s) written${imagesError ? ` as HTML only (${imagesError})` : ""}`);
  }
  const summaries = all.filter((s) => parts.some((p) => p.name === s.part));
  if (o.resultsFile !== null) {
    const file = o.resultsFile ?? "RESULTS.md";
    writeReproductionResults(file, o.profile, all, { figuresDir: figuresDir(outDir, o.profile) });
    say(`${file}: reproduction section (${o.profile}) regenerated from ${all.length} summar${all.length === 1 ? "y" : "ies"}`);
  }
  return summaries;
}
