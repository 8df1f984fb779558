/**
 * Learning-rate schedules of the outer loop: plain functions from the meta-step to a rate.
 */
import { MetaLearnError } from '../errors.js';

/** A learning-rate schedule: meta-step `t` (0-based count of updates already applied) → rate. */
export type LrSchedule = (step: number) => number;

/**
 * A constant rate.
 * @param lr - finite, >= 0.
 * @throws MetaLearnError `invalidArgument` when `lr` is negative or not finite.
 */
export function constantSchedule(lr: number): LrSchedule {
  if (!(Number.isFinite(lr) && lr >= 0)) throw new MetaLearnError('invalidArgument', `constantSchedule: lr must be a finite number >= 0, got ${lr}`);
  return () => lr;
}

/** Options of {@link cosineSchedule}. */
export interface CosineScheduleOptions {
  /** Rate at step 0, finite and >= `minLr`. */
  readonly initLr: number;
  /** Steps `T` over which the rate decays, an integer >= 1. */
  readonly totalSteps: number;
  /** Rate from step `T` on, >= 0. Default 0. */
  readonly minLr?: number;
}

/**
 * Cosine annealing without restarts (SGDR's single cycle; PyTorch's `CosineAnnealingLR`,
 * optax's `cosine_decay_schedule`), held at `minLr` after `totalSteps`:
 * `lr(t) = minLr + (initLr - minLr) * (1 + cos(pi * min(t, T) / T)) / 2`.
 * MAML++ anneals the meta learning rate this way (Antoniou et al. 2018, sec. 4 "CA").
 *
 * @param options - `initLr`, `totalSteps`, `minLr`.
 * @returns the schedule.
 * @throws MetaLearnError `invalidArgument` on a non-integer or non-positive `totalSteps`, or
 *   rates that are negative, not finite or with `minLr > initLr`.
 * @example cosineSchedule({ initLr: 1e-3, totalSteps: 100, minLr: 1e-5 })(50) // 5.05e-4
 * @see Loshchilov & Hutter 2017, "SGDR", eq. 5.
 */
export function cosineSchedule(options: CosineScheduleOptions): LrSchedule {
  const { initLr, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) {
    throw new MetaLearnError('invalidArgument', `cosineSchedule: totalSteps must be an integer >= 1, got ${totalSteps}`);
  }
  if (!(Number.isFinite(minLr) && minLr >= 0)) throw new MetaLearnError('invalidArgument', `cosineSchedule: minLr must be a finite number >= 0, got ${minLr}`);
  if (!(Number.isFinite(initLr) && initLr >= minLr)) {
    throw new MetaLearnError('invalidArgument', `cosineSchedule: initLr must be a finite number >= minLr (${minLr}), got ${initLr}`);
  }
  return (step: number) => {
    const t = Math.min(Math.max(step, 0), totalSteps);
    return minLr + ((initLr - minLr) * (1 + Math.cos((Math.PI * t) / totalSteps))) / 2;
  };
}
