/** The error scan that `npm run notebooks:test` relies on (tslab prints failures as stream text). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cellsWithOutputs, findErrorLine, listNotebooks, scanNotebook, type NotebookJson } from "../../scripts/notebooks";

const stream = (text: string, name = "stdout") => ({ output_type: "stream", name, text });
const code = (source: string, outputs: object[] = []) => ({ cell_type: "code", source, outputs, execution_count: null, metadata: {} });
const md = (source: string) => ({ cell_type: "markdown", source, metadata: {} });

test("findErrorLine catches what tslab prints for failures", () => {
  // Captured from tslab 1.0.22 runs: a type error, a thrown error with its stack, a Node error with a code.
  assert.equal(findErrorLine("1:7 - Type 'string' is not assignable to type 'number'.\n"), "1:7 - Type 'string' is not assignable to type 'number'.");
  assert.equal(findErrorLine("RangeError: boom\n    at f (evalmachine.<anonymous>:3:71)\n"), "RangeError: boom");
  assert.equal(findErrorLine("Error [ERR_MODULE_NOT_FOUND]: Cannot find module 'x'"), "Error [ERR_MODULE_NOT_FOUND]: Cannot find module 'x'");
  assert.equal(findErrorLine("    at async Object.execute (/x/node_modules/tslab/dist/executor.js:171:17)"), "at async Object.execute (/x/node_modules/tslab/dist/executor.js:171:17)");
  assert.equal(findErrorLine("src/a.ts(3,1): error TS2304: Cannot find name 'q'."), "src/a.ts(3,1): error TS2304: Cannot find name 'q'.");
  assert.equal(findErrorLine("UnhandledPromiseRejection: nope"), "UnhandledPromiseRejection: nope");
});

test("findErrorLine leaves ordinary results alone", () => {
  for (const text of [
    "relative reconstruction error: 0.125 at K = 8",
    "Error bars show one standard deviation.",
    "epoch 3/10  loss 1.23  acc 54.1%  12:03 elapsed",
    "test error 21.4 % (paper: 8.0 %)",
    "[lowrank] backend: tensorflow (tfjs 4.22.0; 2 thread(s))",
  ]) {
    assert.equal(findErrorLine(text), undefined, text);
  }
});

test("scanNotebook names the failing cell by position and source", () => {
  const nb: NotebookJson = {
    nbformat: 4,
    cells: [
      md("# title"),
      code("const ok = 1;", [stream("1\n")]),
      md("text"),
      code("const bad: number = 'a';\nmore", [stream("1:7 - Type 'string' is not assignable to type 'number'.\n", "stderr")]),
      code("later()", [{ output_type: "error", ename: "TypeError", evalue: "x is not a function", traceback: [] }]),
    ] as NotebookJson["cells"],
  };
  const failures = scanNotebook(nb);
  assert.equal(failures.length, 2);
  assert.deepEqual(
    { cell: failures[0].cell, codeCell: failures[0].codeCell, source: failures[0].source },
    { cell: 4, codeCell: 2, source: "const bad: number = 'a';" },
  );
  assert.match(failures[0].message, /^1:7 - Type 'string'/);
  assert.deepEqual([failures[1].cell, failures[1].message], [5, "TypeError: x is not a function"]);
  assert.deepEqual(scanNotebook({ cells: [code("x", [stream("fine\n")])] } as NotebookJson), []);
});

test("cellsWithOutputs finds cells committed with outputs or counts", () => {
  const nb = {
    cells: [code("a"), md("m"), code("b", [stream("x")]), { ...code("c"), execution_count: 3 }],
  } as unknown as NotebookJson;
  assert.deepEqual(cellsWithOutputs(nb), [3, 4]);
});

test("listNotebooks keeps numbered notebooks in order and filters by name", () => {
  const dir = mkdtempSync(join(tmpdir(), "nb-list-"));
  try {
    for (const f of ["02-b.ipynb", "01-a.ipynb", "scratch.ipynb", "10-c.ipynb", "03-d.txt"]) writeFileSync(join(dir, f), "{}");
    assert.deepEqual(listNotebooks([], dir).map((p) => p.slice(dir.length + 1)), ["01-a.ipynb", "02-b.ipynb", "10-c.ipynb"]);
    assert.deepEqual(listNotebooks(["b", "10"], dir).map((p) => p.slice(dir.length + 1)), ["02-b.ipynb", "10-c.ipynb"]);
    assert.throws(() => listNotebooks(["zzz"], dir), /No notebook matches 'zzz'; available: 01-a\.ipynb, 02-b\.ipynb, 10-c\.ipynb/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
