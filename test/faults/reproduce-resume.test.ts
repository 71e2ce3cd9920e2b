/**
 * A tiny reproduction end to end, killed part-way and run again: the rerun resumes (the trained baselines
 * are loaded, not trained again), writes the summary and RESULTS section, and a third run skips the part.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../train/fixtures";
import { runChildLines, type ChildExit } from "./child-process";
import { SCRATCH_ARMS } from "../../src/experiments/from-scratch-compared";

const CHILD = join(__dirname, "reproduce.child.ts");

async function run(args: string[], killAt?: RegExp): Promise<ChildExit & { lines: string[] }> {
  const lines: string[] = [];
  const exit = await runChildLines(CHILD, args, (line, kill) => {
    lines.push(line);
    if (killAt?.test(line)) kill();
  });
  return { ...exit, lines };
}

test("npm run reproduce, tiny: killed part-way, resumed (finished parts, finished rows and baselines kept), then skipped; RESULTS.md regenerated around the rest", async () => {
  const root = tempDir("reproduce");
  const out = join(root, "reproduction");
  const checkpoints = join(root, "checkpoints");
  const results = join(root, "RESULTS.md");
  writeFileSync(results, "# Measured results\n\nHand-written text stays.\n");
  try {
    // Killed inside from-scratch: the rows done so far are in its summary, marked partial, and survive the loss of every checkpoint.
    const midScratch = await run([out, checkpoints, results], /from-scratch 3\/\d+ /);
    assert.equal(midScratch.signal, "SIGKILL", midScratch.stderr);
    const partial = JSON.parse(readFileSync(join(out, "quick", "from-scratch.json"), "utf8")) as { partial?: boolean; rows: object[] };
    assert.equal(partial.partial, true);
    assert.equal(partial.rows.length, 3, "each finished run is recorded as it finishes");
    for (const dir of readdirSync(checkpoints)) for (const run of readdirSync(join(checkpoints, dir))) if (run.startsWith("scratch-compare-")) rmSync(join(checkpoints, dir, run), { recursive: true });

    const killed = await run([out, checkpoints, results], /architectures 2\/15/);
    assert.equal(killed.signal, "SIGKILL", killed.stderr);
    assert.ok(existsSync(join(out, "quick", "closed-form.json")) && existsSync(join(out, "quick", "from-scratch.json")), "the parts finished before the kill are kept");
    assert.ok(!existsSync(join(out, "quick", "architectures.json")), "no summary from the killed part");
    assert.ok(killed.lines.some((l) => /from-scratch: unfinished, 3 row\(s\) kept/.test(l)), killed.lines.join("\n"));
    assert.equal(killed.lines.filter((l) => /kept from the unfinished run/.test(l)).length, 3, "the recorded runs are not trained again, checkpoints or not");
    const vggLatest = join(checkpoints, "vgg-small-quick", "training", "latest.json");
    assert.ok(existsSync(vggLatest), "the first baseline was checkpointed before the kill");
    const trainedAt = statSync(vggLatest).mtimeMs;

    const resumed = await run([out, checkpoints, results]);
    assert.equal(resumed.code, 0, `${resumed.stderr}\n${resumed.lines.join("\n")}`);
    assert.ok(resumed.lines.some((l) => /closed-form: done on .*; skipped/.test(l)), resumed.lines.join("\n"));
    assert.equal(statSync(vggLatest).mtimeMs, trainedAt, "the finished baseline is loaded, not trained again");
    assert.ok(resumed.lines.some((l) => /architectures 15\/15 · inception 3× decomposed \+ fine-tuned/.test(l)), resumed.lines.join("\n"));
    assert.ok(resumed.lines.some((l) => /about [\d.]+ min left/.test(l)), "progress says the time left");
    const summary = JSON.parse(readFileSync(join(out, "quick", "architectures.json"), "utf8")) as { rows: { model: string }[]; verdict: string[]; command: string };
    assert.deepEqual([...new Set(summary.rows.map((r) => r.model))], ["vgg-small", "nin", "tai-cnn", "resnet", "inception"]);
    assert.equal(summary.rows.length, 15);
    assert.equal(summary.command, "tiny test run");
    const md = readFileSync(results, "utf8");
    assert.match(md, /Hand-written text stays\./);
    assert.match(md, /<!-- reproduction:quick:begin/);
    assert.match(md, /\| resnet \| 2× decomposed \+ fine-tuned \|/);
    assert.match(md, /In all: \d+ confirmed/);
    const scratch = JSON.parse(readFileSync(join(out, "quick", "from-scratch.json"), "utf8")) as { rows: { model: string; arm: string; convMacs: number; epochs: number }[]; verdict: string[]; partial?: boolean; sittings?: number; trainingSteps?: string };
    assert.equal(scratch.rows.length, 2 * SCRATCH_ARMS.length, "two models × every arm × one seed");
    assert.equal(scratch.partial, undefined);
    assert.equal(scratch.sittings, 2);
    assert.ok(scratch.trainingSteps === "graph" || scratch.trainingSteps === "op by op", `both sittings ran alike: ${scratch.trainingSteps}`);
    assert.match(md, /### Time, part by part\n\n\| part \| finished \| wall time \| sittings \|[^\n]*\n[^\n]*\n\| closed-form \|/);
    assert.match(md, /\| from-scratch \| [\d-]+ \| [\d.]+ (min|h) \| 2 \| [\d.]+ (min|h) \| (graph|op by op) \|/);
    assert.match(md, /\| all parts \|  \| \*\*[\d.]+ (min|h)\*\* \|/);
    assert.deepEqual(scratch.rows.slice(0, 3), partial.rows, "the kept rows are the recorded ones");
    for (const model of ["vgg-small", "tai-cnn"]) {
      const low = scratch.rows.filter((r) => r.model === model && r.arm !== "dense");
      assert.equal(new Set(low.map((r) => r.convMacs)).size, 1, `${model}: every low-rank arm ends at the same multiply-adds (${low.map((r) => `${r.arm} ${r.convMacs}`).join(", ")})`);
      assert.ok(low[0].convMacs < scratch.rows.find((r) => r.model === model && r.arm === "dense")!.convMacs);
    }
    assert.equal(scratch.rows.find((r) => r.arm === "hybrid")!.epochs, 2, "a hybrid's epochs count both phases");
    assert.ok(scratch.verdict.some((l) => /vgg-small, TRP: .* the dense net/.test(l)), scratch.verdict.join("\n"));
    const budget = JSON.parse(readFileSync(join(out, "quick", "fine-tune.json"), "utf8")) as { rows: { target: number; control?: boolean; convSpeedup: number }[]; verdict: string[] };
    assert.deepEqual(budget.rows.map((r) => r.target), [2, 1, 2, 3], "every budget at 2× (per layer, then joint: one control for both), then 3× with the chosen one");
    assert.equal(budget.rows[1].control, true);
    assert.equal(budget.rows[1].convSpeedup, 1);
    assert.ok(budget.verdict.some((l) => /^The dense controls show how much/.test(l)), budget.verdict.join("\n"));
    assert.match(md, /\| 3 · to the paper's standard \(drop < 0\.5 point at 2×\) \| .* against the dense baseline trained on alike/);
    assert.match(md, /\| dense baseline, trained on \(control\) \| — \| 1\.00× \| — \| 1 \| 0\.01 \| .* \| — \| \d+ \|/);
    assert.match(md, /\| 2× \| joint \| 2\.\d\d× \| \d+\.\d\d× \| 1 \| 0\.01 \|/, "the joint run, timed, and measured against the same control");
    // Claim 2's training curves, exported beside the summaries and shown in the results file.
    assert.ok(existsSync(join(out, "quick", "figures", "from-scratch-curves-vgg-small.png")), "the curves' PNG");
    assert.match(md, /!\[Trained from scratch: vgg-small\]\([^)]*figures\/from-scratch-curves-vgg-small\.png\)/);
    assert.match(md, /\| tai-cnn \| low-rank, BN between \| 0 \|/);
    assert.ok(scratch.verdict.some((l) => /vgg-small, low-rank, BN after: .* the dense net/.test(l)), scratch.verdict.join("\n"));

    const curves = join(out, "quick", "figures", "from-scratch-curves-vgg-small.png");
    rmSync(curves); // a figure lost (or never made, as for summaries from before figures existed)
    const again = await run([out, checkpoints, results]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(existsSync(curves) && again.lines.some((l) => /from-scratch: 1 figure\(s\) written/.test(l)), "a missing figure is made again from its summary alone");
    assert.ok(again.lines.some((l) => /architectures: done on .*; skipped/.test(l)), again.lines.join("\n"));
    assert.ok(again.lines.some((l) => /from-scratch: done on .*; skipped/.test(l)), again.lines.join("\n"));
    const final = readFileSync(results, "utf8");
    assert.match(final, /### Paper vs ours/);
    assert.match(final, /\| 1 · closed form vs iterative \| .* \| (confirmed|not confirmed) \|/);
    assert.doesNotMatch(final, /not run yet/, "all three claims have their part");
    assert.equal(readFileSync(results, "utf8").split("<!-- reproduction:quick:begin").length, 2, "one section, replaced in place");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
