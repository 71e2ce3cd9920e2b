import type { Rng } from "./prng";
import { shuffleInPlace } from "./prng";

export interface Picked {
  /** Chosen positions, ascending. */
  picked: Int32Array;
  /** The others, ascending. */
  rest: Int32Array;
}

/**
 * Choose `count` of `indices` spread as evenly over classes as their numbers allow: a seeded shuffle within
 * each class, then one per class in turn (class order shuffled too, so leftovers do not always favour class 0).
 */
export function pickBalanced(labels: ArrayLike<number>, indices: ArrayLike<number>, count: number, rng: Rng): Picked {
  if (!Number.isInteger(count) || count < 0 || count > indices.length) {
    throw new Error(`Cannot pick ${count} of ${indices.length} examples: the count must be a whole number from 0 to ${indices.length}.`);
  }
  const byClass = new Map<number, number[]>();
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    const group = byClass.get(labels[i]);
    if (group) group.push(i);
    else byClass.set(labels[i], [i]);
  }
  const classes = shuffleInPlace([...byClass.keys()].sort((a, b) => a - b), rng);
  const groups = classes.map((c) => shuffleInPlace(byClass.get(c)!, rng));
  const picked: number[] = [];
  for (let round = 0; picked.length < count; round++) {
    for (const group of groups) {
      if (round < group.length && picked.length < count) picked.push(group[round]);
    }
  }
  const chosen = new Set(picked);
  const rest: number[] = [];
  for (let k = 0; k < indices.length; k++) if (!chosen.has(indices[k])) rest.push(indices[k]);
  return { picked: Int32Array.from(picked).sort(), rest: Int32Array.from(rest).sort() };
}

/** 0, 1, …, n−1. */
export function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
