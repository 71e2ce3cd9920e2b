/**
 * Learning-rate schedules as pure functions of training progress (no TF.js): the training loop asks
 * for the rate at each step or each epoch and hands it to the optimizer.
 */

/** `step`: multiply by `gamma` every `every` epochs, or at each epoch listed in `milestones`. */
export type LrScheduleSpec =
  | { kind: "constant" }
  | { kind: "step"; gamma?: number; every?: number; milestones?: number[] }
  | { kind: "cosine"; minLearningRate?: number };

export type LrScheduleKind = LrScheduleSpec["kind"];

export interface LrScheduleOptions {
  /** Peak learning rate (reached after warm-up). */
  learningRate: number;
  schedule?: LrScheduleSpec | LrScheduleKind;
  /** Linear warm-up length in epochs (fractions allowed), from learningRate/(warm-up steps) up to the peak. */
  warmupEpochs?: number;
  /** "epoch": one rate per epoch (taken at the epoch's start); "step": updated every optimizer step. */
  per?: "step" | "epoch";
  epochs: number;
  stepsPerEpoch: number;
}

/** Normalise a schedule given by name or spec; bad values raise an Error naming the field. */
export function resolveSchedule(schedule: LrScheduleSpec | LrScheduleKind | undefined): LrScheduleSpec {
  const spec: LrScheduleSpec = typeof schedule === "string" || schedule === undefined ? ({ kind: schedule ?? "constant" } as LrScheduleSpec) : schedule;
  if (spec.kind === "step") {
    const gamma = spec.gamma ?? 0.1;
    if (!(gamma > 0 && gamma <= 1)) throw new Error(`Step schedule gamma must be in (0, 1], got ${gamma}.`);
    if (spec.milestones === undefined) {
      const every = spec.every;
      if (every === undefined || !(every > 0)) {
        throw new Error("Step schedule needs `every` (epochs between decays, > 0) or `milestones` (epochs at which to decay).");
      }
    } else if (spec.milestones.some((m) => !(m > 0))) {
      throw new Error(`Step schedule milestones must be positive epoch numbers, got [${spec.milestones.join(", ")}].`);
    }
    return { ...spec, gamma };
  }
  if (spec.kind === "cosine") {
    const min = spec.minLearningRate ?? 0;
    if (!(min >= 0)) throw new Error(`Cosine schedule minLearningRate must be ≥ 0, got ${min}.`);
    return { ...spec, minLearningRate: min };
  }
  if (spec.kind === "constant") return spec;
  throw new Error(`Unknown learning-rate schedule '${(spec as { kind: string }).kind}': use constant, step or cosine.`);
}

function checkOptions(o: LrScheduleOptions): void {
  if (!(o.learningRate > 0)) throw new Error(`learningRate must be > 0, got ${o.learningRate}.`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new Error(`epochs must be an integer ≥ 1, got ${o.epochs}.`);
  if (!(Number.isInteger(o.stepsPerEpoch) && o.stepsPerEpoch >= 1)) {
    throw new Error(`stepsPerEpoch must be an integer ≥ 1, got ${o.stepsPerEpoch}.`);
  }
  const warm = o.warmupEpochs ?? 0;
  if (!(warm >= 0 && warm < o.epochs)) throw new Error(`warmupEpochs must be in [0, epochs=${o.epochs}), got ${warm}.`);
}

/**
 * Learning rate for `step` (0-based, within the epoch) of `epoch` (0-based). Progress is measured in
 * epochs: t = epoch + step/stepsPerEpoch (per step) or t = epoch (per epoch). Warm-up ramps linearly
 * over its first `warmupEpochs`; the decay then runs over the remaining epochs, so cosine reaches its
 * minimum at the end of training whatever the warm-up.
 */
export function learningRateAt(o: LrScheduleOptions, epoch: number, step = 0): number {
  checkOptions(o);
  const spec = resolveSchedule(o.schedule);
  const per = o.per ?? "epoch";
  const t = per === "step" ? epoch + step / o.stepsPerEpoch : epoch;
  const warm = o.warmupEpochs ?? 0;
  if (warm > 0 && t < warm) {
    // Count the current step/epoch as done so the very first rate is small but not zero.
    const unit = per === "step" ? 1 / o.stepsPerEpoch : 1;
    return o.learningRate * Math.min(1, (t + unit) / warm);
  }
  switch (spec.kind) {
    case "constant":
      return o.learningRate;
    case "step": {
      const gamma = spec.gamma ?? 0.1;
      const decays = spec.milestones
        ? spec.milestones.filter((m) => t >= m).length
        : Math.floor((t + 1e-9) / (spec.every as number));
      return o.learningRate * gamma ** decays;
    }
    case "cosine": {
      const min = spec.minLearningRate ?? 0;
      const span = o.epochs - warm;
      const frac = Math.min(1, Math.max(0, (t - warm) / span));
      return min + (o.learningRate - min) * 0.5 * (1 + Math.cos(Math.PI * frac));
    }
  }
}
