import * as cliProgress from "cli-progress";

/**
 * Training progress: a cli-progress bar with ETA in a terminal; in a notebook one line rewritten in
 * place with carriage returns, throttled, and closed with a newline per epoch; in logs and pipes (CI)
 * one line per finished epoch.
 */
export type ProgressMode = "auto" | "bar" | "line" | "epoch" | "none";

export interface StepValues {
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  lr: number;
}

export interface EpochProgress {
  /** `step` counts completed steps (1..steps). */
  update(step: number, values: StepValues): void;
  /** Close the epoch's line with a summary (e.g. test accuracy). */
  end(summary: string): void;
}

export interface ProgressReporter {
  epoch(epoch: number, epochs: number, steps: number): EpochProgress;
}

export interface ProgressOptions {
  mode?: ProgressMode;
  /** Printed before each line, e.g. the model name. */
  label?: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Minimum milliseconds between two line rewrites (line mode). Default 500. */
  throttleMs?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** Running in a Jupyter kernel (default: JPY_PARENT_PID is set, as Jupyter sets it for kernels). */
  inNotebook?: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function textBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return "#".repeat(filled) + ".".repeat(width - filled);
}

function metrics(v: StepValues): string {
  return `loss ${v.loss.toFixed(4)} · acc ${(100 * v.accuracy).toFixed(1)}% · ${Math.round(v.imagesPerSecond)} img/s · lr ${v.lr.toPrecision(3)}`;
}

/** The line that closes an epoch: duration, last step's metrics, and the caller's summary. */
function doneLine(head: string, seconds: number, last: StepValues | undefined, summary: string): string {
  return `${head} done in ${formatDuration(seconds)}${last ? ` · ${metrics(last)}` : ""}${summary ? ` · ${summary}` : ""}`;
}

const silent: EpochProgress = { update: () => undefined, end: () => undefined };

class LineProgress implements ProgressReporter {
  private lastLength = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private readonly throttleMs: number,
    private readonly now: () => number,
  ) {}

  private write(text: string, final: boolean): void {
    // Pad over the previous line's tail: '\r' only moves the cursor back.
    const padded = text.padEnd(this.lastLength, " ");
    this.lastLength = final ? 0 : text.length;
    this.stream.write(`\r${padded}${final ? "\n" : ""}`);
  }

  epoch(epoch: number, epochs: number, steps: number): EpochProgress {
    const start = this.now();
    let lastWrite = Number.NEGATIVE_INFINITY;
    let last: StepValues | undefined;
    const head = `${this.label}epoch ${epoch}/${epochs}`;
    return {
      update: (step, values) => {
        last = values;
        const t = this.now();
        if (t - lastWrite < this.throttleMs && step < steps) return;
        lastWrite = t;
        const elapsed = (t - start) / 1000;
        const eta = step > 0 ? (elapsed / step) * (steps - step) : Number.NaN;
        const pct = Math.floor((100 * step) / steps);
        this.write(`${head} [${textBar(step / steps)}] ${pct}% ${step}/${steps} · ETA ${formatDuration(eta)} · ${metrics(values)}`, false);
      },
      end: (summary) => {
        const elapsed = (this.now() - start) / 1000;
        this.write(doneLine(head, elapsed, last, summary), true);
      },
    };
  }
}

/** Logs and pipes: nothing while the epoch runs, one line when it ends. */
class EpochLineProgress implements ProgressReporter {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private readonly now: () => number,
  ) {}

  epoch(epoch: number, epochs: number, _steps: number): EpochProgress {
    const start = this.now();
    let last: StepValues | undefined;
    return {
      update: (_step, values) => {
        last = values;
      },
      end: (summary) => {
        const elapsed = (this.now() - start) / 1000;
        this.stream.write(`${doneLine(`${this.label}epoch ${epoch}/${epochs}`, elapsed, last, summary)}\n`);
      },
    };
  }
}

class BarProgress implements ProgressReporter {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
  ) {}

  epoch(epoch: number, epochs: number, steps: number): EpochProgress {
    const bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${this.label}epoch ${epoch}/${epochs} [{bar}] {percentage}% {value}/{total} | ETA {eta_formatted} | {metrics}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(steps, 0, { metrics: "" });
    let last: StepValues | undefined;
    return {
      update: (step, values) => {
        last = values;
        bar.update(step, { metrics: metrics(values) });
      },
      end: (summary) => {
        bar.stop();
        this.stream.write(`${this.label}epoch ${epoch}/${epochs}${last ? ` · ${metrics(last)}` : ""}${summary ? ` · ${summary}` : ""}\n`);
      },
    };
  }
}

/** Pick the reporter: `auto` = bar on a TTY, carriage-return line in a notebook, a line per epoch otherwise. */
export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const mode = options.mode ?? "auto";
  const stream = options.stream ?? process.stdout;
  const label = options.label ? `${options.label} · ` : "";
  const inNotebook = options.inNotebook ?? Boolean(process.env.JPY_PARENT_PID);
  if (mode === "none") return { epoch: () => silent };
  if (mode === "bar" || (mode === "auto" && stream.isTTY)) return new BarProgress(stream, label);
  if (mode === "line" || (mode === "auto" && inNotebook)) return new LineProgress(stream, label, options.throttleMs ?? 500, options.now ?? Date.now);
  if (mode === "epoch" || mode === "auto") return new EpochLineProgress(stream, label, options.now ?? Date.now);
  throw new Error(`Unknown progress mode '${String(mode)}': use auto, bar, line, epoch or none.`);
}
