/** How big a run is: `quick` (CI, a first look, minutes) or `full` (the real experiment). */
export type ProfileName = "quick" | "full";

export const PROFILE_NAMES: readonly ProfileName[] = ["quick", "full"];

/** The profile asked for explicitly, else `LOWRANK_PROFILE`, else `quick`. */
export function profileName(explicit?: string): ProfileName {
  const name = explicit ?? process.env.LOWRANK_PROFILE ?? "quick";
  if (!PROFILE_NAMES.includes(name as ProfileName)) {
    throw new Error(`Unknown profile '${name}': use one of ${PROFILE_NAMES.join(", ")} (LOWRANK_PROFILE or --profile).`);
  }
  return name as ProfileName;
}
