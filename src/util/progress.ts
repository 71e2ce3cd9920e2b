import * as cliProgress from "cli-progress";

/**
 * Progress of long loops (a download, training epochs): a cli-progress bar in a terminal; in a notebook
 * one line rewritten in place with carriage returns, throttled; in logs and pipes (CI) one line per
 * finished epoch for training, a throttled rewritten line for a transfer.
 */
export type ProgressMode = "auto" | "bar" | "line" | "epoch" | "none";

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface ProgressOptions {
  mode?: ProgressMode;
  /** Printed before each line: the model name for training, the file for a transfer. */
  label?: string;
  /** Default process.stdout, whose `write` tslab swaps per cell (looked up at each write). */
  stream?: Stream;
  /** Minimum milliseconds between two line rewrites (default 500 for training, 1000 for a transfer). */
  throttleMs?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** Running in a Jupyter kernel (default: JPY_PARENT_PID is set, as Jupyter sets it for kernels). */
  inNotebook?: boolean;
}

type Display = Exclude<ProgressMode, "auto">;

/** The display `mode` stands for: `auto` is a bar on a terminal, else `offTerminal` (also when no bar is possible). */
function resolveMode(mode: ProgressMode, stream: Stream, offTerminal: Display, barPossible = true): Display {
  if (mode === "auto") return stream.isTTY && barPossible ? "bar" : offTerminal;
  if (mode === "bar") return barPossible ? "bar" : offTerminal;
  if (mode === "line" || mode === "epoch" || mode === "none") return mode;
  throw new Error(`Unknown progress mode '${String(mode)}': use auto, bar, line, epoch or none.`);
}

/** One line rewritten with '\r', padded over the previous text's tail ('\r' only moves the cursor back). */
class RewrittenLine {
  private lastLength = 0;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stream: Stream,
    private readonly throttleMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether a rewrite is due now (always when `force`); if so, it counts as written. */
  due(force = false): boolean {
    const t = this.now();
    if (!force && t - this.lastWrite < this.throttleMs) return false;
    this.lastWrite = t;
    return true;
  }

  write(text: string, final: boolean): void {
    const padded = text.padEnd(this.lastLength, " ");
    this.lastLength = final ? 0 : text.length;
    this.stream.write(`\r${padded}${final ? "\n" : ""}`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

// ---- Transfers (bytes) ----

/** Reports bytes done of a transfer. */
export interface TransferProgress {
  tick(bytes: number): void;
  /** Final state, then a newline. */
  stop(): void;
}

export interface TransferProgressOptions extends ProgressOptions {
  label: string;
  /** Expected bytes, if known (the bar needs it). */
  total?: number;
  /** Same as mode `none`. */
  quiet?: boolean;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

/** One-line status: "label: 45% 73.2/162.6 MB, 5.1 MB/s". */
export function transferLine(label: string, done: number, total: number | undefined, seconds: number): string {
  const speed = seconds > 0 ? `, ${mb(done / seconds)} MB/s` : "";
  if (!total) return `${label}: ${mb(done)} MB${speed}`;
  return `${label}: ${Math.floor((100 * done) / total)}% ${mb(done)}/${mb(total)} MB${speed}`;
}

/**
 * Progress of a transfer: `auto` is a bar on a terminal when the size is known, else one throttled
 * rewritten line (a download is short, so logs get the line too); `epoch` prints the final line only.
 */
export function createTransferProgress(options: TransferProgressOptions): TransferProgress {
  const { label, total, now = Date.now } = options;
  const stream = options.stream ?? process.stdout;
  const mode = options.quiet ? "none" : resolveMode(options.mode ?? "auto", stream, "line", Boolean(total));
  if (mode === "none") return { tick: () => undefined, stop: () => undefined };
  let done = 0;
  const started = now();

  if (mode === "bar") {
    const bar = new cliProgress.SingleBar({
      format: `${label} [{bar}] {percentage}% | {doneMb}/{totalMb} MB | {speed} MB/s | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
    });
    bar.start(total ?? 0, 0, { doneMb: mb(0), totalMb: mb(total ?? 0), speed: "0.0" });
    return {
      tick(bytes) {
        done += bytes;
        const seconds = (now() - started) / 1000;
        bar.update(done, { doneMb: mb(done), speed: seconds > 0 ? mb(done / seconds) : "0.0" });
      },
      stop: () => bar.stop(),
    };
  }

  const text = () => transferLine(label, done, total, (now() - started) / 1000);
  if (mode === "epoch") {
    return {
      tick: (bytes) => void (done += bytes),
      stop: () => void stream.write(`${text()}\n`),
    };
  }
  const line = new RewrittenLine(stream, options.throttleMs ?? 1000, now);
  return {
    tick(bytes) {
      done += bytes;
      if (line.due()) line.write(text(), false);
    },
    stop: () => line.write(text(), true),
  };
}

// ---- Training (steps within epochs) ----

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
  constructor(
    private readonly stream: Stream,
    private readonly label: string,
    private readonly throttleMs: number,
    private readonly now: () => number,
  ) {}

  epoch(epoch: number, epochs: number, steps: number): EpochProgress {
    const start = this.now();
    // Per epoch: an epoch's first step is always shown.
    const line = new RewrittenLine(this.stream, this.throttleMs, this.now);
    let last: StepValues | undefined;
    const head = `${this.label}epoch ${epoch}/${epochs}`;
    return {
      update: (step, values) => {
        last = values;
        if (!line.due(step >= steps)) return;
        const elapsed = (this.now() - start) / 1000;
        const eta = step > 0 ? (elapsed / step) * (steps - step) : Number.NaN;
        const pct = Math.floor((100 * step) / steps);
        line.write(`${head} [${textBar(step / steps)}] ${pct}% ${step}/${steps} · ETA ${formatDuration(eta)} · ${metrics(values)}`, false);
      },
      end: (summary) => {
        const elapsed = (this.now() - start) / 1000;
        line.write(doneLine(head, elapsed, last, summary), true);
      },
    };
  }
}

/** Logs and pipes: nothing while the epoch runs, one line when it ends. */
class EpochLineProgress implements ProgressReporter {
  constructor(
    private readonly stream: Stream,
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
    private readonly stream: Stream,
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

/** Training progress: `auto` = bar on a TTY, carriage-return line in a notebook, a line per epoch otherwise. */
export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stdout;
  const label = options.label ? `${options.label} · ` : "";
  const inNotebook = options.inNotebook ?? Boolean(process.env.JPY_PARENT_PID);
  const now = options.now ?? Date.now;
  const mode = resolveMode(options.mode ?? "auto", stream, inNotebook ? "line" : "epoch");
  if (mode === "none") return { epoch: () => silent };
  if (mode === "bar") return new BarProgress(stream, label);
  if (mode === "line") return new LineProgress(stream, label, options.throttleMs ?? 500, now);
  return new EpochLineProgress(stream, label, now);
}
