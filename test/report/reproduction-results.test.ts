import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { profileSettings } from "../../src/profiles";
import { beginMarker, combineTrainingSteps, endMarker, fineTuneClaimVerdict, paperVsOurs, partMarkdown, timeTable, writeReproductionResults, type PartSummary } from "../../src/report/reproduction-results";
import { PARTS, describePartState, partIsCurrent, partState, reproduce, summaryIsCurrent } from "../../src/pipeline/reproduce";
import { tempDir } from "../train/fixtures";

const summary = (part: string, rows: object[]): PartSummary => ({
  part, profile: "full", command: "npm run reproduce -- --profile full", started: "2026-12-02T01:00:00Z", finished: "2026-12-02T02:00:00Z",
  seconds: 3600, backend: "tensorflow (x)", threads: 2, machine: "AMD EPYC ×2", loadBefore: 0.5, loadAfter: 1.5, settings: profileSettings("full"), rows, verdict: ["a verdict"],
});

test("partMarkdown: provenance (command, minutes, machine, load), the part's table, the verdict", () => {
  const md = partMarkdown(summary("other", [{ a: 1, b: "x" }, { a: 2 }]));
  assert.match(md, /^### other \(full profile, 2026-12-02\)/);
  assert.match(md, /`npm run reproduce -- --profile full` — 60\.0 min on AMD EPYC ×2, tensorflow \(x\), 2 thread\(s\); load average 0\.50 before, 1\.50 after/);
  assert.match(md, /\| a \| b \|\n\| --- \| --- \|\n\| 1 \| x \|\n\| 2 \|  \|/);
  assert.match(md, /- a verdict$/);
});

test("the fine-tune part: accuracies as percentages, drops in points, each run against its budget's dense control", () => {
  const run = { target: 2, epochs: 3, learningRate: 0.01, accuracyBefore: 0.5803, accuracyAfter: 0.8382, drop: 0.0001, convSpeedup: 2.0013, trainSeconds: 200.1 };
  const control = { control: true as const, target: 1, epochs: 3, learningRate: 0.01, accuracyBefore: 0.8383, accuracyAfter: 0.8466, drop: -0.0083, convSpeedup: 1, trainSeconds: 212 };
  const three = { ...run, target: 3, accuracyAfter: 0.8149, drop: 0.0234, convSpeedup: 3.03 };
  const s = { ...summary("fine-tune", [run, control, three]) };
  const md = partMarkdown(s);
  assert.match(md, /\| 2× \| per layer \| 2\.00× \| — \| 3 \| 0\.01 \| 58\.03 % \| 83\.82 % \| 0\.01 \| 0\.84 \| 200 \|/, "a summary from before forward times were measured");
  assert.match(md, /\| dense baseline, trained on \(control\) \| — \| 1\.00× \| — \| 3 \| 0\.01 \| 83\.83 % \| 84\.66 % \| -0\.83 \| — \| 212 \|/);
  const joint = [{ ...run, ranks: "joint", measuredSpeedup: 1.456 }, control];
  assert.match(partMarkdown(summary("fine-tune", joint)), /\| 2× \| joint \| 2\.00× \| 1\.46× \| 3 \| 0\.01 \|/);
  assert.match(paperVsOurs([summary("fine-tune", joint)]).split("\n")[5], /at 2× \(measured 1\.46× faster\): -0\.84 points .* after 3 epoch\(s\) at 0\.01, ranks allocated jointly;/);
  assert.match(paperVsOurs([s]).split("\n")[5], /-0\.84 points against the dense baseline trained on alike \(84\.66 %\), after 3 epoch\(s\) at 0\.01; same budget: 3× -3\.17 points; against the baseline itself -0\.01 points \| not confirmed \(one seed, within run-to-run noise of the bar\) \|$/);
  // Without its control, a run is measured against the baseline.
  assert.match(paperVsOurs([summary("fine-tune", [run])]).split("\n")[5], /-0\.01 points against the baseline, after 3 epoch\(s\) at 0\.01 \| confirmed \(one seed, within run-to-run noise of the bar\) \|$/);
  // 0.84 % test accuracy's standard error on 10 000 images is 0.37 points: 0.34 from the bar is within √2 of it, 2 points is not.
  assert.equal(fineTuneClaimVerdict(0.003, 0.0037), "confirmed (one seed, within run-to-run noise of the bar)");
  assert.equal(fineTuneClaimVerdict(0.025, 0.0037), "not confirmed");
  assert.equal(fineTuneClaimVerdict(-0.02, 0.0037), "confirmed");
});

test("an unfinished part: its rows so far, sittings, no verdict (the way to resume instead); paper vs ours says unfinished", () => {
  const s = { ...summary("closed-form", [{ layer: "c1", rank: 4, taiError: 0.1, iterativeError: 0.1, taiSeconds: 0.01, iterativeSeconds: 1 }]), partial: true, sittings: 2, verdict: [] };
  const md = partMarkdown(s);
  assert.match(md, /^### closed-form \(full profile, unfinished: 1 row\(s\) so far, 2026-12-02\)/);
  assert.match(md, /60\.0 min over 2 sittings on AMD EPYC/);
  assert.match(md, /- Unfinished: no verdict for the rest until every run is in\. `npm run reproduce -- --profile full --only closed-form` resumes it/);
  assert.match(paperVsOurs([s]).split("\n")[2], /\| unfinished \(1 row\(s\) so far\): iterative error ≥ closed form's in 1 of 1 .* \| — \(unfinished\) \|$/);
  // From scratch: the arms' table names no comparison word while seeds are missing.
  const run = (arm: string, seed: number, acc: number) => ({
    model: "vgg-small", arm, seed, bestTestAccuracy: acc, bestEpoch: 3, trainAccuracyAtBest: 1, finalTestAccuracy: acc, finalTrainAccuracy: 1, epochs: 3,
    stopReason: "completed", params: 10, convMacs: 1e6, trainSeconds: 1, testAccuracyByEpoch: [acc], lowRankFrom: 1,
  });
  const scratch = { ...summary("from-scratch", [run("dense", 0, 0.75), run("low-rank, BN after", 0, 0.7)]), verdict: [] };
  assert.match(partMarkdown({ ...scratch, partial: true }), /\| vgg-small \| low-rank, BN after \| 1 \| 70\.00 % \| 0\.00 \| -5\.00 \| — \(unfinished\) \|/);
  assert.match(partMarkdown(scratch), /\| vgg-small \| low-rank, BN after \| 1 \| 70\.00 % \| 0\.00 \| -5\.00 \| falls short of \|/);
  // Once an arm's seeds and dense's are all in (the settings' two), its verdict shows while other arms run.
  const settled = {
    ...scratch,
    partial: true,
    rows: [run("dense", 0, 0.75), run("dense", 1, 0.76), run("low-rank, BN after", 0, 0.77), run("low-rank, BN after", 1, 0.78), run("low-rank, BN between", 0, 0.7)],
  };
  const md2 = partMarkdown(settled);
  assert.match(md2, /\| vgg-small \| low-rank, BN after \| 2 \| 77\.50 % \| 1\.00 \| \+2\.00 \| beats \|/);
  assert.match(md2, /\| vgg-small \| low-rank, BN between \| 1 \| .* \| — \(unfinished\) \|/);
  assert.match(md2, /^- So far, vgg-small, low-rank, BN after: 77\.50 % .* it \*\*beats\*\* the dense net/m);
  assert.doesNotMatch(md2, /So far, vgg-small, low-rank, BN between/);
  assert.match(paperVsOurs([settled]).split("\n")[3], /— \(unfinished\) \|$/, "the claim's verdict waits for the whole part");
  // A finished part's verdict lines come from its rows, as its table does, not from what an older rule stored.
  const stored = partMarkdown({ ...scratch, verdict: ["an old rule's words"], rows: [run("dense", 0, 0.75), run("dense", 1, 0.76), run("low-rank, BN after", 0, 0.77), run("low-rank, BN after", 1, 0.78)] });
  assert.doesNotMatch(stored, /an old rule's words/);
  assert.match(stored, /^- vgg-small, low-rank, BN after: 77\.50 % .* it \*\*beats\*\* the dense net/m);
  // The finished part: the claim rests on the paper's recipe (BN after) on every model.
  const claim = (after: number[]) => paperVsOurs([{ ...scratch, rows: [run("dense", 0, 0.75), run("dense", 1, 0.76), ...after.map((a, i) => run("low-rank, BN after", i, a))] }]).split("\n")[3];
  assert.match(claim([0.77, 0.78]), /\(beats\) \| confirmed \|$/);
  assert.match(claim([0.745, 0.765]), /\(matches\) \| partly \(matches, does not beat\) \|$/);
  assert.match(claim([0.73, 0.748]), /\(leans below\) \| not confirmed \|$/, "every seed below dense's is no match, even within the spread");
  assert.match(claim([0.7, 0.71]), /\(falls short of\) \| not confirmed \|$/);
});

test("writeReproductionResults: appends once, then replaces only its own profile's section; a lost end marker is an error", () => {
  const dir = tempDir("results-md");
  const file = join(dir, "RESULTS.md");
  try {
    writeFileSync(file, "# Measured results\n\nbefore\n");
    writeReproductionResults(file, "full", [summary("other", [{ a: "first" }])]);
    writeReproductionResults(file, "quick", []);
    writeReproductionResults(file, "full", [summary("other", [{ a: "second" }])]);
    const text = readFileSync(file, "utf8");
    assert.ok(text.startsWith("# Measured results\n\nbefore\n"));
    assert.equal(text.split(beginMarker("full")).length, 2);
    assert.match(text, /\| second \|/);
    assert.doesNotMatch(text, /\| first \|/);
    assert.match(text, /No part has run yet/);
    writeFileSync(file, text.replace(endMarker("full"), ""));
    assert.throws(() => writeReproductionResults(file, "full", []), /not its end marker/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("reproduce refuses unknown parts before doing anything", async () => {
  await assert.rejects(reproduce({ profile: "quick", only: ["speed"], resultsFile: null }), /Unknown part\(s\) 'speed': the parts are closed-form, from-scratch, architectures, fine-tune\./);
});

test("paperVsOurs: one row per claim with the paper's figure, ours from the summaries, and a verdict; missing parts say how to run them", () => {
  const arch = (model: string, change: number, measured: number) => ({ model, network: "2×", target: 2, testAccuracy: 0.8, accuracyChange: change, params: 1, convMacs: 1, decomposedConvSpeedup: 2, convSpeedupTheoretical: 2, forwardMs: 1, modelSpeedupMeasured: measured, decomposedLayers: 3, trainSeconds: 1 });
  const closed = [{ layer: "c1", rank: 4, taiError: 0.1, iterativeError: 0.1, taiSeconds: 0.01, iterativeSeconds: 1 }, { layer: "c2", rank: 4, taiError: 0.2, iterativeError: 0.21, taiSeconds: 0.01, iterativeSeconds: 2 }];
  const md = paperVsOurs([summary("closed-form", closed), summary("architectures", [arch("nin", -0.002, 1.3), arch("resnet", -0.03, 0.8)])]);
  const lines = md.split("\n");
  assert.match(lines[2], /^\| 1 · closed form vs iterative \| .* \| iterative error ≥ closed form's in 2 of 2 \(layer, rank\) pairs; 0\.02 s against 3\.0 s \| confirmed \|$/);
  assert.match(lines[3], /^\| 2 · low-rank from scratch \| .*91\.31 %.* \| not run yet \(`npm run reproduce -- --only from-scratch`\) \| — \|$/);
  assert.match(lines[4], /^\| 3 · across architectures \| .*90\.60 → 90\.31 %.* \| at 2× per conv: nin -0\.20 pts at 1\.30×; resnet -3\.00 pts at 0\.80× \| partly \(1 of 2 at 2×\) \|$/);
});

test("timeTable: each part's wall time, sittings, its runs' recorded training and steps, and the total", () => {
  const fine = { ...summary("fine-tune", [{ trainSeconds: 1800 }, { trainSeconds: 3600 }]), seconds: 1200, trainingSteps: "graph" as const };
  const scratch = { ...summary("from-scratch", [{ trainSeconds: 600 }]), seconds: 7200, sittings: 3 };
  const closed = { ...summary("closed-form", [{ taiSeconds: 1 }]), seconds: 90 };
  const lines = timeTable([closed, scratch, fine]).split("\n");
  assert.equal(lines[0], "| part | finished | wall time | sittings | its runs' training | steps in its sittings | machine |");
  assert.equal(lines[2], "| closed-form | 2026-12-02 | 1.5 min | 1 | — | not recorded | AMD EPYC ×2 |");
  assert.equal(lines[3], "| from-scratch | 2026-12-02 | 2.0 h | 3 | 10.0 min | not recorded | AMD EPYC ×2 |");
  // Run again on finished checkpoints: less wall time than its runs' recorded training.
  assert.equal(lines[4], "| fine-tune | 2026-12-02 | 20.0 min | 1 | 1.5 h | graph | AMD EPYC ×2 |");
  assert.equal(lines[5], "| all parts |  | **2.4 h** |  | 1.7 h |  |  |");
});

test("combineTrainingSteps: a resumed part keeps one kind of step only if every sitting had it", () => {
  assert.equal(combineTrainingSteps("graph", "graph"), "graph");
  assert.equal(combineTrainingSteps("op by op", "graph"), "graph and op by op");
  assert.equal(combineTrainingSteps("graph and op by op", "graph"), "graph and op by op");
  assert.equal(combineTrainingSteps(undefined, "graph"), undefined, "earlier sittings that recorded nothing leave it unknown");
});

test("summaryIsCurrent: the settings a summary recorded must agree; settings added since do not matter", () => {
  const s = summary("other", []);
  const { scratchCompare: _added, ...older } = s.settings;
  assert.equal(summaryIsCurrent({ ...s, settings: older as typeof s.settings }, profileSettings("full")), true);
  assert.equal(summaryIsCurrent(s, { ...profileSettings("full"), epochs: 6 }), false);
  // A part that compares more arms than its summary did runs again.
  assert.equal(summaryIsCurrent(s, profileSettings("full"), "arms: dense; TRP"), false);
  assert.equal(summaryIsCurrent({ ...s, scope: "arms: dense; TRP" }, profileSettings("full"), "arms: dense; TRP"), true);
  // Another part's own block changed: a part that does not read it keeps its summary; one that does runs again.
  const changed = { ...profileSettings("full"), scratchCompare: { ...profileSettings("full").scratchCompare, maxEpochs: 31 } };
  assert.equal(partIsCurrent(PARTS.find((p) => p.name === "closed-form")!, s, changed), true);
  assert.equal(partIsCurrent(PARTS.find((p) => p.name === "from-scratch")!, { ...s, scope: PARTS.find((p) => p.name === "from-scratch")!.scope }, changed), false);
});

test("partState: one rule for --list and reproduce — not run, stale, unfinished, done", () => {
  const part = PARTS.find((p) => p.name === "closed-form")!;
  const s = { ...summary("closed-form", [{ a: 1 }]), scope: part.scope };
  const full = profileSettings("full");
  assert.equal(partState(part, undefined, full).kind, "not run");
  assert.equal(partState(part, s, { ...full, epochs: 6 }).kind, "stale");
  assert.equal(partState(part, { ...s, partial: true }, full).kind, "unfinished");
  assert.equal(partState(part, s, full).kind, "done");
  assert.equal(describePartState(partState(part, { ...s, partial: true }, full)), "unfinished, 1 row(s) kept from 2026-12-02T02:00:00Z");
  assert.equal(describePartState(partState(part, s, full)), "done on 2026-12-02T02:00:00Z (60.0 min)");
});
