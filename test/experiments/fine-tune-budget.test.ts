import { test } from "node:test";
import assert from "node:assert/strict";
import { budgetVerdict, chosenBudget, type BudgetRow } from "../../src/experiments/fine-tune-budget";

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
  const met = budgetVerdict([row(2, 1, 0.01, 0.003), row(3, 1, 0.01, 0.012), row(4, 1, 0.01, -0.001)], 0.8);
  assert.match(met[0], /At 2×, 1 epoch\(s\) at peak rate 0.01 keep the drop under 0.50 points: 0.30 points .* \*\*met\*\*/);
  assert.match(met[1], /At 3× with the same budget: −1.20 points/);
  assert.match(met[2], /At 4× with the same budget: \+0.10 points/);
  assert.match(budgetVerdict([row(2, 3, 0.03, 0.01)], 0.8)[0], /no budget tried .* loses 1.00 points .* \*\*not met\*\*/);
});
