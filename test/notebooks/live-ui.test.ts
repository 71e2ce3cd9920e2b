/**
 * Live UI: the classic Notebook app, driven by headless chromium like a user would: open a notebook,
 * Cell ▸ Run All, wait, and check that the interactive plotly charts really render (SVG inside
 * `.js-plotly-plot`) and that no cell printed an error. The screenshot lands in results/notebooks/.
 *
 * The notebook is a temporary copy (autosave would otherwise write outputs into the committed file);
 * the kernel still runs from the repository root (see jupyter/kernels/tslab/launch.js).
 * LOWRANK_UI_NOTEBOOK picks another notebook (a name fragment, e.g. "05").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { HTML_DIR, JUPYTER_PYTHON, REPO_ROOT, findErrorLine, jupyterEnv, listNotebooks } from "../../scripts/notebooks";
import { writeFileAtomic } from "../../src/util/atomic-write";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];
// 01 is the lightest notebook that draws plots (data + charts, no training): a UI test, not a benchmark.
const NOTEBOOK = process.env.LOWRANK_UI_NOTEBOOK ?? "01-cifar10";
/** The bits of the browser DOM used below (the project compiles without the DOM lib). */
interface El {
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): ArrayLike<El> & Iterable<El>;
  closest(selector: string): El | null;
  scrollIntoView(): void;
  textContent: string | null;
}
type Page = { document: El; Jupyter: { notebook: { kernel: { name: string }; events: { on(e: string, f: () => void): void } } }; __lowrankExecuted: number };

// The tests' copy of CIFAR-10 (beside the repository here and in CI) unless CIFAR10_DIR says otherwise.
const SHARED_CIFAR = resolve(__dirname, "../../../shared/data/cifar-10-batches-bin");
const CIFAR10_DIR = process.env.CIFAR10_DIR ?? (existsSync(SHARED_CIFAR) ? SHARED_CIFAR : undefined);

const RUN_LIMIT_MS = Number(process.env.LOWRANK_UI_TIMEOUT_S ?? 300) * 1000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, server: ChildProcess, log: () => string, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`Jupyter exited (${server.exitCode}) before it served:\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Jupyter did not answer ${url} within ${limitMs / 1000} s:\n${log()}`);
}

/** SIGTERM makes Notebook 6 shut its kernels down and exit; SIGKILL if it hangs. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((r) => server.once("exit", () => r()));
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

test(`live UI: Run All in ${NOTEBOOK} renders plotly charts in Jupyter Notebook`, { timeout: RUN_LIMIT_MS + 120_000 }, async () => {
  for (const [what, path] of [["Jupyter's Python", JUPYTER_PYTHON], ["chromium", CHROMIUM]]) {
    assert.ok(existsSync(path), `${what} not found at ${path}: run \`npm run setup\` (installs Debian's jupyter-notebook and chromium).`);
  }
  const [source] = listNotebooks([NOTEBOOK]);
  const name = basename(source);
  const work = mkdtempSync(join(tmpdir(), "lowrank-ui-"));
  const nbDir = join(work, "nb");
  mkdirSync(nbDir);
  copyFileSync(source, join(nbDir, name));

  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const env = {
    ...jupyterEnv(process.env.LOWRANK_PROFILE ?? "quick"),
    // Keep the user's Jupyter settings, trust database and runtime files out of it.
    JUPYTER_CONFIG_DIR: join(work, "config"),
    JUPYTER_DATA_DIR: join(work, "data"),
    JUPYTER_RUNTIME_DIR: join(work, "runtime"),
    IPYTHONDIR: join(work, "ipython"),
    ...(CIFAR10_DIR ? { CIFAR10_DIR } : {}),
  };
  let log = "";
  const server = spawn(
    JUPYTER_PYTHON,
    [
      "-m", "jupyter", "notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0",
      `--notebook-dir=${nbDir}`, `--NotebookApp.token=${token}`, "--NotebookApp.password=",
      "--MappingKernelManager.cull_idle_timeout=0",
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []), // CI machines run as root
    ],
    { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  server.stdout!.on("data", keep);
  server.stderr!.on("data", keep);
  const base = `http://127.0.0.1:${port}`;
  let browser: Browser | undefined;
  try {
    await waitForServer(`${base}/api/status?token=${token}`, server, () => log, 60_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await page.goto(`${base}/notebooks/${encodeURIComponent(name)}?token=${token}`);
    // The kernel (tslab via our kernelspec) is up when the indicator turns idle.
    await page.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { timeout: 60_000 });
    const kernelName = await page.evaluate(() => (globalThis as unknown as Page).Jupyter.notebook.kernel.name);
    assert.equal(kernelName, "tslab", "the notebook should start the repository's tslab kernelspec");

    // Cell ▸ Run All, through the menu as a user would.
    await page.evaluate(() => {
      const g = globalThis as unknown as Page;
      g.__lowrankExecuted = 0;
      g.Jupyter.notebook.events.on("execute.CodeCell", () => g.__lowrankExecuted++);
    });
    await page.click("#celllink");
    await page.click("#run_all_cells");
    await page.waitForFunction(() => (globalThis as unknown as Page).__lowrankExecuted > 0, undefined, { timeout: 10_000 });
    const started = Date.now();
    await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelectorAll(".code_cell.running").length === 0, undefined, {
      timeout: RUN_LIMIT_MS,
      polling: 500,
    });
    const runSeconds = (Date.now() - started) / 1000;

    // Plotly draws asynchronously after its output lands: wait for at least one SVG chart.
    await page.waitForSelector(".js-plotly-plot svg.main-svg", { timeout: 30_000 });
    // Notebook 6 scrolls inside #site, so a full-page shot shows one screen: bring the first chart into it.
    await page.evaluate(() => (globalThis as unknown as Page).document.querySelector(".js-plotly-plot")?.closest(".cell")?.scrollIntoView());
    await page.waitForTimeout(500); // let transitions settle before the picture
    const shot = await page.screenshot();
    const shotPath = join(HTML_DIR, `live-ui-${name.replace(/\.ipynb$/, "")}.png`);
    writeFileAtomic(shotPath, shot);

    const report = await page.evaluate(() => {
      const document = (globalThis as unknown as Page).document;
      const cells = Array.from(document.querySelectorAll(".code_cell"));
      return {
        codeCells: cells.length,
        withOutput: cells.filter((c) => c.querySelector(".output_area")).length,
        plots: Array.from(document.querySelectorAll(".js-plotly-plot")).map((p) => ({
          svgs: p.querySelectorAll("svg.main-svg").length,
          // Each drawn trace is a group inside one of plotly's "<type>layer mlayer" groups.
          marks: p.querySelectorAll(".mlayer > g").length,
        })),
        outputs: cells.map((c) => Array.from(c.querySelectorAll(".output_text")).map((o) => o.textContent ?? "").join("\n")),
      };
    });
    console.log(`live UI: ${name} ran in ${runSeconds.toFixed(1)} s; ${report.plots.length} plotly chart(s); screenshot ${shotPath}`);

    const errors = report.outputs
      .map((text, i) => ({ cell: i + 1, line: findErrorLine(text) }))
      .filter((e) => e.line !== undefined);
    assert.deepEqual(errors, [], `cells printed errors in the live notebook:\n${errors.map((e) => `code cell ${e.cell}: ${e.line}`).join("\n")}`);
    assert.ok(report.withOutput > 0, "no code cell produced output after Run All");
    assert.ok(report.plots.length > 0, "no .js-plotly-plot element rendered");
    for (const [i, p] of report.plots.entries()) {
      assert.ok(p.svgs > 0, `plotly chart ${i + 1} has no SVG`);
      assert.ok(p.marks > 0, `plotly chart ${i + 1} drew no traces`);
    }
  } catch (err) {
    (err as Error).message += `\n--- Jupyter log (tail) ---\n${log.slice(-3000)}`;
    throw err;
  } finally {
    await browser?.close();
    await stopServer(server);
    rmSync(work, { recursive: true, force: true });
  }
});
