/**
 * Stable rank ‖W‖²_F / ‖W‖²₂ = Σσ² / σ₁² of a matrix from its singular values (descending): between 1
 * and the rank, and unlike the rank not fooled by tiny singular values. Cuttlefish (Wang et al. 2023)
 * tracks it per layer to decide when a dense net may switch to low rank.
 */
export function stableRank(singularValues: ArrayLike<number>): number {
  if (!singularValues.length) throw new Error("stableRank needs at least one singular value.");
  const top = singularValues[0];
  let energy = 0;
  for (let t = 0; t < singularValues.length; t++) {
    const s = singularValues[t];
    if (!(Number.isFinite(s) && s >= 0) || s > top) throw new Error(`stableRank needs finite, non-negative singular values in descending order, got ${s} at index ${t}.`);
    energy += s * s;
  }
  return top === 0 ? 0 : energy / (top * top);
}

/**
 * Cuttlefish's rank for a layer: its stable rank now, scaled by how far the stable rank at
 * initialisation stood from full rank — round(now × fullRank / atInit), within [1, fullRank].
 */
export function scaledStableRank(now: number, atInit: number, fullRank: number): number {
  if (!(Number.isInteger(fullRank) && fullRank >= 1)) throw new Error(`fullRank must be a positive integer, got ${fullRank}.`);
  if (!(now >= 0 && atInit > 0)) throw new Error(`Stable ranks must be ≥ 0 now and > 0 at initialisation, got ${now} and ${atInit}.`);
  return Math.min(fullRank, Math.max(1, Math.round((now * fullRank) / atInit)));
}

/** Largest relative change of any layer's stable rank from one epoch to the next: |now − before| / before. */
export function largestStableRankChange(before: Readonly<Record<string, number>>, now: Readonly<Record<string, number>>): number {
  const layers = Object.keys(now);
  if (!layers.length) throw new Error("largestStableRankChange needs at least one layer.");
  return Math.max(
    ...layers.map((l) => {
      if (!(l in before)) throw new Error(`largestStableRankChange: layer '${l}' has no earlier stable rank.`);
      return Math.abs(now[l] - before[l]) / before[l];
    }),
  );
}
