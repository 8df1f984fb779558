/**
 * Options of the backprop learner, validated with zod (shared by `createLearner` and the
 * `'backprop'` learner plugin).
 */
import { z } from 'zod';
import { MetaLearnError } from '../errors.js';
import { parseOptions } from '../options.js';

/** Hyperparameters of the outer loop (everything but the composed parts, task and seed). */
export interface OuterLoopOptions {
  /** `beta`, the meta learning rate (initial rate under a schedule), finite and > 0. */
  readonly outerLr: number;
  /** The outer optimizer; default `'adam'` (PyTorch/optax defaults). */
  readonly optimizer?: 'adam' | 'sgd';
  /** `'constant'` (default) or `'cosine'` annealing from `outerLr` to `minLr` over `totalSteps`. */
  readonly outerLrSchedule?: 'constant' | 'cosine';
  /** Steps `T` of the cosine schedule (required with `'cosine'`). */
  readonly totalSteps?: number;
  /** Final rate of the cosine schedule, default 0. */
  readonly minLr?: number;
  /** Maximum global norm of the meta-gradient (clip by global norm); default: no clipping. */
  readonly gradClip?: number;
  /**
   * `'auto'` (default): a meta-batch whose tasks all have the same shapes runs as one
   * task-batched computation when the solver, backbone and head support it (`adaptTasks`,
   * `applyTasks`), else task by task; `'off'`: always task by task. Same values either way.
   */
  readonly vectorise?: 'auto' | 'off';
}

/** The zod schema of {@link OuterLoopOptions} (unknown keys rejected). */
export const outerLoopOptionsSchema = z
  .object({
    outerLr: z.number().positive().finite(),
    optimizer: z.enum(['adam', 'sgd']).optional(),
    outerLrSchedule: z.enum(['constant', 'cosine']).optional(),
    totalSteps: z.number().int().min(1).optional(),
    minLr: z.number().min(0).finite().optional(),
    gradClip: z.number().positive().finite().optional(),
    vectorise: z.enum(['auto', 'off']).optional(),
  })
  .strict();

/**
 * Validates outer-loop options.
 * @param options - plain values (code, config file or CLI flags).
 * @param caller - for messages, e.g. `createLearner`.
 * @returns the options, typed.
 * @throws MetaLearnError `invalidArgument` naming the option, e.g.
 *   `createLearner: options.outerLr: Too small: expected number to be >0 (got 0)`.
 */
export function parseOuterLoopOptions(options: unknown, caller: string): OuterLoopOptions {
  const o = parseOptions(outerLoopOptionsSchema, options, caller);
  if (o.outerLrSchedule === 'cosine' && o.totalSteps === undefined) {
    throw new MetaLearnError('invalidArgument', `${caller}: options.totalSteps is required with outerLrSchedule 'cosine'`);
  }
  if (o.outerLrSchedule === 'cosine' && (o.minLr ?? 0) > o.outerLr) {
    throw new MetaLearnError('invalidArgument', `${caller}: options.minLr must be <= options.outerLr (${o.outerLr}), got ${o.minLr}`);
  }
  return o;
}
