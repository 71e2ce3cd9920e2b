/**
 * Peer benchmarks for `npm run bench`: the same models and cases in PyTorch and in TensorFlow Keras
 * (eager and tf.function graph mode), each run by a Python script in bench/peers/ in a child process.
 *
 * - pytorch: Debian's python3-torch, run with /usr/bin/python3 (PEER_TORCH_PYTHON overrides).
 * - keras-eager / keras-graph: a virtualenv under .cache/keras-venv with `tensorflow-cpu==<version>` of
 *   the wheel `npm run setup` uses (same search as scripts/setup.mjs findWheel); created once, on first use.
 *
 * Every function resolves, never rejects: a peer that cannot run comes back as { ok: false, reason }.
 * All peers run with 2 threads by default (torch.set_num_threads; TF intra-op 2, inter-op 1) and oneDNN on;
 * OMP_WAIT_POLICY defaults to PASSIVE (set it in the environment to override).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

export type PeerName = "pytorch" | "keras-eager" | "keras-graph";
export const PEERS: readonly PeerName[] = ["pytorch", "keras-eager", "keras-graph"];
export type PeerModel = "vgg_small" | "reference_cnn";

/** Median wall-clock and CPU (all threads of the peer process) milliseconds. */
export interface PeerTiming {
  ms: number;
  cpuMs: number;
}

export interface PeerResultBase {
  library: "torch" | "tensorflow-keras";
  /** e.g. "1.13.1" or "tensorflow 2.21.0, keras 3.x" */
  version: string;
  mode: "eager" | "graph";
  case: "train" | "conv" | "forward";
  batch: number;
  warmup: number;
  /** Timed steps/runs behind each median. */
  runs: number;
  threads: { intra: number; inter: number };
  /** torch: OMP_WAIT_POLICY it ran with ("default" when unset). */
  ompWaitPolicy?: string;
  /** keras: TF_ENABLE_ONEDNN_OPTS it ran with. */
  onednn?: string;
}

export interface PeerTrainResult extends PeerResultBase {
  case: "train";
  model: PeerModel;
  /** Median of forward + loss + backward + optimizer update + reading the loss back. */
  stepMs: number;
  stepCpuMs: number;
  imagesPerSecond: number;
  lossFirst: number;
  lossLast: number;
}

export interface PeerConvResult extends PeerResultBase {
  case: "conv";
  /** "32x32x64->64" */
  shape: string;
  /** One 3×3 'same' conv, no bias. */
  dense: PeerTiming;
  /** The 3×1 C→K then 1×3 K→N pair, per rank K, timed in turns with the dense conv. */
  pairs: (PeerTiming & { rank: number; /** Over the dense conv: median of the rounds' ratios. */ speedup: number })[];
}

export interface PeerForwardResult extends PeerResultBase {
  case: "forward";
  /** "dense" (the whole vggSmall) first, then one per entry of the model-ranks map, in its order; timed in turns. */
  models: (PeerTiming & { name: string; ranks: Record<string, number>; /** Over dense: median of the rounds' ratios. */ speedup: number })[];
}

export type PeerOutcome<R> = { peer: PeerName; ok: true; result: R } | { peer: PeerName; ok: false; reason: string };

export interface PeerRunOptions {
  /** Timed steps (train, default 12) or runs (conv/forward, default 10). */
  steps?: number;
  warmup?: number;
  /** Intra-op threads (default 2): torch.set_num_threads, TF intra-op pool (and OMP/MKL_NUM_THREADS). */
  threads?: number;
  /** Inter-op threads (default 1): torch.set_num_interop_threads, TF inter-op pool. */
  interThreads?: number;
  /** Kill the peer after this long (default 300 s; the Keras venv set-up has its own timeout). */
  timeoutMs?: number;
  /** Progress messages (default: to stderr with a "[peers]" prefix). */
  log?: (message: string) => void;
}

const root = resolve(__dirname, "..");
const SCRIPTS = join(__dirname, "peers");
const VENV = join(root, ".cache", "keras-venv");
const VENV_MARKER = join(VENV, ".lowrank-tensorflow");
const VENV_TIMEOUT_MS = 30 * 60_000;
const RUN_TIMEOUT_MS = 300_000;
export const PEER_RESULT_MARKER = "PEER_RESULT ";

// Same folders and order as scripts/setup.mjs findWheel (which cannot be imported: it runs on import).
const setupCacheDir = process.env.LOWRANK_CACHE_DIR ?? join(homedir(), ".cache", "lowrank-notebooks");
const WHEEL_DIRS = [setupCacheDir, join(homedir(), "Downloads"), "/opt/pypi/files", join(root, ".cache")];
const WHEEL_RE = /^tensorflow(_cpu)?-\d.*-manylinux.*x86_64\.whl$/;

const defaultLog = (message: string): void => void process.stderr.write(`[peers] ${message}\n`);

/** The tensorflow wheel `npm run setup` builds the native backend from, or a reason there is none. */
export function findTensorflowWheel(): { path: string; project: string; version: string } | { reason: string } {
  let path = process.env.TF_WHEEL;
  if (path && !existsSync(path)) return { reason: `TF_WHEEL=${path} does not exist` };
  if (!path) {
    const found: string[] = [];
    for (const dir of WHEEL_DIRS) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (WHEEL_RE.test(f)) found.push(join(dir, f));
    }
    found.sort((a, b) => basename(b).localeCompare(basename(a), undefined, { numeric: true }));
    path = found[0];
  }
  if (!path) return { reason: `no tensorflow-cpu wheel (TF_WHEEL unset; none in ${WHEEL_DIRS.join(", ")})` };
  const m = /^(tensorflow(?:_cpu)?)-([^-]+)-/.exec(basename(path));
  if (!m) return { reason: `cannot read a version from wheel name ${basename(path)}` };
  return { path, project: m[1].replace("_", "-"), version: m[2] };
}

interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  timedOut: boolean;
  spawnError?: string;
}

interface ProcOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  onOut?: (chunk: string) => void;
  onErr?: (chunk: string) => void;
}

function runProcess(cmd: string, args: string[], o: ProcOptions): Promise<Proc> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
    const p: Proc = { code: null, signal: null, out: "", err: "", timedOut: false };
    child.stdout.on("data", (d: Buffer) => {
      p.out += d.toString();
      o.onOut?.(d.toString());
    });
    child.stderr.on("data", (d: Buffer) => {
      p.err += d.toString();
      o.onErr?.(d.toString());
    });
    const timer = setTimeout(() => {
      p.timedOut = true;
      child.kill("SIGKILL");
    }, o.timeoutMs);
    child.on("error", (e) => (p.spawnError = e.message));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      Object.assign(p, { code, signal });
      done(p);
    });
  });
}

/** Last non-empty lines of a process's output, for a failure reason. */
function tail(p: Proc, lines = 3): string {
  const clean = (t: string) => t.split("\n").map((l) => l.trim()).filter((l) => l && !/Retrying \(Retry|is ignored: it is neither/.test(l));
  const err = clean(p.err);
  return (err.length ? err : clean(p.out)).slice(-lines).join(" | ").slice(0, 600);
}

function failure(what: string, p: Proc, timeoutMs: number): string {
  if (p.spawnError) return `${what}: ${p.spawnError}`;
  if (p.timedOut) return `${what}: timed out after ${Math.round(timeoutMs / 1000)} s`;
  return `${what} failed (${p.signal ?? `exit code ${p.code}`}): ${tail(p) || "no output"}`;
}

export type PeerLocation = { ok: true; python: string; version: string } | { ok: false; reason: string };

let torchPromise: Promise<PeerLocation> | undefined;
let kerasPromise: Promise<PeerLocation> | undefined;

const TORCH_PACKAGES = ["python3-torch", "python3-numpy"];

/**
 * Python with torch: /usr/bin/python3 (or PEER_TORCH_PYTHON). When Debian's python3-torch is missing and
 * apt-get can install it (root), it is installed once (minutes), as the Keras peer's virtualenv is.
 */
function locateTorch(log: (m: string) => void): Promise<PeerLocation> {
  torchPromise ??= (async (): Promise<PeerLocation> => {
    const python = process.env.PEER_TORCH_PYTHON ?? "/usr/bin/python3";
    if (!existsSync(python)) return { ok: false, reason: `${python} not found` };
    const probe = () => runProcess(python, ["-B", "-c", "import torch; print(torch.__version__)"], { timeoutMs: 120_000 });
    let p = await probe();
    const aptCan = process.env.PEER_TORCH_PYTHON === undefined && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
    if (p.code !== 0 && aptCan) {
      log(`installing Debian's ${TORCH_PACKAGES.join(" ")} for the PyTorch peer (once; takes minutes)…`);
      const env = { DEBIAN_FRONTEND: "noninteractive" };
      const update = await runProcess("apt-get", ["update", "-qq"], { timeoutMs: 600_000, env });
      const install = update.code === 0 ? await runProcess("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...TORCH_PACKAGES], { timeoutMs: 1_200_000, env }) : update;
      if (install.code !== 0) return { ok: false, reason: failure(`apt-get install ${TORCH_PACKAGES.join(" ")}`, install, 1_200_000) };
      p = await probe();
    }
    if (p.code !== 0) {
      return { ok: false, reason: `torch not importable with ${python} (apt-get install ${TORCH_PACKAGES.join(" ")}): ${tail(p, 1)}` };
    }
    return { ok: true, python, version: p.out.trim() };
  })();
  return torchPromise;
}

/**
 * Python of .cache/keras-venv with tensorflow-cpu of the set-up's wheel version; creates the venv and
 * pip-installs into it (minutes) when absent or at another version. pip uses its configured index, plus
 * the wheel's folder as --find-links so the very same wheel is picked.
 */
function locateKeras(log: (m: string) => void): Promise<PeerLocation> {
  kerasPromise ??= (async (): Promise<PeerLocation> => {
    const python = join(VENV, "bin", "python");
    const wheel = findTensorflowWheel();
    const installed = existsSync(python) && existsSync(VENV_MARKER) ? readFileSync(VENV_MARKER, "utf8").trim() : undefined;
    if (installed && ("reason" in wheel || installed === wheel.version)) return { ok: true, python, version: installed };
    if ("reason" in wheel) return { ok: false, reason: wheel.reason };
    const env = { PIP_DISABLE_PIP_VERSION_CHECK: "1", PYTHONDONTWRITEBYTECODE: "1" };
    // pip's own lines, less the retry/ignored-index warnings of an offline machine (kept for a failure reason).
    const progress = (chunk: string): void =>
      chunk
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !/Retrying \(Retry|is ignored: it is neither/.test(l))
        .forEach((l) => log(`  ${l.slice(0, 200)}`));
    if (!existsSync(python)) {
      const base = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
      log(`creating the Keras peer's virtualenv ${VENV} (once) with ${base} -m venv`);
      rmSync(VENV, { recursive: true, force: true });
      const p = await runProcess(base, ["-m", "venv", VENV], { timeoutMs: 300_000, env });
      if (p.code !== 0) {
        rmSync(VENV, { recursive: true, force: true });
        return { ok: false, reason: failure(`${base} -m venv (Debian: apt-get install python3-venv)`, p, 300_000) };
      }
    }
    const spec = `${wheel.project}==${wheel.version}`;
    log(`pip install ${spec} into ${VENV} (from ${basename(wheel.path)}; takes minutes)…`);
    const pip = await runProcess(
      python,
      // Few, short retries: offline, pip's default 5 retries with back-off per package cost minutes.
      ["-m", "pip", "install", "--progress-bar", "off", "--retries", "1", "--timeout", "15", "--find-links", dirname(wheel.path), spec],
      { timeoutMs: VENV_TIMEOUT_MS, env, onOut: progress, onErr: progress },
    );
    if (pip.code !== 0) return { ok: false, reason: failure(`pip install ${spec}`, pip, VENV_TIMEOUT_MS) };
    const check = await runProcess(python, ["-B", "-c", "import tensorflow as tf; print(tf.__version__)"], {
      timeoutMs: 300_000,
      env: { TF_CPP_MIN_LOG_LEVEL: "2" },
    });
    const version = check.out.trim().split("\n").pop() ?? "";
    if (check.code !== 0) return { ok: false, reason: failure("import tensorflow in the venv", check, 300_000) };
    writeFileSync(VENV_MARKER, `${wheel.version}\n`);
    log(`Keras peer ready: tensorflow ${version}`);
    return { ok: true, python, version };
  })();
  return kerasPromise;
}

/** Where a peer's Python is (creating the Keras venv if needed), or why it cannot run. */
export function locatePeer(peer: PeerName, log: (m: string) => void = defaultLog): Promise<PeerLocation> {
  return peer === "pytorch" ? locateTorch(log) : locateKeras(log);
}

async function runPeer<R extends PeerResultBase>(peer: PeerName, args: string[], o: PeerRunOptions): Promise<PeerOutcome<R>> {
  try {
    const located = await locatePeer(peer, o.log ?? defaultLog);
    if (!located.ok) return { peer, ok: false, reason: located.reason };
    const script = join(SCRIPTS, peer === "pytorch" ? "torch_peer.py" : "keras_peer.py");
    const threads = String(o.threads ?? 2);
    const full = ["-B", script, ...args, "--threads", threads, "--inter-threads", String(o.interThreads ?? 1)];
    if (o.steps !== undefined) full.push("--steps", String(o.steps));
    if (o.warmup !== undefined) full.push("--warmup", String(o.warmup));
    if (peer !== "pytorch") full.push("--mode", peer === "keras-graph" ? "graph" : "eager");
    const timeoutMs = o.timeoutMs ?? RUN_TIMEOUT_MS;
    const p = await runProcess(located.python, full, {
      timeoutMs,
      env: {
        TF_ENABLE_ONEDNN_OPTS: "1",
        TF_CPP_MIN_LOG_LEVEL: "2",
        OMP_NUM_THREADS: threads,
        MKL_NUM_THREADS: threads,
        // Idle OpenMP threads (torch) sleep instead of spinning: spinning threads slow every step down
        // whenever other work shares the machine.
        OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "PASSIVE",
        PYTHONDONTWRITEBYTECODE: "1",
      },
    });
    const line = p.out.split("\n").find((l) => l.startsWith(PEER_RESULT_MARKER));
    if (p.code !== 0 || !line) return { peer, ok: false, reason: failure(`${peer} ${args.join(" ")}`, p, timeoutMs) };
    return { peer, ok: true, result: JSON.parse(line.slice(PEER_RESULT_MARKER.length)) as R };
  } catch (e) {
    return { peer, ok: false, reason: `${peer}: ${(e as Error).message}` };
  }
}

/** Training step time of vggSmall (SGD Nesterov, wd 5e-4) or the reference CNN (Adam) at `batch`. */
export function peerTrain(peer: PeerName, model: PeerModel, batch = 64, o: PeerRunOptions = {}): Promise<PeerOutcome<PeerTrainResult>> {
  return runPeer(peer, ["--case", "train", "--model", model, "--batch", String(batch)], o);
}

/** Forward time at `batch` of one 3×3 conv 32×32×64→64 and of its 3×1/1×3 pair at each rank K. */
export function peerConv(peer: PeerName, ranks: readonly number[], o: PeerRunOptions & { batch?: number } = {}): Promise<PeerOutcome<PeerConvResult>> {
  return runPeer(peer, ["--case", "conv", "--ranks", ranks.join(","), "--batch", String(o.batch ?? 128)], o);
}

/**
 * Inference forward time at `batch` of the whole vggSmall, dense and once per entry of `modelRanks`
 * (name → { conv1_1: K, … }: those convs become V/H pairs, BN/ReLU kept after the pair). Keras peers
 * run the forward in their mode (keras-graph: tf.function; keras-eager: plain model calls).
 */
export function peerForward(
  peer: PeerName,
  modelRanks: Record<string, Record<string, number>>,
  o: PeerRunOptions & { batch?: number } = {},
): Promise<PeerOutcome<PeerForwardResult>> {
  return runPeer(peer, ["--case", "forward", "--model-ranks", JSON.stringify(modelRanks), "--batch", String(o.batch ?? 128)], o);
}
