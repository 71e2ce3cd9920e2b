/**
 * Which layers, which rank, which method: the one vocabulary of model surgery (decomposeModel), networks
 * built low-rank from scratch (lowRankConvs), sweeps and the CLI.
 */
import type { ConvSpec } from "./cost";
import type { FactorizationMethod, Rank } from "./factorization";
import { DEFAULT_METHOD, factorizationMethod } from "./methods";
import { maxRank, type KernelSize } from "./rank-bounds";
import { vbmfRank } from "./vbmf";
import { checkEnergyFraction, checkSpeedupTarget, rankForEnergy, rankForSpeedup } from "./rank-selection";

/** How each chosen layer gets its rank. One key only; a new kind of rule is a new member here and in resolveRank. */
export type RankRule =
  | { /** Explicit rank per layer name (only these layers). */ ranks: Record<string, Rank> }
  | { /** The same rank in every chosen layer. */ rank: Rank }
  | { /** Keep this fraction of each layer's Σσ² (rankForEnergy). */ energy: number }
  | { /** The most expensive rank with at least this theoretical speed-up per layer (rankForSpeedup). */ speedup: number }
  | {
      /** Each layer's rank estimated by EVBMF from its spectrum (vbmfRank, as MUSCO does); at least 1. */
      vbmf: true;
      /**
       * MUSCO's weakening k in (0, 1]: rank = ⌊full − k·(full − EVBMF rank)⌋, so k < 1 keeps more than EVBMF's
       * estimate (a milder compression step, as MUSCO iterates). Default 1: EVBMF's rank itself.
       */
      weaken?: number;
    }
  | {
      /** The chosen layers together at this theoretical speed-up, ranks allocated jointly for the least total normalised error. */
      budget: number;
      /** "exact" (default: allocateRanks) or "greedy" (allocateRanksGreedy, for comparison). */
      allocation?: "exact" | "greedy";
    };

export const RANK_RULE_KINDS = ["ranks", "rank", "energy", "speedup", "budget", "vbmf"] as const;
export type RankRuleKind = (typeof RANK_RULE_KINDS)[number];

/** Where the optional batch normalisation sits: between V and H, or after H (+bias) as in the authors' models. */
export type BnPlacement = "none" | "between" | "after";
export const BN_PLACEMENTS: readonly BnPlacement[] = ["none", "between", "after"];

/** A rank rule with the layers it applies to, the BN of the new layers and the method. */
export type DecompositionPlan = RankRule & {
  /** Restrict to these layers (rule-based plans: exactly these). */
  layers?: string[];
  /** BN in the new layers. decomposeModel's default "none" keeps predictions exact; lowRankConvs' is "after". */
  bn?: BnPlacement;
  /** Factorisation method (methods/); default "tai". */
  method?: string;
  /**
   * Round every rank to a multiple of this (e.g. 4 or 8, which vectorised kernels may prefer): down for
   * speed-up rules, so the target still holds (a rank below the multiple stays as it is); up for energy and
   * VBMF rules, so the energy is still kept (at most the method's largest rank). Not for explicit ranks or budgets.
   */
  roundTo?: number;
};

/** The kind of `rule`; throws unless exactly one kind is given. */
export function rankRuleKind(rule: unknown): RankRuleKind {
  if (!rule || typeof rule !== "object") {
    throw new Error("A rank rule is required: { ranks: { layer: K } }, { rank: K }, { energy: 0.9 } or { speedup: 2 }.");
  }
  const kinds = RANK_RULE_KINDS.filter((k) => (rule as Record<string, unknown>)[k] !== undefined);
  if (kinds.length !== 1) {
    throw new Error(
      `A rank rule needs exactly one of 'ranks' ({ layerName: K }), 'rank' (one K for every layer), 'energy' (fraction of Σσ² kept), 'speedup' (per-layer target), 'budget' (all layers' target) or 'vbmf' (true: estimated per layer), got ${kinds.length ? kinds.join(" and ") : "none"}.`,
    );
  }
  return kinds[0];
}

function checkRankValue(rank: unknown, what: string): void {
  const parts = Array.isArray(rank) ? rank : [rank];
  if (parts.length === 0 || !parts.every((k) => Number.isInteger(k) && (k as number) >= 1)) {
    throw new Error(`${what} must be an integer ≥ 1 (or a tuple of them), got ${JSON.stringify(rank)}.`);
  }
}

/** The one validator of rules and plans: throws a message naming the bad field and what to give. */
export function checkPlan(plan: DecompositionPlan): void {
  const kind = rankRuleKind(plan);
  if (kind === "ranks") {
    const ranks = (plan as { ranks: unknown }).ranks;
    if (!ranks || typeof ranks !== "object" || Array.isArray(ranks)) throw new Error("'ranks' must map layer names to ranks, e.g. { conv1: 8 }.");
    for (const [name, k] of Object.entries(ranks)) checkRankValue(k, `ranks['${name}']`);
  } else if (kind === "rank") {
    checkRankValue((plan as { rank: unknown }).rank, "'rank'");
  } else if (kind === "energy") {
    checkEnergyFraction((plan as { energy: number }).energy);
  } else if (kind === "vbmf") {
    if ((plan as { vbmf: unknown }).vbmf !== true) throw new Error(`'vbmf' takes true (estimate each layer's rank), got ${JSON.stringify((plan as { vbmf: unknown }).vbmf)}.`);
    const weaken = (plan as { weaken?: unknown }).weaken;
    if (weaken !== undefined && !(typeof weaken === "number" && weaken > 0 && weaken <= 1)) throw new Error(`'weaken' must be a number in (0, 1] (1: EVBMF's rank; smaller keeps more), got ${JSON.stringify(weaken)}.`);
  } else if (kind === "speedup") {
    checkSpeedupTarget((plan as { speedup: number }).speedup);
  } else {
    const { budget, allocation } = plan as { budget: number; allocation?: string };
    checkSpeedupTarget(budget);
    if (allocation !== undefined && allocation !== "exact" && allocation !== "greedy") {
      throw new Error(`Budget allocation must be "exact" or "greedy", got '${String(allocation)}'.`);
    }
  }
  if (plan.bn !== undefined && !BN_PLACEMENTS.includes(plan.bn)) {
    throw new Error(`Plan bn must be one of ${BN_PLACEMENTS.join(", ")}, got '${String(plan.bn)}'.`);
  }
  if (plan.layers !== undefined && !(Array.isArray(plan.layers) && plan.layers.every((n) => typeof n === "string"))) {
    throw new Error("Plan 'layers' must be an array of layer names.");
  }
  if (plan.method !== undefined) factorizationMethod(plan.method);
  if (plan.roundTo !== undefined) {
    if (!(Number.isInteger(plan.roundTo) && plan.roundTo >= 1)) throw new Error(`Plan roundTo must be a positive integer (e.g. 4 or 8), got ${JSON.stringify(plan.roundTo)}.`);
    if (!["speedup", "energy", "vbmf"].includes(kind)) throw new Error(`Plan roundTo applies to speedup, energy and vbmf rules, not to '${kind}': give the rounded ranks themselves.`);
  }
}

/** `rank` rounded to a multiple of `multiple`: down (a rank below the multiple stays) or up (at most `max`). */
export function roundRank(rank: number, multiple: number, direction: "down" | "up", max: number): number {
  if (direction === "down") return rank < multiple ? rank : Math.floor(rank / multiple) * multiple;
  return Math.min(max, Math.ceil(rank / multiple) * multiple);
}

/** The method of a plan (default tai). */
export function planMethod(plan: DecompositionPlan): FactorizationMethod {
  return factorizationMethod(plan.method ?? DEFAULT_METHOD);
}

/** The names a plan itself names (ranks' keys, then filtered by `layers`), or undefined for "every eligible layer". */
export function namedLayers(plan: DecompositionPlan): string[] | undefined {
  if ("ranks" in plan && plan.ranks) {
    const names = Object.keys(plan.ranks);
    return plan.layers ? names.filter((n) => plan.layers!.includes(n)) : names;
  }
  return plan.layers;
}

/** True when the rule reads the kernel's spectrum (so the caller analyses the kernel first). */
export function needsSpectrum(rule: RankRule): boolean {
  return ["energy", "vbmf", "budget"].includes(rankRuleKind(rule));
}

/** A budget rule: its ranks come from all layers together (allocateRanks), not one layer at a time. */
export function isBudgetRule(rule: RankRule): rule is Extract<RankRule, { budget: number }> {
  return rankRuleKind(rule) === "budget";
}

/** What resolveRank knows of one layer. */
export interface LayerForRank {
  name: string;
  size: KernelSize;
  /** With the input size: needed by speed-up rules. */
  spec?: ConvSpec;
  /** The method's spectrum of the kernel: needed by energy rules. */
  spectrum?: ArrayLike<number>;
}

/** A short description for logs and reports: "2× theoretical speed-up per layer", "rank 8 in every layer". */
export function describeRankRule(rule: RankRule): string {
  const kind = rankRuleKind(rule);
  if (kind === "ranks") return `ranks ${JSON.stringify((rule as { ranks: object }).ranks)}`;
  if (kind === "rank") return `rank ${JSON.stringify((rule as { rank: Rank }).rank)} in every eligible layer`;
  if (kind === "energy") return `${(rule as { energy: number }).energy * 100}% of each layer's Σσ² kept`;
  if (kind === "vbmf") {
    const k = (rule as { weaken?: number }).weaken;
    return k !== undefined && k !== 1 ? `EVBMF's rank estimate per layer, weakened by ${k} (MUSCO)` : "EVBMF's rank estimate per layer";
  }
  if (kind === "budget") {
    const r = rule as { budget: number; allocation?: string };
    return `${r.budget}× theoretical speed-up of all chosen layers together (ranks allocated ${r.allocation === "greedy" ? "greedily" : "exactly"})`;
  }
  return `${(rule as { speedup: number }).speedup}× theoretical speed-up per layer`;
}

/**
 * The rank `rule` gives `layer` under `method`, checked against the layer's bounds (error names the
 * layer). `ranks` rules that do not name the layer give undefined. Validate the rule first (checkPlan).
 */
export function resolveRank(rule: RankRule, layer: LayerForRank, method: FactorizationMethod): Rank | undefined {
  const spectrum = (): ArrayLike<number> => {
    if (!layer.spectrum) throw new Error(`Layer '${layer.name}': a${kind === "energy" ? "n" : ""} ${kind} rule needs the kernel's spectrum (method ${method.name} gives none).`);
    return layer.spectrum;
  };
  const kind = rankRuleKind(rule);
  let rank: Rank;
  switch (kind) {
    case "budget":
      throw new Error("A budget rule allocates ranks for all layers together: resolve it with allocateRanks (decomposeModel does), not one layer at a time.");
    case "ranks": {
      const ranks = (rule as { ranks: Record<string, Rank> }).ranks;
      if (!(layer.name in ranks)) return undefined;
      rank = ranks[layer.name];
      break;
    }
    case "rank":
      rank = (rule as { rank: Rank }).rank;
      break;
    case "vbmf": {
      const { kh, kw, inC, outC } = layer.size;
      const full = maxRank(layer.size);
      const estimate = Math.min(Math.max(1, vbmfRank(spectrum(), inC * kh, outC * kw).rank), full);
      const k = (rule as { weaken?: number }).weaken ?? 1;
      rank = Math.max(estimate, Math.floor(full - k * (full - estimate)));
      break;
    }
    case "energy":
      rank = rankForEnergy(spectrum(), (rule as { energy: number }).energy);
      break;
    case "speedup":
      if (!layer.spec) {
        throw new Error(`Layer '${layer.name}' has no fixed input height/width, so a speedup target cannot be turned into a rank: give { ranks } or { rank }.`);
      }
      rank = rankForSpeedup(layer.spec, (rule as { speedup: number }).speedup, method);
      break;
  }
  const multiple = (rule as { roundTo?: number }).roundTo;
  if (multiple !== undefined && multiple > 1) {
    const direction = kind === "speedup" ? "down" : "up";
    const max = method.maxRank(layer.size);
    rank = typeof rank === "number" ? roundRank(rank, multiple, direction, max as number) : rank.map((r, i) => roundRank(r, multiple, direction, (max as readonly number[])[i]));
  }
  method.checkRank(layer.size, rank, layer.name);
  return rank;
}
