/**
 * Options of the gradient-descent inner solver, validated with zod: every hyperparameter is an
 * option, never a subclass (MAML, first-order MAML, Meta-SGD, ANIL and MAML++ are settings of one
 * solver).
 */
import { z } from 'zod';
import { MetaLearnError, parseOptions } from '@metalearn/core';

/** The order of the meta-gradient through the inner loop. */
export type DerivativeOrder = 'second' | 'first';

/**
 * Options of {@link createGradientSolver}.
 * - `innerSteps` (default 1): gradient steps `K` on the support set during meta-training; 0 gives
 *   the pretrained baseline of Finn et al. 2017 (sec. 5.1): theta is trained on every task's query
 *   set without adaptation (joint training), and adapted only at evaluation (`evalInnerSteps`).
 * - `evalInnerSteps` (default `innerSteps`): steps when `metaTraining` is false (MAML evaluates
 *   the sinusoid after 1 and 10 steps of a net meta-trained with 1).
 * - `innerLr` (default 0.01): the inner learning rate `alpha`, and the initial value of every
 *   learned rate (Meta-SGD, LSLR).
 * - `order` (default `'second'`): `'first'` treats the inner gradients as constants (FOMAML).
 * - `metaSgd` (default false): a learned rate per parameter element (Meta-SGD).
 * - `perStepLrs` (default false): a learned rate per parameter tensor and inner step (MAML++ LSLR);
 *   with `metaSgd` too, a learned rate per element and step. Evaluation steps beyond `innerSteps`
 *   reuse the last step's rate (as Conv-4's per-step batch norm reuses its last set).
 * - `adapt` (default: every parameter): a regular expression (string or RegExp) selecting the names
 *   of the parameters adapted in the inner loop, e.g. `'^head/'` for ANIL.
 * - `multiStepLoss: { annealSteps }`: MAML++'s multi-step loss, with per-step weights annealed to the
 *   final step over `annealSteps` meta-steps, after which only the final step counts.
 * - `derivativeOrderAnnealing: { firstOrderUntil }`: first order for meta-steps `< firstOrderUntil`,
 *   second order afterwards (needs `order: 'second'`).
 */
export interface GradientSolverOptions {
  readonly innerSteps?: number;
  readonly evalInnerSteps?: number;
  readonly innerLr?: number;
  readonly order?: DerivativeOrder;
  readonly metaSgd?: boolean;
  readonly perStepLrs?: boolean;
  readonly adapt?: string | RegExp;
  readonly multiStepLoss?: { readonly annealSteps: number };
  readonly derivativeOrderAnnealing?: { readonly firstOrderUntil: number };
}

/** The options with defaults filled in and the pattern compiled. */
export interface ResolvedGradientSolverOptions {
  readonly innerSteps: number;
  readonly evalInnerSteps: number;
  readonly innerLr: number;
  readonly order: DerivativeOrder;
  readonly metaSgd: boolean;
  readonly perStepLrs: boolean;
  /** `undefined`: adapt every parameter. */
  readonly adapt: RegExp | undefined;
  readonly multiStepLoss: { readonly annealSteps: number } | undefined;
  readonly derivativeOrderAnnealing: { readonly firstOrderUntil: number } | undefined;
}

const positiveInt = z.number().int().min(1);

/** The zod schema of {@link GradientSolverOptions} (unknown keys are rejected). */
export const gradientSolverOptionsSchema = z
  .object({
    innerSteps: z.number().int().min(0).optional(),
    evalInnerSteps: positiveInt.optional(),
    innerLr: z.number().positive().finite().optional(),
    order: z.enum(['second', 'first']).optional(),
    metaSgd: z.boolean().optional(),
    perStepLrs: z.boolean().optional(),
    adapt: z.union([z.string().min(1), z.instanceof(RegExp)]).optional(),
    multiStepLoss: z.object({ annealSteps: positiveInt }).strict().optional(),
    derivativeOrderAnnealing: z.object({ firstOrderUntil: z.number().int().min(0) }).strict().optional(),
  })
  .strict();

/**
 * Validates and completes the options.
 * @param options - user options (plain JSON from a config file, or code).
 * @param caller - the function name for error messages.
 * @returns the resolved options.
 * @throws MetaLearnError `invalidArgument` naming the offending option, e.g.
 *   `createGradientSolver: options.innerSteps: Too small: expected number to be >=0 (got -1)` ({@link parseOptions}).
 */
export function resolveGradientSolverOptions(options: unknown, caller = 'createGradientSolver'): ResolvedGradientSolverOptions {
  const o = parseOptions(gradientSolverOptionsSchema, options ?? {}, caller);
  const innerSteps = o.innerSteps ?? 1;
  const evalInnerSteps = o.evalInnerSteps ?? innerSteps;
  const perStepLrs = o.perStepLrs ?? false;
  const order = o.order ?? 'second';
  if (innerSteps === 0 && (perStepLrs || o.multiStepLoss !== undefined || o.metaSgd === true)) {
    throw new MetaLearnError('invalidArgument', `${caller}: options.innerSteps 0 (pretraining without adaptation) leaves learned inner rates untrained; it cannot be combined with perStepLrs, metaSgd or multiStepLoss`);
  }
  if (o.derivativeOrderAnnealing !== undefined && order !== 'second') {
    throw new MetaLearnError('invalidArgument', `${caller}: options.derivativeOrderAnnealing needs options.order 'second' (it switches from first to second order), got '${order}'`);
  }
  let adapt: RegExp | undefined;
  if (o.adapt instanceof RegExp) {
    adapt = new RegExp(o.adapt.source, o.adapt.flags.replace(/[gy]/g, '')); // stateless test()
  } else if (typeof o.adapt === 'string') {
    try {
      adapt = new RegExp(o.adapt);
    } catch (e) {
      throw new MetaLearnError('invalidArgument', `${caller}: options.adapt must be a valid regular expression, got ${JSON.stringify(o.adapt)}`, { cause: e });
    }
  }
  return {
    innerSteps,
    evalInnerSteps,
    innerLr: o.innerLr ?? 0.01,
    order,
    metaSgd: o.metaSgd ?? false,
    perStepLrs,
    adapt,
    multiStepLoss: o.multiStepLoss,
    derivativeOrderAnnealing: o.derivativeOrderAnnealing,
  };
}
