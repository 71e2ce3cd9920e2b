/**
 * Ranks for several layers at once under one multiply-add budget (framework-free). Each layer offers
 * options (rank, MACs, normalised error); the allocation picks one option per layer so the total MACs
 * fit the budget and the total error is least — a multiple-choice knapsack.
 */

export interface RankOption {
  rank: number;
  /** Multiply-adds per image of the layer at this rank. */
  macs: number;
  /** Normalised error at this rank, e.g. ‖W − W_K‖²/‖W‖² (Σ of the dropped σ² over Σσ²). */
  error: number;
}

export interface AllocationLayer {
  name: string;
  options: RankOption[];
}

export interface Allocation {
  ranks: Record<string, number>;
  macs: number;
  error: number;
}

/** No choice of ranks fits the budget: `least` is what the cheapest ranks need. */
export class BudgetTooSmallError extends Error {
  constructor(
    readonly budget: number,
    readonly least: number,
  ) {
    super(`No choice of ranks fits ${budget.toLocaleString("en-US")} multiply-adds: the cheapest ranks already need ${least.toLocaleString("en-US")}. Ask for a smaller speed-up.`);
    this.name = "BudgetTooSmallError";
  }
}

function check(layers: readonly AllocationLayer[], budget: number): void {
  if (!(Number.isFinite(budget) && budget > 0)) throw new Error(`The multiply-add budget must be a positive number, got ${budget}.`);
  if (layers.length === 0) throw new Error("Rank allocation needs at least one layer.");
  for (const l of layers) {
    if (!l.options.length) throw new Error(`Layer '${l.name}' offers no rank.`);
    for (const o of l.options) {
      if (!(Number.isInteger(o.rank) && o.rank >= 1 && o.macs >= 0 && Number.isFinite(o.macs) && Number.isFinite(o.error) && o.error >= 0)) {
        throw new Error(`Layer '${l.name}': option ${JSON.stringify(o)} needs an integer rank ≥ 1, finite MACs ≥ 0 and a finite error ≥ 0.`);
      }
    }
  }
  const least = layers.reduce((s, l) => s + Math.min(...l.options.map((o) => o.macs)), 0);
  if (least > budget) throw new BudgetTooSmallError(budget, least);
}

interface State {
  macs: number;
  error: number;
  /** Index of the chosen option per layer so far. */
  picks: number[];
}

/** Keep only states no other state beats on both cost and error (sorted by cost). */
function paretoFront(states: State[]): State[] {
  states.sort((a, b) => a.macs - b.macs || a.error - b.error);
  const front: State[] = [];
  for (const s of states) {
    if (front.length === 0 || s.error < front[front.length - 1].error) front.push(s);
  }
  return front;
}

/**
 * The least-total-error ranks within `budget` MACs, exactly: dynamic programming over the layers that
 * keeps every (cost, error) partial choice not dominated by another (no more cost and no more error).
 * Exact because a dominated partial choice completed with any options of the remaining layers is never
 * better than its dominator completed the same way; costs are used as they are, not rounded.
 */
export function allocateRanks(layers: readonly AllocationLayer[], budget: number): Allocation {
  check(layers, budget);
  let front: State[] = [{ macs: 0, error: 0, picks: [] }];
  for (const layer of layers) {
    const next: State[] = [];
    for (const s of front) {
      layer.options.forEach((o, i) => {
        const macs = s.macs + o.macs;
        if (macs <= budget) next.push({ macs, error: s.error + o.error, picks: [...s.picks, i] });
      });
    }
    front = paretoFront(next);
  }
  const best = front[front.length - 1]; // the front is sorted by cost with falling error: the last has the least error
  return {
    ranks: Object.fromEntries(layers.map((l, i) => [l.name, l.options[best.picks[i]].rank])),
    macs: best.macs,
    error: best.error,
  };
}

/**
 * The usual greedy rule, for comparison: start every layer at its cheapest rank, then repeatedly take
 * the one upgrade (a layer's next rank) with the most error removed per added multiply-add that still
 * fits the budget. Fast, but not optimal: it can spend the budget on early good ratios.
 */
export function allocateRanksGreedy(layers: readonly AllocationLayer[], budget: number): Allocation {
  check(layers, budget);
  const sorted = layers.map((l) => [...l.options].sort((a, b) => a.macs - b.macs || a.error - b.error));
  const at = sorted.map(() => 0);
  let macs = sorted.reduce((s, o) => s + o[0].macs, 0);
  for (;;) {
    let pick = -1;
    let bestRatio = -Infinity;
    sorted.forEach((o, i) => {
      const cur = o[at[i]];
      const nxt = o[at[i] + 1];
      if (!nxt || macs - cur.macs + nxt.macs > budget) return;
      const gain = cur.error - nxt.error;
      const ratio = gain / Math.max(nxt.macs - cur.macs, 1e-12);
      if (gain > 0 && ratio > bestRatio) {
        bestRatio = ratio;
        pick = i;
      }
    });
    if (pick < 0) break;
    macs += sorted[pick][at[pick] + 1].macs - sorted[pick][at[pick]].macs;
    at[pick]++;
  }
  return {
    ranks: Object.fromEntries(layers.map((l, i) => [l.name, sorted[i][at[i]].rank])),
    macs,
    error: sorted.reduce((s, o, i) => s + o[at[i]].error, 0),
  };
}

/** Normalised error Σ_{t≥K} σ_t² / Σ σ_t² of every rank K = 1..n of a spectrum (index K−1). */
export function tailErrors(singularValues: ArrayLike<number>): Float64Array {
  const n = singularValues.length;
  const out = new Float64Array(n);
  let total = 0;
  for (let t = 0; t < n; t++) total += singularValues[t] * singularValues[t];
  let tail = 0;
  for (let k = n - 1; k >= 0; k--) {
    out[k] = total > 0 ? tail / total : 0;
    tail += singularValues[k] * singularValues[k];
  }
  return out;
}
