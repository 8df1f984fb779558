/**
 * The annealing of Reptile's meta step size `epsilon`.
 */
import { MetaLearnError, type LrSchedule } from '@metalearn/core';

/** Options of {@link linearSchedule}. */
export interface LinearScheduleOptions {
  /** `epsilon_0`, the rate at meta-step 0: finite, >= 0. */
  readonly initLr: number;
  /** The rate from meta-step `totalSteps` on: finite, >= 0 (may exceed `initLr`). */
  readonly finalLr: number;
  /** `T`: meta-steps of the decay, an integer >= 1. */
  readonly totalSteps: number;
}

/**
 * Linear annealing, held at its final value after `T` steps:
 * `lr(t) = (1 - f) initLr + f finalLr` with `f = min(max(t, 0), T) / T`, for meta-step
 * `t = 0, 1, ...` (the number of meta-updates already applied). Reptile's reference code computes
 * `frac_done = i / meta_iters` the same way, so its last update (`i = T - 1`) uses
 * `(1/T) initLr + (1 - 1/T) finalLr`.
 *
 * @param options - `initLr`, `finalLr`, `totalSteps`.
 * @returns the schedule.
 * @throws MetaLearnError `invalidArgument` naming a negative or non-finite rate, or a `totalSteps`
 *   that is not an integer >= 1.
 * @example linearSchedule({ initLr: 1, finalLr: 0, totalSteps: 100 })(25) // 0.75
 * @see Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning Algorithms", sec. 6 and
 *   appendix A (meta step size annealed linearly to 0).
 */
export function linearSchedule(options: LinearScheduleOptions): LrSchedule {
  const { initLr, finalLr, totalSteps } = options;
  if (!(Number.isFinite(initLr) && initLr >= 0)) throw new MetaLearnError('invalidArgument', `linearSchedule: options.initLr must be a finite number >= 0, got ${initLr}`);
  if (!(Number.isFinite(finalLr) && finalLr >= 0)) throw new MetaLearnError('invalidArgument', `linearSchedule: options.finalLr must be a finite number >= 0, got ${finalLr}`);
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) {
    throw new MetaLearnError('invalidArgument', `linearSchedule: options.totalSteps must be an integer >= 1, got ${totalSteps}`);
  }
  return (step: number) => {
    const f = Math.min(Math.max(step, 0), totalSteps) / totalSteps;
    return (1 - f) * initLr + f * finalLr;
  };
}
