/**
 * Options of the Reptile learner, validated with zod. Every choice of the paper and its reference
 * code is an option: inner optimizer (SGD, or Adam with its moments reset per task), inner steps
 * and mini-batches at meta-training and evaluation, which sets the inner loop trains on, the
 * annealing of the meta step size, and the transductive evaluation protocol.
 */
import { z } from 'zod';
import { MetaLearnError, parseOptions } from '@metalearn/core';

/** The optimizer of Reptile's inner loop. */
export type ReptileInnerOptimizer = 'sgd' | 'adam';

/** Which examples of a task the inner loop trains on at meta-training. */
export type ReptileInnerSet = 'support+query' | 'support';

/**
 * Options of {@link createReptileLearner}.
 * - `outerLr` (required): `epsilon_0`, the meta step size of `theta <- theta + epsilon (mean_i phi_i - theta)`
 *   (the reference code's `--meta-step`: 1 on Omniglot and transductive mini-ImageNet).
 * - `outerLrSchedule` (default `'constant'`): `'linear'` anneals `epsilon` from `outerLr` to
 *   `finalOuterLr` over `totalSteps` meta-steps, then holds it.
 * - `totalSteps`: `T` of the linear schedule (required with `'linear'`).
 * - `finalOuterLr` (default 0): the final `epsilon` of the linear schedule (`--meta-step-final`).
 * - `innerOptimizer` (default `'adam'`, as the reference code): `'sgd'` (`phi <- phi - innerLr g`)
 *   or `'adam'` (core's Adam; its moments and step count start at zero for every task, so tasks
 *   are independent. The reference code instead keeps TensorFlow's Adam slots across tasks and
 *   meta-steps, since it resets only the trainable variables; with `beta1 = 0` that carries the
 *   second moment and the bias-correction count over.)
 * - `adam` (default `{ beta1: 0 }`): Adam's `beta1`, `beta2` (0.999), `epsilon` (1e-8); the
 *   reference code uses `beta1 = 0`.
 * - `innerLr` (default 1e-3): the inner step size (`--learning-rate`).
 * - `innerSteps` (default 5): inner iterations `k` per task at meta-training (`--inner-iters`).
 * - `evalInnerSteps` (default `innerSteps`): iterations at evaluation (`--eval-iters`).
 * - `innerBatchSize` (default: every example, full-batch steps): examples per inner iteration
 *   (`--inner-batch`); mini-batches are drawn as the reference code does (see {@link miniBatchIndices}).
 * - `evalInnerBatchSize` (default `innerBatchSize`): at evaluation (`--eval-batch`).
 * - `replacement` (default false): draw each mini-batch independently (`--replacement`).
 * - `innerSet` (default `'support+query'`): the examples of a task the inner loop trains on at
 *   meta-training. Reptile has no query loss: the reference code trains on every example it samples
 *   for a task (`--train-shots` per class), which is the union of our support and query sets;
 *   `'support'` trains on the support set only. Evaluation always adapts on the support set.
 * - `transductive` (default false, as the reference code): how batch norm sees the query set at
 *   evaluation. `true`: the query set is one batch (the paper's "transduction" numbers);
 *   `false`: each query example is predicted in one batch with the whole support set, so no query
 *   example sees another (the reference code's non-transductive `_test_predictions`). The two are
 *   equal for a backbone without batch norm.
 */
export interface ReptileOptions {
  readonly outerLr: number;
  readonly outerLrSchedule?: 'constant' | 'linear';
  readonly totalSteps?: number;
  readonly finalOuterLr?: number;
  readonly innerOptimizer?: ReptileInnerOptimizer;
  readonly adam?: { readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number };
  readonly innerLr?: number;
  readonly innerSteps?: number;
  readonly evalInnerSteps?: number;
  readonly innerBatchSize?: number;
  readonly evalInnerBatchSize?: number;
  readonly replacement?: boolean;
  readonly innerSet?: ReptileInnerSet;
  readonly transductive?: boolean;
}

/** The options with defaults filled in (`undefined` batch size: every example). */
export interface ResolvedReptileOptions {
  readonly outerLr: number;
  readonly outerLrSchedule: 'constant' | 'linear';
  readonly totalSteps: number | undefined;
  readonly finalOuterLr: number;
  readonly innerOptimizer: ReptileInnerOptimizer;
  readonly adam: { readonly beta1: number; readonly beta2: number; readonly epsilon: number };
  readonly innerLr: number;
  readonly innerSteps: number;
  readonly evalInnerSteps: number;
  readonly innerBatchSize: number | undefined;
  readonly evalInnerBatchSize: number | undefined;
  readonly replacement: boolean;
  readonly innerSet: ReptileInnerSet;
  readonly transductive: boolean;
}

const positiveInt = z.number().int().min(1);
const rate = z.number().positive().finite();

/** The zod schema of {@link ReptileOptions} (unknown keys are rejected). */
export const reptileOptionsSchema = z
  .object({
    outerLr: rate,
    outerLrSchedule: z.enum(['constant', 'linear']).optional(),
    totalSteps: positiveInt.optional(),
    finalOuterLr: z.number().min(0).finite().optional(),
    innerOptimizer: z.enum(['sgd', 'adam']).optional(),
    adam: z
      .object({
        beta1: z.number().min(0).lt(1).optional(),
        beta2: z.number().min(0).lt(1).optional(),
        epsilon: rate.optional(),
      })
      .strict()
      .optional(),
    innerLr: rate.optional(),
    innerSteps: z.number().int().min(0).optional(),
    evalInnerSteps: z.number().int().min(0).optional(),
    innerBatchSize: positiveInt.optional(),
    evalInnerBatchSize: positiveInt.optional(),
    replacement: z.boolean().optional(),
    innerSet: z.enum(['support+query', 'support']).optional(),
    transductive: z.boolean().optional(),
  })
  .strict();

/**
 * Validates and completes the options.
 * @param options - plain values (code, config file or CLI flags).
 * @param caller - the function asking, for messages, e.g. `createReptileLearner`.
 * @returns every option, defaults filled in.
 * @throws MetaLearnError `invalidArgument` naming the option and the value given, e.g.
 *   `createReptileLearner: options.innerLr: Too small: expected number to be >0 (got 0)`, or
 *   `options.totalSteps is required with outerLrSchedule 'linear'`.
 */
export function resolveReptileOptions(options: unknown, caller = 'createReptileLearner'): ResolvedReptileOptions {
  const o = parseOptions(reptileOptionsSchema, options ?? {}, caller);
  const schedule = o.outerLrSchedule ?? 'constant';
  if (schedule === 'linear' && o.totalSteps === undefined) {
    throw new MetaLearnError('invalidArgument', `${caller}: options.totalSteps is required with outerLrSchedule 'linear' (the meta-steps over which epsilon decays)`);
  }
  if (schedule === 'constant' && (o.finalOuterLr !== undefined || o.totalSteps !== undefined)) {
    throw new MetaLearnError('invalidArgument', `${caller}: options.finalOuterLr and options.totalSteps need outerLrSchedule 'linear' (the schedule is 'constant')`);
  }
  if (o.adam !== undefined && (o.innerOptimizer ?? 'adam') !== 'adam') {
    throw new MetaLearnError('invalidArgument', `${caller}: options.adam needs innerOptimizer 'adam', got '${o.innerOptimizer}'`);
  }
  const innerSteps = o.innerSteps ?? 5;
  return {
    outerLr: o.outerLr,
    outerLrSchedule: schedule,
    totalSteps: o.totalSteps,
    finalOuterLr: o.finalOuterLr ?? 0,
    innerOptimizer: o.innerOptimizer ?? 'adam',
    adam: { beta1: o.adam?.beta1 ?? 0, beta2: o.adam?.beta2 ?? 0.999, epsilon: o.adam?.epsilon ?? 1e-8 },
    innerLr: o.innerLr ?? 1e-3,
    innerSteps,
    evalInnerSteps: o.evalInnerSteps ?? innerSteps,
    innerBatchSize: o.innerBatchSize,
    evalInnerBatchSize: o.evalInnerBatchSize ?? o.innerBatchSize,
    replacement: o.replacement ?? false,
    innerSet: o.innerSet ?? 'support+query',
    transductive: o.transductive ?? false,
  };
}
