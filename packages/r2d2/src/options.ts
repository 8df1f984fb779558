/**
 * Options of the ridge-regression inner solver (R2-D2), validated with zod. Every choice is an
 * option: whether λ, α and β are meta-learned, their initial values, the bias column, the form of
 * the closed-form solve.
 */
import { z } from 'zod';
import { parseOptions } from '@metalearn/core';
import type { RidgeForm } from './ridge-regression.js';

/**
 * Options of {@link createRidgeSolver}.
 * - `lambdaInit` (default 1): the ridge regulariser `λ > 0` (initial value when learned).
 * - `learnLambda` (default true): meta-learn `λ`, stored as `logLambda = ln λ` in `solverParams`
 *   (so that it stays positive); otherwise `λ = lambdaInit` is a constant.
 * - `alphaInit` (default 1): the output scale `α` (1, as MetaOptNet's reimplementation of R2-D2).
 * - `learnAlpha` (default true): meta-learn `α` (`solverParams.alpha`).
 * - `betaInit` (default 0): the output offset `β`.
 * - `learnBeta` (default true): meta-learn `β` (`solverParams.beta`). A scalar `β` shifts every
 *   logit alike, so softmax cross-entropy is invariant to it (its meta-gradient is zero in
 *   classification); it matters for regression tasks.
 * - `bias` (default true): append a constant-1 feature, so `W` carries a per-output bias
 *   (regularised by `λ` like the other weights), as in R2-D2.
 * - `form` (default `'auto'`): `'woodbury'` (`N_s × N_s` system), `'primal'` (`D × D`), or
 *   `'auto'`: Woodbury when `N_s < D` (see {@link ridgeWeights}).
 */
export interface RidgeSolverOptions {
  readonly lambdaInit?: number;
  readonly learnLambda?: boolean;
  readonly alphaInit?: number;
  readonly learnAlpha?: boolean;
  readonly betaInit?: number;
  readonly learnBeta?: boolean;
  readonly bias?: boolean;
  readonly form?: RidgeForm;
}

/** The options with defaults filled in. */
export type ResolvedRidgeSolverOptions = Required<RidgeSolverOptions>;

/** The zod schema of {@link RidgeSolverOptions} (unknown keys are rejected). */
export const ridgeSolverOptionsSchema = z
  .object({
    lambdaInit: z.number().positive().finite().optional(),
    learnLambda: z.boolean().optional(),
    alphaInit: z.number().finite().optional(),
    learnAlpha: z.boolean().optional(),
    betaInit: z.number().finite().optional(),
    learnBeta: z.boolean().optional(),
    bias: z.boolean().optional(),
    form: z.enum(['auto', 'woodbury', 'primal']).optional(),
  })
  .strict();

/**
 * Validates and completes the options.
 * @param options - user options (plain JSON from a config file or CLI flags, or code).
 * @param caller - the function asking, for error messages.
 * @returns every option, defaults filled in.
 * @throws MetaLearnError `invalidArgument` naming the offending option and the value given, e.g.
 *   `createRidgeSolver: options.lambdaInit: Too small: expected number to be >0 (got -1)`.
 */
export function resolveRidgeSolverOptions(options: unknown, caller = 'createRidgeSolver'): ResolvedRidgeSolverOptions {
  const o = parseOptions(ridgeSolverOptionsSchema, options ?? {}, caller);
  return {
    lambdaInit: o.lambdaInit ?? 1,
    learnLambda: o.learnLambda ?? true,
    alphaInit: o.alphaInit ?? 1,
    learnAlpha: o.learnAlpha ?? true,
    betaInit: o.betaInit ?? 0,
    learnBeta: o.learnBeta ?? true,
    bias: o.bias ?? true,
    form: o.form ?? 'auto',
  };
}
