import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { budgetBaseline, budgetRankRule, budgetVerdict, chosenBudget, fineTuneBudgetProblem, lossOf, type BudgetRow } from "../../src/experiments/fine-tune-budget";
import { profileSettings } from "../../src/profiles";
import { checkpointPaths } from "../../src/experiments/baseline";

const row = (target: number, epochs: number, learningRate: number, drop: number): BudgetRow => ({
  target, epochs, learningRate, accuracyBefore: 0.5, accuracyAfter: 0.8 - drop, drop, convSpeedup: target, trainSeconds: 1,
});

test("chosenBudget: the cheapest budget under the tolerance, else the smallest drop", () => {
  const rows = [row(2, 3, 0.01, 0.002), row(2, 1, 0.03, 0.004), row(2, 1, 0.01, 0.009)];
  assert.deepEqual([chosenBudget(rows, 0.005)!.epochs, chosenBudget(rows, 0.005)!.learningRate], [1, 0.03]);
  assert.equal(chosenBudget(rows, 0.001)!.drop, 0.002);
  assert.equal(chosenBudget([], 0.005), undefined);
});

test("budgetVerdict: met or not met at the first target, then each other target's drop", () => {
  const met = budgetVerdict([row(2, 1, 0.01, 0.003), row(3, 1, 0.01, 0.012), row(4, 1, 0.01, -0.001)], { accuracy: 0.8 });
  assert.match(met[0], /At 2×, 1 epoch\(s\) at peak rate 0.01 reach 79.70 %, 0.30 points below the baseline \(80.00 %\) — under 0.50 points: the paper's standard is \*\*met\*\*/);
  assert.match(met[1], /At 3× with the same budget: 78.80 %, 1.20 points below the baseline/);
  assert.match(met[2], /At 4× with the same budget: 80.10 %, 0.10 points above the baseline/);
  assert.match(budgetVerdict([row(2, 3, 0.03, 0.01)], { accuracy: 0.8 })[0], /no budget tried comes within 0.50 points of the baseline; the closest, .* 1.00 points below .* \*\*not met\*\*/);
});

test("with dense controls, runs are measured against the control of their own budget, and the choice follows", () => {
  const control = (epochs: number, learningRate: number, accuracyAfter: number): BudgetRow => ({
    control: true, target: 1, epochs, learningRate, accuracyBefore: 0.8, accuracyAfter, drop: 0.8 - accuracyAfter, convSpeedup: 1, trainSeconds: 1,
  });
  // Against the baseline (0.80) the 1-epoch run loses only 0.2 points; its control gained 1.5.
  const rows = [row(2, 1, 0.01, 0.002), control(1, 0.01, 0.815), row(2, 3, 0.03, -0.01), control(3, 0.03, 0.812), row(3, 3, 0.03, 0.01)];
  assert.equal(lossOf(rows[0], rows).toFixed(4), "0.0170");
  assert.deepEqual([chosenBudget(rows, 0.005)!.epochs, chosenBudget(rows, 0.005)!.learningRate], [3, 0.03]);
  const v = budgetVerdict(rows, { accuracy: 0.8, epochs: 15 });
  assert.match(v[0], /At 2×, 3 epoch\(s\) at peak rate 0.03 reach 81.00 %, 0.20 points below the dense baseline trained on with the same budget \(81.20 %; baseline 80.00 %, 15 epochs\) .* \*\*met\*\*/);
  assert.match(v[1], /At 3× with the same budget: 79.00 %, 2.20 points below that control/);
  assert.match(v[2], /1 epoch\(s\) at 0.01: \+1.50 points; 3 epoch\(s\) at 0.03: \+1.20 points over the baseline\); against the baseline itself the chosen 2× run is 1.00 points above/);
});

test("a joint run: ranks by the budget rule, chosen after a per-layer run of the same cost, named in the verdict", () => {
  assert.deepEqual(budgetRankRule("joint", 2), { budget: 2 });
  assert.deepEqual(budgetRankRule(undefined, 3), { speedup: 3 });
  const perLayer = row(2, 3, 0.01, 0.003);
  const joint = { ...row(2, 3, 0.01, 0.003), ranks: "joint" as const };
  assert.equal(chosenBudget([joint, perLayer], 0.005), perLayer, "same epochs and rate, both under: per layer, as every other part");
  const better = { ...row(2, 3, 0.01, 0.001), ranks: "joint" as const };
  assert.equal(chosenBudget([row(2, 3, 0.01, 0.009), better], 0.005), better);
  assert.match(budgetVerdict([better], { accuracy: 0.8 })[0], /At 2×, 3 epoch\(s\) at peak rate 0.01, ranks allocated jointly reach 79.90 %/);
});

test("budget runs checkpoint by target, allocation, epochs and rate: a per-layer run keeps the folder it always had", () => {
  const paths = checkpointPaths({ profile: "full" }, "vgg-small", "ck");
  assert.equal(paths.budget(2, 8, 0.01), join("ck", "vgg-small-full", "budget-2x-e8-lr0.01"));
  assert.equal(paths.budget(2, 8, 0.01, "joint"), join("ck", "vgg-small-full", "budget-2x-joint-e8-lr0.01"));
});

test("budgetVerdict: joint against per-layer ranks at the same budget, and the margin to the bar against one run's noise", () => {
  const perLayer = { ...row(2, 8, 0.03, 0.006), accuracyBefore: 0.667 };
  const joint = { ...row(2, 8, 0.03, 0.0), ranks: "joint" as const, accuracyBefore: 0.858 };
  const v = budgetVerdict([perLayer, joint], { accuracy: 0.8 }, 0.005, 10000);
  assert.match(v[0], /ranks allocated jointly reach 80\.00 %/);
  assert.match(v[1], /^Ranks allocated jointly against per layer, same cost and budget: 2×, 8 epoch\(s\) at 0\.03: 80\.00 % against 79\.40 % \(\+0\.60 points; before fine-tuning 85\.80 % against 66\.70 %\)\.$/);
  // sqrt(0.8 · 0.2 / 10 000) = 0.4 points; a difference of two runs √2 times that. The run sits on the bar's edge by 0.5 point.
  assert.match(v[2], /standard error of about 0\.40 points \(binomial\), a difference of two runs about 0\.57 points\. The chosen run is 0\.50 points under the bar, so another seed could turn the verdict\./);
  assert.match(budgetVerdict([joint], { accuracy: 0.8 }, 0.02, 10000)[1], /2\.00 points under the bar, so the verdict is clear of that noise/);
  assert.equal(budgetVerdict([joint], { accuracy: 0.8 }).length, 1, "no test-set size, no noise line");
});

test("fineTuneBudgetProblem: says what is wrong with the settings before anything trains", () => {
  assert.equal(fineTuneBudgetProblem(profileSettings("full").fineTuneBudget), undefined);
  assert.equal(fineTuneBudgetProblem(profileSettings("quick").fineTuneBudget), undefined);
  assert.match(fineTuneBudgetProblem({ targets: [], runs: [{ epochs: 1, learningRate: 0.01 }] })!, /at least one speed-up target/);
  assert.match(fineTuneBudgetProblem({ targets: [2], runs: [] })!, /at least one run, e\.g\. runs: \[\{ epochs: 3, learningRate: 0\.01 \}\]/);
  assert.match(fineTuneBudgetProblem({ targets: [2], runs: [{ epochs: 1.5, learningRate: 0.01 }] })!, /cannot be trained: \{"epochs":1\.5,"learningRate":0\.01\} \(epochs: an integer ≥ 1/);
  assert.match(fineTuneBudgetProblem({ targets: [2], runs: [{ epochs: 1, learningRate: 0.01, ranks: "greedy" as never }] })!, /ranks: per-layer or joint/);
});

test("budgetBaseline: a longer baseline gets its own checkpoint root; the profile's own length shares the usual one", () => {
  const full = profileSettings("full");
  const longer = budgetBaseline(full, "ck");
  assert.equal(longer.settings.epochs, full.fineTuneBudget.baselineEpochs);
  assert.equal(longer.checkpointsRoot, join("ck", `baseline-${full.fineTuneBudget.baselineEpochs}-epochs`));
  assert.equal(full.epochs, profileSettings("full").epochs, "the caller's settings are not changed");
  const same = { ...full, fineTuneBudget: { ...full.fineTuneBudget, baselineEpochs: full.epochs } };
  assert.deepEqual(budgetBaseline(same, "ck"), { settings: same, checkpointsRoot: "ck" });
  const unset = { ...full, fineTuneBudget: { targets: [2], runs: [{ epochs: 1, learningRate: 0.01 }] } };
  assert.equal(budgetBaseline(unset, "ck").checkpointsRoot, "ck");
});
