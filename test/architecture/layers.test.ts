import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The folders of src/, lowest first (docs/architecture.md). A file may import from its own folder and
 * from folders listed before it, never after: nothing imports upward.
 */
const LAYERS = ["util", "backend", "data", "models", "lowrank", "train", "measure", "profiles", "experiments", "tables", "plot", "report", "pipeline", "cli"];

const SRC = resolve("src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports and re-exports of a file, resolved to files under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/g)].map((m) => m[1]);
  return specs.map((s) => {
    const base = resolve(dirname(file), s);
    for (const candidate of [`${base}.ts`, join(base, "index.ts"), base]) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // try the next form
      }
    }
    throw new Error(`${relative(SRC, file)} imports '${s}', which does not resolve to a file.`);
  });
}

const folderOf = (file: string): string => relative(SRC, file).split("/")[0];

const files = sourceFiles(SRC).filter((f) => dirname(f) !== SRC); // src/index.ts re-exports everything
const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => dirname(t) !== SRC)]));

test("every folder of src/ has a place in the layer order", () => {
  const folders = [...new Set(files.map(folderOf))];
  const unknown = folders.filter((f) => !LAYERS.includes(f));
  assert.deepEqual(unknown, [], `add these folders to LAYERS (and docs/architecture.md): ${unknown.join(", ")}`);
});

test("nothing imports upward", () => {
  const upward: string[] = [];
  for (const [file, targets] of graph) {
    const from = LAYERS.indexOf(folderOf(file));
    for (const t of targets) {
      if (LAYERS.indexOf(folderOf(t)) > from) upward.push(`${relative(SRC, file)} → ${relative(SRC, t)}`);
    }
  }
  assert.deepEqual(upward, []);
});

test("the import graph has no cycles", () => {
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(" → "));
      return;
    }
    state.set(file, "open");
    for (const t of graph.get(file) ?? []) visit(t, [...path, file]);
    state.set(file, "done");
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

/** The maths of src/lowrank: framework-free, so a second framework could reuse it (the AIMET split). */
const FRAMEWORK_FREE = [
  "lowrank/matrix.ts", "lowrank/host-kernel.ts", "lowrank/kernel-matrix.ts", "lowrank/svd.ts", "lowrank/decompose.ts",
  "lowrank/rank-bounds.ts", "lowrank/cost.ts", "lowrank/factorization.ts", "lowrank/methods/index.ts", "lowrank/rank-selection.ts", "lowrank/plan.ts",
  "lowrank/rank-allocation.ts", "lowrank/vbmf.ts", "lowrank/methods/jaderberg.ts",
];

test("the low-rank maths imports no TensorFlow.js, directly or through another file", () => {
  const offenders: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, via: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (/from\s+"@tensorflow\//.test(readFileSync(file, "utf8"))) offenders.push([...via, file].map((f) => relative(SRC, f)).join(" → "));
    for (const t of graph.get(file) ?? []) visit(t, [...via, file]);
  };
  for (const f of FRAMEWORK_FREE) visit(join(SRC, f), []);
  assert.deepEqual(offenders, []);
});
