import { ConvSpec, maxRank, theoreticalSpeedup } from "./cost";

/** Throw unless `fraction` is a valid energy fraction in (0, 1]. */
export function checkEnergyFraction(fraction: number): void {
  if (!(typeof fraction === "number" && fraction > 0 && fraction <= 1)) {
    throw new Error(`Energy fraction must be in (0, 1], e.g. 0.9 to keep 90% of Σσ², got ${fraction}.`);
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
 * Largest K whose theoretical speedup (dense MACs / low-rank MACs, see cost.ts) is at least `target`.
 * Throws when even K = 1 is too slow, naming the layer size and the best speedup available.
 */
export function rankForSpeedup(spec: ConvSpec, target: number): number {
  if (!(typeof target === "number" && Number.isFinite(target) && target > 0)) {
    throw new Error(`Target speedup must be a positive number, e.g. 2 for twice as fast, got ${target}.`);
  }
  const limit = maxRank(spec);
  // Low-rank MACs grow linearly with K, so the speedup falls with K: scan from the largest rank down.
  for (let k = limit; k >= 1; k--) {
    if (theoreticalSpeedup(spec, k) >= target) return k;
  }
  const best = theoreticalSpeedup(spec, 1);
  throw new Error(
    `No rank reaches a ${target}× speedup for the ${spec.kh}×${spec.kw} conv ${spec.inC}→${spec.outC} ` +
      `(input ${spec.inH}×${spec.inW}, stride ${spec.strideH}×${spec.strideW}): the best is ${best.toFixed(3)}× at rank 1.`,
  );
}
