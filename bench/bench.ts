/**
 * `npm run bench`: training throughput of the reference CNN (batch 64, Adam) and the forward time of one
 * 3×3 conv (32×32×64→64) on every backend that starts, each in its own child process, then a table and
 * ratios. cpu (pure JS) only runs the conv, at a small batch: it is far too slow for more.
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { RESULT_MARKER, type BackendBenchResult } from "./backend-bench";
import { formatReport, type BenchFailure } from "./report";

interface Plan {
  backend: "tensorflow" | "wasm" | "cpu";
  args: string[];
}

const PLANS: Plan[] = [
  { backend: "tensorflow", args: [] },
  { backend: "wasm", args: [] },
  // ≈0.2 GFLOP/s: batch 128 would take close to a minute per run.
  { backend: "cpu", args: ["--no-train", "--conv-batch", "8", "--conv-runs", "3"] },
];

const CHILD_TIMEOUT_MS = 120_000;

function runChild(plan: Plan): Promise<BackendBenchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "backend-bench.ts"), "--backend", plan.backend, ...plan.args], {
      env: { ...process.env, LOWRANK_QUIET: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as BackendBenchResult);
      const why = signal ? `killed after ${CHILD_TIMEOUT_MS / 1000} s` : err.trim().split("\n").filter(Boolean).pop() ?? `exit code ${code}`;
      reject(new Error(why));
    });
  });
}

async function main(): Promise<void> {
  const load = () => loadavg().map((v) => v.toFixed(2)).join(", ");
  console.log(`Benchmark: reference CNN training (batch 64, Adam, random data; median of 6 steps after 2 warm-up)`);
  console.log(`and one 3×3 conv forward (32×32×64→64; median of 5 runs after 1 warm-up). Load average before: ${load()}`);
  const results: BackendBenchResult[] = [];
  const failures: BenchFailure[] = [];
  for (const plan of PLANS) {
    const t0 = Date.now();
    process.stdout.write(`- ${plan.backend} … `);
    try {
      const r = await runChild(plan);
      results.push(r);
      console.log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      failures.push({ backend: plan.backend, reason });
      console.log(`not available: ${reason}`);
    }
  }
  const machine = results[0]?.machine ?? "unknown machine";
  console.log(`\nMachine: ${machine}; load average after: ${load()} (other processes slow every figure down)\n`);
  console.log(formatReport(results, failures));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
