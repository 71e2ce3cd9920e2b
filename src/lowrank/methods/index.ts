import type { FactorizationMethod } from "../factorization";
import { cp } from "./cp";
import { jaderberg } from "./jaderberg";
import { tai } from "./tai";
import { pointwiseSvd } from "./svd";
import { tucker2 } from "./tucker2";

export { cp, cpCost, cpDecompose, cpMaxRank, cpMethod, cpReconstruct, type CpFactors, type CpOptions } from "./cp";
export { fitVerticalHorizontal, jaderberg, jaderbergMethod, type FitIteration, type IterativeFit, type IterativeFitOptions } from "./jaderberg";
export { pointwiseSvd } from "./svd";
export { tai } from "./tai";
export { tucker2, tucker2Cost, tucker2Decompose, tucker2Method, tucker2Reconstruct, type Tucker2Factors, type Tucker2Options, type Tucker2Rank } from "./tucker2";

/** Every decomposition method, by name. A new method is one file in this folder and one entry here. */
export const METHODS: Readonly<Record<string, FactorizationMethod>> = { tai, jaderberg, tucker2, cp, svd: pointwiseSvd };
export const METHOD_NAMES: readonly string[] = Object.keys(METHODS);
export const DEFAULT_METHOD = "tai";

/** The method named `name` (default tai); unknown names get the list. */
export function factorizationMethod(name: string = DEFAULT_METHOD): FactorizationMethod {
  const m = METHODS[name];
  if (!m) throw new Error(`Unknown decomposition method '${name}': use one of ${METHOD_NAMES.join(", ")}.`);
  return m;
}
