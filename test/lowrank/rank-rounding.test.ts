import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../src/backend/init";
import { decomposeModelWithReport } from "../../src/lowrank";
import { checkPlan, roundRank } from "../../src/lowrank/plan";
import { vggSmall } from "../../src/models";

test("roundTo: ranks rounded to a multiple — down for speed-up rules (the target holds), up for energy rules (the energy holds); refused where it cannot apply", async () => {
  await initBackend(undefined, { quiet: true });
  assert.deepEqual([roundRank(27, 8, "down", 96), roundRank(5, 8, "down", 96), roundRank(27, 8, "up", 96), roundRank(95, 8, "up", 96)], [24, 5, 32, 96]);
  const model = vggSmall({ widths: [16, 32, 64], seed: 1 });
  const plain = decomposeModelWithReport(model, { speedup: 2 });
  const rounded = decomposeModelWithReport(model, { speedup: 2, roundTo: 8 });
  rounded.layers.forEach((l, i) => {
    const before = plain.layers[i].rank as number;
    assert.equal(l.rank, before < 8 ? before : Math.floor(before / 8) * 8, l.name);
    assert.ok(l.theoreticalSpeedup >= 2);
  });
  assert.ok(rounded.layers.some((l, i) => l.rank !== plain.layers[i].rank), "some rank actually moved");
  const energy = decomposeModelWithReport(model, { energy: 0.9, roundTo: 4 });
  for (const l of energy.layers) {
    assert.ok((l.rank as number) % 4 === 0 || l.rank === l.maxRank, `${l.name}: ${l.rank}`);
    assert.ok(1 - l.residual / l.energy >= 0.9 - 1e-12);
  }
  const tucker = decomposeModelWithReport(model, { method: "tucker2", speedup: 2, roundTo: 4 });
  assert.ok(tucker.layers.every((l) => (l.rank as number[]).every((r) => r % 4 === 0 || r < 4)));
  assert.throws(() => checkPlan({ rank: 8, roundTo: 4 }), /roundTo applies to speedup, energy and vbmf rules, not to 'rank'/);
  assert.throws(() => checkPlan({ speedup: 2, roundTo: 0 }), /roundTo must be a positive integer/);
  for (const m of [model, plain.model, rounded.model, energy.model, tucker.model]) m.dispose();
});
