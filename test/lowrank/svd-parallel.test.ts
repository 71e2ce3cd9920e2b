import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { svd, svdFactorize } from "../../src/lowrank/svd";
import { gemm } from "../../src/lowrank/svd-gemm";
import { parallelAvailable, parallelGemm, parallelScope, setSvdThreads, sharedFloat64 } from "../../src/lowrank/svd-parallel";
import { randomMatrix } from "./fixtures";

after(() => setSvdThreads(undefined));

const shared = (data: Float64Array): Float64Array => {
  const s = sharedFloat64(data.length);
  s.set(data);
  return s;
};

test("parallelGemm over 2 and 3 threads equals the one-thread product bit for bit (strides, transposes, offsets)", () => {
  for (const threads of [2, 3]) {
    setSvdThreads(threads);
    assert.ok(parallelAvailable(), "worker threads start");
    for (const [m, n, k] of [[97, 65, 40], [300, 6, 200], [64, 64, 33]]) {
      const a = shared(randomMatrix(k, m, m + k).data); // stored transposed: A(i, p) = a[p·m + i]
      const b = shared(randomMatrix(k, n, n + k).data);
      const ld = n + 3;
      const expected = new Float64Array((m + 2) * ld).fill(0.5);
      gemm(m, n, k, -1.5, a, 0, 1, m, b, 0, n, 1, expected, ld + 2, ld);
      const c = sharedFloat64((m + 2) * ld).fill(0.5);
      parallelScope(() => parallelGemm(m, n, k, -1.5, a, 0, 1, m, b, 0, n, 1, c, ld + 2, ld));
      assert.deepEqual(Array.from(c), Array.from(expected), `${threads} threads, ${m}×${n}×${k}`);
    }
  }
});

test("the SVD gives the same bits on one thread and on two, and hands back unshared arrays", () => {
  const a = randomMatrix(330, 300, 7); // large enough (m·n ≥ 2¹⁶) for the shared path
  setSvdThreads(1);
  const one = svd(a, 20);
  setSvdThreads(2);
  const two = svd(a, 20);
  assert.deepEqual(Array.from(two.singularValues), Array.from(one.singularValues));
  assert.deepEqual(Array.from(two.u.data), Array.from(one.u.data));
  assert.deepEqual(Array.from(two.v.data), Array.from(one.v.data));
  assert.ok(!(two.u.data.buffer instanceof SharedArrayBuffer) && !(two.v.data.buffer instanceof SharedArrayBuffer));
  // Vectors asked for later (outside the first scope) also agree.
  const later = svdFactorize(a).vectors(5);
  assert.deepEqual(Array.from(later.u.data), Array.from(one.u.data).filter((_, i) => i % 20 < 5));
});

test("setSvdThreads refuses a bad count", () => {
  assert.throws(() => setSvdThreads(0), /threads must be an integer ≥ 1, got 0/);
  assert.throws(() => setSvdThreads(1.5), /threads must be an integer ≥ 1, got 1\.5/);
});

test("a process that used the worker threads exits on its own", () => {
  const script = 'const { svd } = require("./src/lowrank/svd"); const n = 300; const r = svd({ data: Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)), rows: n, cols: n }, 2); console.log(r.singularValues.length);';
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: process.cwd(), env: { ...process.env, LOWRANK_SVD_THREADS: "2" }, timeout: 60_000, encoding: "utf8" });
  assert.equal(run.status, 0, `exit ${run.status} (signal ${run.signal}): ${run.stderr}`);
  assert.equal(run.stdout.trim(), "300");
});
