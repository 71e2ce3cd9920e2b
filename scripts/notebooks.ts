/**
 * Execute the notebooks headlessly and check them.
 *
 *   npm run notebooks:test [-- <name filter>...]   run each notebooks/NN-*.ipynb, fail on any error text
 *   npm run notebooks:html [-- <name filter>...]   same, and keep executed HTML in results/notebooks/
 *
 * tslab reports failures as stream text (not Jupyter `error` messages) and nbconvert exits 0 with
 * `--allow-errors`, so each executed notebook is scanned for error text; the first error names the cell.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { Command } from "commander";
import { profileName } from "../src/profiles";
import { writeFileAtomic } from "../src/util/atomic-write";

export const REPO_ROOT = resolve(__dirname, "..");
export const NOTEBOOK_DIR = join(REPO_ROOT, "notebooks");
export const HTML_DIR = join(REPO_ROOT, "results", "notebooks");
/** Debian's Jupyter runs on the system Python (a pyenv `python3` on PATH may lack it). */
export const JUPYTER_PYTHON = process.env.JUPYTER_PYTHON ?? "/usr/bin/python3";

/** Text in a cell's output that means the cell failed under tslab. */
const ERROR_PATTERNS: readonly RegExp[] = [
  /^\s*(?:[A-Z]\w*)?Error(?: \[\w+\])?: /m, // "Error: …", "RangeError: …", "Error [ERR_X]: …"
  /^\s*at .+:\d+:\d+\)?$/m, // a stack-trace line
  /^\d+:\d+ - /m, // tslab's TypeScript diagnostic, "1:7 - Type 'string' is not assignable…"
  /\berror TS\d+/, // tsc-style diagnostic
  /Unhandled ?Promise ?Rejection|UncaughtException/i,
  /Interrupted asynchronously/,
];

export interface CellFailure {
  /** 1-based index among all cells (what Jupyter shows when you count from the top). */
  cell: number;
  /** 1-based index among code cells. */
  codeCell: number;
  /** First line of the cell's source, to find it. */
  source: string;
  /** The output line that matched an error pattern. */
  message: string;
}

interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
  data?: Record<string, unknown>;
}
interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: NotebookOutput[];
}
export interface NotebookJson {
  cells: NotebookCell[];
  metadata?: { kernelspec?: { name?: string } };
  nbformat?: number;
}

const joinText = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join("") : (t ?? ""));

/** The text of one output that may carry an error: streams, `error` messages and plain-text results. */
function outputText(out: NotebookOutput): string {
  if (out.output_type === "stream") return joinText(out.text);
  if (out.output_type === "error") return `${out.ename ?? "Error"}: ${out.evalue ?? ""}\n${(out.traceback ?? []).join("\n")}`;
  return "";
}

/** First line in `text` that matches an error pattern, or undefined. */
export function findErrorLine(text: string): string | undefined {
  for (const line of text.split("\n")) {
    if (ERROR_PATTERNS.some((p) => p.test(line))) return line.trim();
  }
  return undefined;
}

/** Every code cell of an executed notebook whose output carries error text (in cell order). */
export function scanNotebook(nb: NotebookJson): CellFailure[] {
  const failures: CellFailure[] = [];
  let codeCell = 0;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    codeCell++;
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") {
        failures.push(failure(cell, i, codeCell, `${out.ename ?? "Error"}: ${out.evalue ?? ""}`));
        return;
      }
      const line = findErrorLine(outputText(out));
      if (line !== undefined) {
        failures.push(failure(cell, i, codeCell, line));
        return;
      }
    }
  });
  return failures;
}

function failure(cell: NotebookCell, index: number, codeCell: number, message: string): CellFailure {
  const source = joinText(cell.source).split("\n").find((l) => l.trim() !== "") ?? "";
  return { cell: index + 1, codeCell, source: source.slice(0, 80), message: message.slice(0, 300) };
}

/** Code cells that still hold outputs or execution counts (notebooks are committed clean). */
export function cellsWithOutputs(nb: NotebookJson): number[] {
  const found: number[] = [];
  nb.cells.forEach((cell, i) => {
    const c = cell as NotebookCell & { execution_count?: number | null };
    if (cell.cell_type === "code" && ((cell.outputs?.length ?? 0) > 0 || (c.execution_count ?? null) !== null)) found.push(i + 1);
  });
  return found;
}

/** notebooks/NN-*.ipynb in order, keeping those whose name contains any of `filters` (all if none). */
export function listNotebooks(filters: readonly string[] = [], dir = NOTEBOOK_DIR): string[] {
  if (!existsSync(dir)) throw new Error(`No notebooks folder at ${dir}.`);
  const all = readdirSync(dir)
    .filter((f) => /^\d\d-.+\.ipynb$/.test(f))
    .sort();
  const stem = (f: string) => f.replace(/\.ipynb$/, "");
  const picked = filters.length ? all.filter((f) => filters.some((q) => stem(f).includes(stem(q)))) : all;
  if (!picked.length) {
    throw new Error(`No notebook matches ${filters.map((f) => `'${f}'`).join(", ")}; available: ${all.join(", ") || "none"}.`);
  }
  return picked.map((f) => join(dir, f));
}

interface ProcessResult {
  code: number | null;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, echo: boolean): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const keep = (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
      if (echo) process.stderr.write(chunk);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (err) =>
      reject(new Error(`Could not start ${cmd} (${err.message}). Install Debian's Jupyter: npm run setup, or set JUPYTER_PYTHON.`)),
    );
    child.on("close", (code) => resolvePromise({ code, stderr }));
  });
}

/** Environment for the kernel: our kernelspec, the profile, and npm's bin folder. */
export function jupyterEnv(profile: string): NodeJS.ProcessEnv {
  const bin = join(REPO_ROOT, "node_modules", ".bin");
  return {
    ...process.env,
    JUPYTER_PATH: [join(REPO_ROOT, "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(":"),
    LOWRANK_PROFILE: profile,
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    // Keep Python's own packages from a pyenv/venv out of Debian's Jupyter.
    PYTHONNOUSERSITE: "1",
  };
}

export interface NotebookResult {
  notebook: string;
  seconds: number;
  failures: string[];
  htmlPath?: string;
}

/** Execute one notebook with nbconvert; scan it; in html mode keep an executed HTML copy. */
export async function executeNotebook(
  path: string,
  opts: { profile: string; timeoutS: number; html: boolean; verbose: boolean; keepExecuted?: string },
): Promise<NotebookResult> {
  const name = basename(path);
  const work = mkdtempSync(join(tmpdir(), "lowrank-nb-"));
  const started = Date.now();
  const failures: string[] = [];
  let htmlPath: string | undefined;
  try {
    const env = jupyterEnv(opts.profile);
    const executed = join(work, name);
    const exec = await run(
      JUPYTER_PYTHON,
      [
        "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
        `--ExecutePreprocessor.timeout=${opts.timeoutS > 0 ? opts.timeoutS : -1}`,
        "--ExecutePreprocessor.kernel_name=tslab",
        "--output-dir", work, "--output", name, path,
      ],
      env,
      opts.verbose,
    );
    // Kernel-level trouble (an unhandled rejection after a cell finished) shows only on the kernel's stderr.
    // zeromq 6 (tslab's) can reject "Socket is blocked by a bind or unbind operation" while the kernel is
    // being shut down: a warning when nbconvert finished and no cell printed an error, not a failure.
    const kernelLines = exec.stderr.split("\n").filter((l) => /Unhandled ?Promise ?Rejection|UncaughtException/i.test(l));
    const teardownRace = (l: string) => /Socket is blocked by a bind or unbind operation/.test(l);
    const kernelLine = kernelLines.find((l) => !teardownRace(l));
    const raceLine = kernelLines.find(teardownRace);
    if (exec.code !== 0 || !existsSync(executed)) {
      const tail = exec.stderr.trim().split("\n").filter((l) => !/oneDNN|absl::InitializeLog/.test(l)).slice(-6).join("\n    ");
      failures.push(`nbconvert failed (exit ${exec.code}); a cell timed out (limit ${opts.timeoutS} s) or the kernel died:\n    ${tail}`);
    } else {
      if (opts.keepExecuted) writeFileAtomic(join(opts.keepExecuted, name), readFileSync(executed));
      const nb = JSON.parse(readFileSync(executed, "utf8")) as NotebookJson;
      for (const f of scanNotebook(nb)) {
        failures.push(`cell ${f.cell} (code cell ${f.codeCell}: ${JSON.stringify(f.source)}): ${f.message}`);
      }
      if (kernelLine) failures.push(`kernel reported: ${kernelLine.trim()}`);
      if (raceLine && !kernelLine && failures.length === 0) console.log(`     ${name}: warning, kernel shutdown noise ignored: ${raceLine.trim()}`);
      if (opts.html) {
        try {
          htmlPath = await exportHtml(executed, work, env, opts.verbose);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { notebook: name, seconds: (Date.now() - started) / 1000, failures, htmlPath };
}

/** Convert an executed notebook to HTML (plots stay interactive: plotly is inlined) into results/notebooks/. */
async function exportHtml(executed: string, work: string, env: NodeJS.ProcessEnv, verbose: boolean): Promise<string> {
  const htmlName = basename(executed).replace(/\.ipynb$/, ".html");
  const res = await run(JUPYTER_PYTHON, ["-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", work, "--output", htmlName, executed], env, verbose);
  const produced = join(work, htmlName);
  if (res.code !== 0 || !existsSync(produced)) {
    throw new Error(`nbconvert --to html failed for ${basename(executed)}:\n${res.stderr.slice(-2000)}`);
  }
  const target = join(HTML_DIR, htmlName);
  writeFileAtomic(target, readFileSync(produced));
  return target;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("notebooks")
    .description("Execute notebooks/NN-*.ipynb headlessly with nbconvert and fail on any error text.")
    .argument("<mode>", "test (execute and check) or html (also write executed HTML to results/notebooks/)")
    .argument("[filters...]", "run only notebooks whose file name contains one of these")
    .option("--profile <name>", "quick or full (default: LOWRANK_PROFILE, else quick)")
    .option("--timeout <seconds>", "per-cell time limit; 0 = none (default: 900 quick, none full)")
    .option("--keep <dir>", "also keep each executed notebook (.ipynb with outputs) in this folder")
    .option("--verbose", "echo nbconvert's and the kernel's stderr")
    .exitOverride();
  program.parse(argv);
  const [mode, filters] = program.processedArgs as [string, string[]];
  if (mode !== "test" && mode !== "html") throw new Error(`Unknown mode '${mode}': use 'test' or 'html'.`);
  const o = program.opts<{ profile?: string; timeout?: string; verbose?: boolean; keep?: string }>();
  const profile = profileName(o.profile);
  const timeoutS = o.timeout !== undefined ? Number(o.timeout) : profile === "quick" ? 900 : 0;
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw new Error(`--timeout must be a number of seconds ≥ 0, got '${o.timeout}'.`);

  const paths = listNotebooks(filters);
  console.log(`notebooks: ${paths.length} to run (profile ${profile}, per-cell limit ${timeoutS || "none"}${timeoutS ? " s" : ""})`);
  const results: NotebookResult[] = [];
  for (const path of paths) {
    const name = basename(path);
    const dirty = cellsWithOutputs(JSON.parse(readFileSync(path, "utf8")) as NotebookJson);
    const r = await executeNotebook(path, { profile, timeoutS, html: mode === "html", verbose: !!o.verbose, keepExecuted: o.keep && resolve(o.keep) });
    if (dirty.length && mode === "test") {
      r.failures.push(`committed with outputs in cell(s) ${dirty.join(", ")}: clear them (Jupyter: Cell ▸ All Output ▸ Clear, then save)`);
    }
    results.push(r);
    const status = r.failures.length ? "FAIL" : "ok  ";
    console.log(`${status} ${name}  ${r.seconds.toFixed(1)} s${r.htmlPath ? `  → ${r.htmlPath}` : ""}`);
    for (const f of r.failures) console.log(`     ${name}: ${f}`);
  }
  const failed = results.filter((r) => r.failures.length).length;
  console.log(`notebooks: ${results.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err as { code?: string; message?: string };
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") process.exit(0);
      console.error(`notebooks: ${e.message ?? String(err)}`);
      process.exit(2);
    },
  );
}
