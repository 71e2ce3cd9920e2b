/**
 * The notebooks as committed (clean, numbered, on our kernel, importing files that exist) and the
 * kernel set-up they rely on (kernelspec, launcher, a real headless run through scripts/notebooks.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as ts from "typescript";
import { REPO_ROOT, cellsWithOutputs, executeNotebook, listNotebooks, type NotebookJson } from "../../scripts/notebooks";

const KERNEL_DIR = join(REPO_ROOT, "jupyter", "kernels", "tslab");
const text = (s: string | string[]) => (Array.isArray(s) ? s.join("") : s);
const notebooks = listNotebooks();

/** Local modules a code cell imports ("./src/…"), as written. */
function localImports(source: string): string[] {
  return [...source.matchAll(/\bfrom\s+"(\.\/[^"]+)"/g)].map((m) => m[1]);
}

/** Whether a relative import resolves the way TypeScript would: file.ts, or folder/index.ts. */
function resolves(spec: string): boolean {
  const base = resolve(REPO_ROOT, spec);
  if (existsSync(`${base}.ts`)) return true;
  return existsSync(base) && statSync(base).isDirectory() && existsSync(join(base, "index.ts"));
}

/** Names a cell declares at its top level (const/let/var/function/class/import, destructuring included). */
function topLevelNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const addBinding = (b: ts.BindingName): void => {
    if (ts.isIdentifier(b)) names.add(b.text);
    else for (const e of b.elements) if (!ts.isOmittedExpression(e)) addBinding(e.name);
  };
  for (const st of file.statements) {
    if (ts.isVariableStatement(st)) st.declarationList.declarations.forEach((d) => addBinding(d.name));
    else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) names.add(st.name.text);
    else if (ts.isImportDeclaration(st) && st.importClause) {
      const { name, namedBindings } = st.importClause;
      if (name) names.add(name.text);
      if (namedBindings && ts.isNamespaceImport(namedBindings)) names.add(namedBindings.name.text);
      if (namedBindings && ts.isNamedImports(namedBindings)) namedBindings.elements.forEach((e) => names.add(e.name.text));
    }
  }
  return names;
}

/**
 * `{ x }` where x comes from an earlier cell: tslab 1.0.22 does not rewrite shorthand properties, so it
 * fails at run time with "x is not defined". Returns "cell N: x" for each such use.
 */
function crossCellShorthands(codeCells: string[]): string[] {
  const earlier = new Set<string>();
  const found: string[] = [];
  codeCells.forEach((source, i) => {
    const file = ts.createSourceFile(`cell${i + 1}.ts`, source, ts.ScriptTarget.ES2022, true);
    const own = topLevelNames(file);
    const visit = (node: ts.Node): void => {
      if (ts.isShorthandPropertyAssignment(node) && earlier.has(node.name.text) && !own.has(node.name.text)) {
        found.push(`code cell ${i + 1}: { ${node.name.text} }`);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    own.forEach((n) => earlier.add(n));
  });
  return found;
}

test("crossCellShorthands finds { x } for x from an earlier cell only", () => {
  const cells = ["const a = 1; const { b } = { b: 2 };", "const c = 3; f({ a, c, d: a }); g({ b });", "const a = 4; h({ a });"];
  assert.deepEqual(crossCellShorthands(cells), ["code cell 2: { a }", "code cell 2: { b }"]);
});

test("there are eight numbered notebooks", () => {
  assert.deepEqual(
    notebooks.map((p) => p.slice(dirname(p).length + 1).slice(0, 3)),
    ["01-", "02-", "03-", "04-", "05-", "06-", "07-", "08-"],
  );
});

for (const path of notebooks) {
  const name = path.slice(dirname(path).length + 1);
  test(`${name}: committed clean, on the tslab kernel, with a run-time note and working imports`, () => {
    const nb = JSON.parse(readFileSync(path, "utf8")) as NotebookJson & { nbformat_minor?: number };
    assert.equal(nb.nbformat, 4, "nbformat 4 expected");
    assert.equal(nb.metadata?.kernelspec?.name, "tslab", "the notebook must name the repository's tslab kernelspec");
    assert.deepEqual(cellsWithOutputs(nb), [], "cells with outputs: clear all outputs before committing");

    const [first] = nb.cells;
    assert.equal(first.cell_type, "markdown", "the first cell introduces the notebook");
    const intro = text(first.source);
    assert.match(intro, new RegExp(`^# ${name.slice(0, 2)} `), "the title starts with the notebook's number");
    assert.match(intro, /`quick`/, "the intro says how long the quick profile takes");
    assert.match(intro, /`full`/, "the intro says how long the full profile takes");
    assert.match(intro, /minute|hour/, "the intro gives run times");

    const codes = nb.cells.filter((c) => c.cell_type === "code").map((c) => text(c.source));
    assert.ok(codes.length > 0, "no code cells");
    assert.ok(codes.some((c) => /\bprofileName\(/.test(c)), "the notebook reads the profile with profileName()");
    assert.ok(codes.some((c) => /await initBackend\(/.test(c)), "the notebook starts a backend with await initBackend()");
    const missing = codes.flatMap(localImports).filter((spec) => !resolves(spec));
    assert.deepEqual(missing, [], "imports of local modules that do not exist");
    assert.deepEqual(crossCellShorthands(codes), [], "tslab cannot resolve these shorthands: write { x: x }");
  });
}

test("kernelspec starts tslab through the repository's launcher", () => {
  const spec = JSON.parse(readFileSync(join(KERNEL_DIR, "kernel.json"), "utf8")) as { argv: string[]; language: string };
  assert.deepEqual(spec.argv, ["node", "{resource_dir}/launch.js", "{connection_file}"]);
  assert.equal(spec.language, "typescript");
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const launcher = require(join(KERNEL_DIR, "launch.js")) as { patchExecutorSource(s: string): string | undefined; ROOT: string };
  assert.equal(launcher.ROOT, REPO_ROOT);
  // The installed tslab still has the lookup we patch (a tslab upgrade that changes it fails here).
  const executor = readFileSync(join(REPO_ROOT, "node_modules", "tslab", "dist", "executor.js"), "utf8");
  const patched = launcher.patchExecutorSource(executor);
  assert.ok(patched && patched !== executor && patched.includes('"/index.js"'), "tslab's module lookup changed: update launch.js");
  assert.equal(launcher.patchExecutorSource("unrelated source"), undefined);
});

test("a notebook runs headlessly from the repository root, and a failing cell is reported", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "nb-kernel-"));
  const cell = (source: string) => ({ cell_type: "code", source, outputs: [], execution_count: null, metadata: {} });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab, lowrank)", language: "typescript" } },
    cells: [
      // A folder import (./src/data → index.ts) needs the launcher's patch; cwd and profile come from it too.
      cell('import { CIFAR10_CLASSES } from "./src/data";\nimport { profileName } from "./src/profiles";\n' +
        'console.log(JSON.stringify({ cwd: process.cwd(), profile: profileName(), classes: CIFAR10_CLASSES.length }));'),
      cell('const wrong: number = "text";'),
    ],
  };
  const path = join(dir, "99-probe.ipynb");
  writeFileSync(path, JSON.stringify(nb));
  try {
    const result = await executeNotebook(path, { profile: "full", timeoutS: 60, html: false, verbose: false, keepExecuted: join(dir, "executed") });
    assert.equal(result.failures.length, 1, `expected exactly the type error, got:\n${result.failures.join("\n")}`);
    assert.match(result.failures[0], /^cell 2 \(code cell 2: "const wrong: number = \\"text\\";"\): 1:7 - Type 'string' is not assignable/);
    const executed = JSON.parse(readFileSync(join(dir, "executed", "99-probe.ipynb"), "utf8")) as NotebookJson;
    const printed = text(executed.cells[0].outputs?.[0]?.text ?? "");
    assert.deepEqual(JSON.parse(printed.trim().split("\n").pop()!), { cwd: REPO_ROOT, profile: "full", classes: 10 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
