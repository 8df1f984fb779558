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
 *   Ridge outputs on one-hot targets lie near [0, 1], so with `α = 1` the logits differ by less
 *   than ~1 and the softmax is nearly flat; MetaOptNet learns `α` with SGD at 0.1, which moves it
 *   fast, but with Adam at 1e-3 `α` moves by at most ~1e-3 per meta-step. For classification with
 *   Adam, start at `α ≈ 10`: on Omniglot 20-way 1-shot (Conv-4, meta-batch 4, trained on the
 *   background set, tested on the Vinyals test split, whose alphabets are all evaluation ones)
 *   `alphaInit: 10` tested at 78.3% after 616 meta-steps, about what `alphaInit: 1` reached after
 *   1,677 (79.5%; bench/results/README.md).
 *   Regression keeps `α = 1` (the identity).
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
