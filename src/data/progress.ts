import { SingleBar } from "cli-progress";

/** Reports bytes done of a transfer. */
export interface Progress {
  tick(bytes: number): void;
  /** Final state, then a newline. */
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  /** Expected bytes, if known. */
  total?: number;
  quiet?: boolean;
  /** Defaults to process.stdout; tests pass their own. */
  write?: (text: string) => void;
  /** Defaults to process.stdout.isTTY. */
  tty?: boolean;
  /** Milliseconds between line updates when not a TTY (default 1000). */
  intervalMs?: number;
  now?: () => number;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

/** One-line status: "label: 45% 73.2/162.6 MB, 5.1 MB/s". */
export function progressLine(label: string, done: number, total: number | undefined, seconds: number): string {
  const speed = seconds > 0 ? `, ${mb(done / seconds)} MB/s` : "";
  if (!total) return `${label}: ${mb(done)} MB${speed}`;
  return `${label}: ${Math.floor((100 * done) / total)}% ${mb(done)}/${mb(total)} MB${speed}`;
}

/**
 * A progress bar (cli-progress) on a terminal; elsewhere — a notebook, a log — one line rewritten with
 * carriage returns at most once per `intervalMs`, so the output stays small.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { label, total, quiet = false, intervalMs = 1000, now = Date.now } = options;
  if (quiet) return { tick: () => undefined, stop: () => undefined };
  // Look up process.stdout.write at call time: tslab swaps it per cell.
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const tty = options.tty ?? Boolean(process.stdout.isTTY);
  let done = 0;
  const started = now();

  if (tty && total && !options.write) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {doneMb}/{totalMb} MB | {speed} MB/s | ETA {eta_formatted}`,
      stream: process.stdout,
      hideCursor: true,
    });
    bar.start(total, 0, { doneMb: mb(0), totalMb: mb(total), speed: "0.0" });
    return {
      tick(bytes) {
        done += bytes;
        const seconds = (now() - started) / 1000;
        bar.update(done, { doneMb: mb(done), speed: seconds > 0 ? mb(done / seconds) : "0.0" });
      },
      stop: () => bar.stop(),
    };
  }

  let last = -Infinity;
  const show = () => write(`\r${progressLine(label, done, total, (now() - started) / 1000)}`);
  return {
    tick(bytes) {
      done += bytes;
      if (now() - last >= intervalMs) {
        last = now();
        show();
      }
    },
    stop() {
      show();
      write("\n");
    },
  };
}
