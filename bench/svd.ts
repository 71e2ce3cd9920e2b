/**
 * Timing of the float64 SVD on random Gaussian n×n matrices, all singular vectors and values only: the
 * kernel the project uses on the tensorflow backend (TensorFlow's own Svd, src/backend/native-svd.ts),
 * the project's pure-TypeScript SVD (src/lowrank/svd.ts; every core and one thread), and
 * numpy.linalg.svd run as a peer process (OpenBLAS on every core). `npx tsx bench/svd.ts`
 * prints a table; `benchSvd` returns the rows (bench/bench.ts calls it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { singularValues, svd } from "../src/lowrank/svd";
import { setSvdThreads, svdThreads } from "../src/lowrank/svd-parallel";
import type { Matrix } from "../src/lowrank/matrix";
import { formatSvd } from "./report";
import { initBackend } from "../src/backend/init";
import { setSvdKernel, svdKernel, type SvdKernel } from "../src/util/svd-kernel";
import { median } from "../src/measure/time-it";

export interface SvdTimes {
  /** Median seconds of a full SVD (all min(m, n) singular vector pairs). */
  allVectorsS: number;
  /** Median seconds for the singular values alone. */
  valuesOnlyS: number;
}

export interface SvdBenchRow {
  n: number;
  /** The installed kernel (TensorFlow's Svd on the tensorflow backend): what decompositions use there. */
  kernel?: SvdTimes;
  kernelName?: string;
  /** Why no kernel was timed (the tensorflow backend did not start). */
  kernelSkipped?: string;
  /** The project's own SVD on every core (`threads`: svd-parallel.ts's matrix products). */
  ours: SvdTimes;
  threads: number;
  /** On one thread, for the gain of the worker threads (absent when `threads` is 1). */
  oursOneThread?: SvdTimes;
  numpy?: SvdTimes;
  /** Why numpy was not timed (not installed, failed, …). */
  numpySkipped?: string;
  /** Which numpy: interpreter and version. */
  numpyFrom?: string;
}

/** Timed runs per size: fewer for big matrices, whose single runs already take seconds. */
function runsFor(n: number): number {
  return n <= 512 ? 5 : n <= 1024 ? 3 : 2;
}

/** n×n standard normal matrix (Box–Muller on a seeded LCG, so every run times the same matrix). */
function gaussian(n: number, seed: number): Matrix {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const data = new Float64Array(n * n);
  for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { data, rows: n, cols: n };
}

function timeMedian(runs: number, fn: () => void): number {
  const seconds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    seconds.push((performance.now() - t0) / 1000);
  }
  return median(seconds);
}

function timeOurs(n: number, runs: number): SvdTimes {
  const a = gaussian(n, 12345 + n);
  svd(gaussian(64, 1)); // JIT warm-up on a small problem
  singularValues(gaussian(64, 2));
  const allVectorsS = timeMedian(runs, () => void svd(a));
  const valuesOnlyS = timeMedian(runs, () => void singularValues(a));
  return { allVectorsS, valuesOnlyS };
}

const NUMPY_SCRIPT = `
import sys, time, json
import numpy as np
n, runs = int(sys.argv[1]), int(sys.argv[2])
a = np.random.default_rng(n).standard_normal((n, n))
np.linalg.svd(a[:64, :64])
def med(f):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    t.sort(); k = len(t) // 2
    return t[k] if len(t) % 2 else (t[k - 1] + t[k]) / 2
print(json.dumps({"version": np.__version__, "allVectorsS": med(lambda: np.linalg.svd(a, full_matrices=False)),
                  "valuesOnlyS": med(lambda: np.linalg.svd(a, compute_uv=False))}))
`;

/**
 * numpy's SVD in a child process: the Keras peer's virtualenv first (a numpy wheel with its own
 * OpenBLAS), else Debian's python3 (numpy on the system BLAS, which may be the slow reference one).
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, set on some of our machines for old OpenBLAS builds, slow a
 * current one down: they are dropped for this command only.
 */
function timeNumpy(n: number, runs: number): { numpy?: SvdTimes; numpySkipped?: string; numpyFrom?: string } {
  const venv = join(__dirname, "..", ".cache", "keras-venv", "bin", "python");
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  let why = "no python3";
  for (const python of [venv, "/usr/bin/python3"].filter((p) => existsSync(p))) {
    const r = spawnSync(python, ["-c", NUMPY_SCRIPT, String(n), String(runs)], { encoding: "utf8", timeout: 600_000, env });
    if (r.error || r.status !== 0) {
      const last = r.error?.message ?? ((r.stderr || "").trim().split("\n").pop() || `exit status ${r.status}`);
      why = /No module named/.test(last) ? `numpy is not installed for ${python} (apt-get install python3-numpy)` : `numpy run failed with ${python}: ${last}`;
      continue;
    }
    try {
      const { version, ...times } = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as SvdTimes & { version: string };
      return { numpy: times, numpyFrom: `numpy ${version} (${python})` };
    } catch {
      why = `unexpected numpy output: ${r.stdout.slice(0, 200)}`;
    }
  }
  return { numpySkipped: why };
}

/** Median wall-clock seconds of the kernel, the project's own SVD and numpy's for each n (random Gaussian n×n). */
export async function benchSvd(sizes: number[] = [768, 1536]): Promise<SvdBenchRow[]> {
  let kernel: SvdKernel | undefined;
  let kernelSkipped: string | undefined;
  try {
    await initBackend("tensorflow", { quiet: true });
    kernel = svdKernel();
    if (!kernel) kernelSkipped = "no SVD kernel installed (LOWRANK_SVD=project?)";
  } catch (e) {
    kernelSkipped = e instanceof Error ? e.message : String(e);
  }
  const rows: SvdBenchRow[] = [];
  for (const n of sizes) {
    const runs = runsFor(n);
    const native = kernel ? timeOurs(n, runs) : undefined;
    // The project's own SVD: the kernel set aside.
    const installed = setSvdKernel(undefined);
    try {
      const threads = svdThreads();
      let oursOneThread: SvdTimes | undefined;
      if (threads > 1) {
        setSvdThreads(1);
        try {
          oursOneThread = timeOurs(n, runs);
        } finally {
          setSvdThreads(undefined);
        }
      }
      const kernelPart = native ? { kernel: native, kernelName: kernel!.name } : { kernelSkipped };
      rows.push({ n, ...kernelPart, ours: timeOurs(n, runs), threads, ...(oursOneThread ? { oursOneThread } : {}), ...timeNumpy(n, runs) });
    } finally {
      setSvdKernel(installed);
    }
  }
  return rows;
}

if (require.main === module) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => Number.isInteger(x) && x > 0);
  benchSvd(sizes.length ? sizes : undefined)
    .then((rows) => {
      console.log(formatSvd(rows));
      console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
