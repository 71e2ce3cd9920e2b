import { describeSize } from "./rank-bounds";
import { convCost, type ConvSpec } from "./cost";
import type { FactorizationMethod, Rank } from "./factorization";
import { tai } from "./methods/tai";

/** A speed-up target no rank of a layer reaches (callers that skip such points catch this type). */
export class RankUnreachableError extends Error {
  constructor(
    message: string,
    readonly target: number,
    /** The best speed-up any rank gives. */
    readonly best: number,
  ) {
    super(message);
    this.name = "RankUnreachableError";
  }
}

/** Throw unless `fraction` is a valid energy fraction in (0, 1]. */
export function checkEnergyFraction(fraction: number): void {
  if (!(typeof fraction === "number" && fraction > 0 && fraction <= 1)) {
    throw new Error(`Energy fraction must be in (0, 1], e.g. 0.9 to keep 90% of Σσ², got ${fraction}.`);
  }
}

/** Throw unless `target` is a valid theoretical speed-up target: a finite number above 0. */
export function checkSpeedupTarget(target: number): void {
  if (!(typeof target === "number" && Number.isFinite(target) && target > 0)) {
    throw new Error(`Target speedup must be a positive number, e.g. 2 for twice as fast, got ${target}.`);
  }
}

/**
 * Smallest K whose leading singular values keep at least `fraction` of the energy Σσ² (= ‖W‖²_F),
 * i.e. relative squared reconstruction error ≤ 1 − fraction.
 */
export function rankForEnergy(singularValues: ArrayLike<number>, fraction: number): number {
  checkEnergyFraction(fraction);
  const n = singularValues.length;
  if (n === 0) throw new Error("rankForEnergy needs at least one singular value.");
  let total = 0;
  for (let t = 0; t < n; t++) {
    const s = singularValues[t];
    if (!(Number.isFinite(s) && s >= 0)) throw new Error(`Singular values must be finite and ≥ 0, got ${s} at index ${t}.`);
    if (t > 0 && s > singularValues[t - 1]) throw new Error(`Singular values must be in descending order (index ${t}: ${s} > ${singularValues[t - 1]}).`);
    total += s * s;
  }
  if (total === 0) return 1; // a zero kernel: any rank is exact
  const target = fraction * total;
  let kept = 0;
  for (let t = 0; t < n; t++) {
    kept += singularValues[t] * singularValues[t];
    if (kept >= target) return t + 1;
  }
  return n; // rounding: the full sum equals `total`, so only reached when fraction·total rounds above it
}

/**
 * The most expensive rank whose theoretical speed-up (dense MACs / the method's MACs, see cost.ts) is
 * at least `target`. Throws RankUnreachableError when even the cheapest rank is too slow, naming the
 * layer size and the best speed-up available.
 */
export function rankForSpeedup(spec: ConvSpec, target: number): number;
export function rankForSpeedup(spec: ConvSpec, target: number, method: FactorizationMethod): Rank;
export function rankForSpeedup(spec: ConvSpec, target: number, method: FactorizationMethod = tai): Rank {
  checkSpeedupTarget(target);
  const dense = convCost(spec).macs;
  const ranks = method.ranks(spec);
  // Cost grows with the rank, so the speed-up falls: scan from the most expensive rank down.
  for (let i = ranks.length - 1; i >= 0; i--) {
    if (dense / method.cost(spec, ranks[i]).macs >= target) return ranks[i];
  }
  const best = dense / method.cost(spec, ranks[0]).macs;
  throw new RankUnreachableError(
    `No rank reaches a ${target}× speedup for the ${describeSize(spec)} ` +
      `(${spec.dense ? `${spec.inH} position(s)` : `input ${spec.inH}×${spec.inW}, stride ${spec.strideH}×${spec.strideW}`}): the best is ${best.toFixed(3)}× at rank ${JSON.stringify(ranks[0])}.`,
    target,
    best,
  );
}
