/**
 * The SVD's matrix products on every core: worker threads run slices of the same kernel (svd-gemm.ts)
 * on float64 arrays in shared memory.
 * Each output entry is computed by exactly one thread with the serial code's arithmetic, so the results
 * are bit-for-bit those of one thread. Without shared memory or worker threads (e.g. a browser), with
 * LOWRANK_SVD_THREADS=1, or for small problems, the kernels run serially.
 *
 * Protocol: per worker an Int32Array control block [task seq, done seq, failed] and a Float64Array of arguments
 * in shared memory. The main thread writes a task, bumps the task seq and wakes the worker (Atomics),
 * runs its own slice, then waits for the done seq. Arrays travel once per scope, as SharedArrayBuffers
 * over a MessagePort the worker drains synchronously (receiveMessageOnPort); `parallelScope` ends a
 * scope and lets both sides drop them.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { gemm, GEMM_WORKER_GLOBALS } from "./svd-gemm";

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  ctrl: Int32Array;
  args: Float64Array;
  /** Buffers this worker holds in the current scope, by id. */
  known: Map<SharedArrayBuffer, number>;
}

/** Multiply-adds below which a kernel runs on one thread (a wake-up costs about as much as 10⁵ of them). */
const MIN_PARALLEL_WORK = 1 << 17;
const MAX_ARGS = 24;
const OPS = ["gemm", "forget"] as const;
type Op = (typeof OPS)[number];

let threadsOverride: number | undefined;
let pool: WorkerHandle[] | null | undefined; // undefined: not started; null: serial only
let nextId = 1;
let scopeDepth = 0;

/** Threads the SVD uses: setSvdThreads's, else LOWRANK_SVD_THREADS if set (≥ 1), else the machine's cores, at most 8. */
export function svdThreads(): number {
  if (threadsOverride !== undefined) return threadsOverride;
  const env = Number(process.env.LOWRANK_SVD_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * Use `threads` threads from the next SVD on (1: serial; undefined: back to the default). Results do
 * not depend on it, only the time (the bench compares both).
 */
export function setSvdThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`setSvdThreads: threads must be an integer ≥ 1, got ${threads}.`);
  if (scopeDepth > 0) throw new Error("setSvdThreads: cannot change threads while an SVD runs.");
  threadsOverride = threads;
  for (const w of pool ?? []) void w.worker.terminate();
  pool = undefined;
}

/** The worker: the kernel's own source (compiled JS: `gemm` reads no module state but its packing buffers), then a loop that runs tasks until the process ends. */
function workerSource(): string {
  return `
"use strict";
const { parentPort, receiveMessageOnPort } = require("node:worker_threads");
${GEMM_WORKER_GLOBALS}
${gemm.toString()}
const OPS = ${JSON.stringify(OPS)};
// Warm-up: the first real tasks are large, and the main thread waits for them; run them compiled.
{
  const n = 96, w = new Float64Array(new SharedArrayBuffer(8 * n * n));
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i);
  for (let i = 0; i < 40; i++) gemm(n, n, n, 1, w, 0, n, 1, w, 0, n, 1, new Float64Array(new SharedArrayBuffer(8 * n * n)), 0, n);
}
parentPort.once("message", ({ port, ctrl, args }) => {
  const buffers = new Map();
  let seen = 0;
  const array = (i) => {
    const id = args[i];
    while (!buffers.has(id)) {
      const m = receiveMessageOnPort(port);
      if (m) buffers.set(m.message.id, m.message.buffer);
    }
    return new Float64Array(buffers.get(id), args[i + 1] * 8, args[i + 2]);
  };
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctrl, 0) === seen) {
      if (++spins > 2000) Atomics.wait(ctrl, 0, seen, 50);
    }
    seen = Atomics.load(ctrl, 0);
    const op = OPS[args[0]];
    const a = (i) => args[i];
    try {
      if (op === "gemm") {
        gemm(a(1), a(2), a(3), a(4), array(5), a(8), a(9), a(10), array(11), a(14), a(15), a(16), array(17), a(20), a(21));
      } else if (op === "forget") {
        buffers.clear();
        for (let m; (m = receiveMessageOnPort(port)); );
      }
    } catch (err) {
      Atomics.store(ctrl, 2, 1);
    }
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  }
});
`;
}

function workers(): WorkerHandle[] | null {
  if (pool !== undefined) return pool;
  const threads = svdThreads();
  if (threads < 2 || typeof SharedArrayBuffer !== "function") return (pool = null);
  try {
    pool = Array.from({ length: threads - 1 }, () => {
      const worker = new Worker(workerSource(), { eval: true });
      worker.unref();
      const { port1, port2 } = new MessageChannel();
      port1.unref();
      const ctrl = new Int32Array(new SharedArrayBuffer(12));
      const args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
      worker.postMessage({ port: port2, ctrl, args }, [port2]);
      return { worker, port: port1, ctrl, args, known: new Map() };
    });
  } catch {
    pool = null;
  }
  return pool;
}

/** Worker threads are on (more than one thread, and the platform has them). */
export function parallelAvailable(): boolean {
  return workers() !== null;
}

/** A zeroed float64 array, in shared memory when worker threads are on (so the kernels can split it). */
export function sharedFloat64(length: number): Float64Array {
  return parallelAvailable() ? new Float64Array(new SharedArrayBuffer(8 * length)) : new Float64Array(length);
}

/** Work arrays at least this long go to shared memory (`workArray`); smaller ones are not worth splitting. */
const SHARED_FROM = 1 << 14;

/** A zeroed float64 work array: in shared memory when it is large and worker threads are on. */
export function workArray(length: number): Float64Array {
  return length >= SHARED_FROM ? sharedFloat64(length) : new Float64Array(length);
}

/** Run `fn`; arrays handed to workers inside it are released when the outermost scope ends. */
export function parallelScope<T>(fn: () => T): T {
  scopeDepth++;
  try {
    return fn();
  } finally {
    if (--scopeDepth === 0 && pool) {
      const holding = pool.filter((w) => w.known.size > 0);
      for (const w of holding) {
        w.known.clear();
        runOn(w, "forget", []);
      }
      for (const w of holding) wait(w);
    }
  }
}

type Arg = number | Float64Array;

function isShared(a: Float64Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** Write the task into the worker's argument block (an array as [id, offset, length]) and wake it. */
function runOn(w: WorkerHandle, op: Op, args: Arg[]): void {
  let i = 0;
  w.args[i++] = OPS.indexOf(op);
  for (const a of args) {
    if (typeof a === "number") {
      w.args[i++] = a;
      continue;
    }
    const buffer = a.buffer as SharedArrayBuffer;
    let id = w.known.get(buffer);
    if (id === undefined) {
      id = nextId++;
      w.known.set(buffer, id);
      w.port.postMessage({ id, buffer });
    }
    w.args[i++] = id;
    w.args[i++] = a.byteOffset / 8;
    w.args[i++] = a.length;
  }
  const seq = Atomics.load(w.ctrl, 0) + 1;
  Atomics.store(w.ctrl, 0, seq);
  Atomics.notify(w.ctrl, 0);
}

/** Wait for the worker's current task; a task that threw there (it should not) is an error here. */
function wait(w: WorkerHandle): void {
  const seq = Atomics.load(w.ctrl, 0);
  let spins = 0;
  for (let done = Atomics.load(w.ctrl, 1); done !== seq; done = Atomics.load(w.ctrl, 1)) {
    if (++spins > 2000) Atomics.wait(w.ctrl, 1, done, 50);
  }
  if (Atomics.exchange(w.ctrl, 2, 0) !== 0) {
    throw new Error("svd: a worker thread failed in a matrix product. Run with LOWRANK_SVD_THREADS=1 (one thread) and report it.");
  }
}

/**
 * `gemm` with C's rows split into one slice per thread: the main thread takes the first, each worker
 * one of the rest. Serial when the product is small, outside a scope, or when an array is not shared.
 */
export function parallelGemm(
  m: number, n: number, k: number, alpha: number,
  a: Float64Array, aOff: number, aRs: number, aCs: number,
  b: Float64Array, bOff: number, bRs: number, bCs: number,
  c: Float64Array, cOff: number, ldc: number,
): void {
  const ws = scopeDepth > 0 && m * n * k >= MIN_PARALLEL_WORK ? workers() : null;
  if (!ws || m < 2 || ![a, b, c].every(isShared)) return gemm(m, n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
  const parts = Math.min(ws.length + 1, m);
  const bound = (p: number) => Math.round((m * p) / parts);
  const used = ws.slice(0, parts - 1);
  used.forEach((w, i) => {
    const [from, to] = [bound(i + 1), bound(i + 2)];
    runOn(w, "gemm", [to - from, n, k, alpha, a, aOff + from * aRs, aRs, aCs, b, bOff, bRs, bCs, c, cOff + from * ldc, ldc]);
  });
  try {
    gemm(bound(1), n, k, alpha, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
  } finally {
    for (const w of used) wait(w);
  }
}
