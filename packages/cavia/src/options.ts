/**
 * Options of the context inner solver (CAVIA), validated with zod.
 */
import { z } from 'zod';
import { parseOptions } from '@metalearn/core';

/** The order of the meta-gradient through the inner loop. */
export type ContextOrder = 'second' | 'first';

/**
 * Options of {@link createContextSolver}.
 * - `contextDim` (default 5): `C`, the size of the context vector `phi`. It must equal the
 *   backbone's `contextDim` (core's MLP concatenates the context to its input; Conv-4 reads it by
 *   FiLM). CAVIA's reference code uses 5 for the sinusoid and 100 for mini-ImageNet.
 * - `innerSteps` (default 1): gradient steps `K` on the support loss during meta-training (CAVIA
 *   uses 1 on the sinusoid, 2 on mini-ImageNet); 0 keeps the context at zero.
 * - `evalInnerSteps` (default `innerSteps`): steps when `metaTraining` is false.
 * - `innerLr` (default 1): the context learning rate `alpha` (CAVIA's `lr_inner`, 1.0 in every
 *   supervised experiment of the paper).
 * - `order` (default `'second'`): `'first'` treats the inner gradients as constants, so the
 *   adapted context is a constant of the meta-gradient (CAVIA's `--first_order`).
 */
export interface ContextSolverOptions {
  readonly contextDim?: number;
  readonly innerSteps?: number;
  readonly evalInnerSteps?: number;
  readonly innerLr?: number;
  readonly order?: ContextOrder;
}

/** The options with defaults filled in. */
export type ResolvedContextSolverOptions = Required<ContextSolverOptions>;

/** The zod schema of {@link ContextSolverOptions} (unknown keys are rejected). */
export const contextSolverOptionsSchema = z
  .object({
    contextDim: z.number().int().min(1).optional(),
    innerSteps: z.number().int().min(0).optional(),
    evalInnerSteps: z.number().int().min(0).optional(),
    innerLr: z.number().positive().finite().optional(),
    order: z.enum(['second', 'first']).optional(),
  })
  .strict();

/**
 * Validates and completes the options.
 * @param options - user options (plain JSON from a config file or CLI flags, or code).
 * @param caller - the function asking, for error messages.
 * @returns every option, defaults filled in.
 * @throws MetaLearnError `invalidArgument` naming the offending option and the value given, e.g.
 *   `createContextSolver: options.contextDim: Too small: expected number to be >=1 (got 0)`.
 */
export function resolveContextSolverOptions(options: unknown, caller = 'createContextSolver'): ResolvedContextSolverOptions {
  const o = parseOptions(contextSolverOptionsSchema, options ?? {}, caller);
  const innerSteps = o.innerSteps ?? 1;
  return {
    contextDim: o.contextDim ?? 5,
    innerSteps,
    evalInnerSteps: o.evalInnerSteps ?? innerSteps,
    innerLr: o.innerLr ?? 1,
    order: o.order ?? 'second',
  };
}
