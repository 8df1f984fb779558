/**
 * Options of the SVM inner solver (MetaOptNet), validated with zod.
 */
import { z } from 'zod';
import { parseOptions } from '@metalearn/core';

/**
 * Options of {@link createSvmSolver}.
 * - `C` (default 0.1, the official code's `C_reg`): the SVM's regularisation, the cost of a
 *   margin violation; `α_{i,y_i} <= C`. Larger `C` fits the support set harder.
 * - `ridge` (default 1, the official code's `1.0 · I`): `ε > 0` added to the diagonal of the Gram
 *   matrix, `K̃ = K + ε I`, so that the QP is strictly convex even when support embeddings are
 *   duplicated or zero (exactly an SVM on features augmented with `√ε` times a private one-hot
 *   coordinate per support example; see {@link regularisedGram}). Its effect relative to the SVM
 *   on `K` shrinks as feature norms grow.
 * - `scaleInit` (default 1): the logits' scale `γ` (initial value when learned). The official code
 *   meta-trains `γ` from 1 with SGD at 0.1; under Adam at 1e-3 (the CLI's outer rule) `γ` moves about
 *   1e-3 per step and the softmax stays nearly flat for thousands of steps: use 10 there (Omniglot
 *   20-way 1-shot, 95 minutes: 91.38% with 10, bench/results/README.md; the 20-minute 5-way run
 *   with 1 gave 83.08% at 5-way).
 * - `learnScale` (default true): meta-learn `γ` (`solverParams.scale`), as the paper does.
 */
export interface SvmSolverOptions {
  readonly C?: number;
  readonly ridge?: number;
  readonly scaleInit?: number;
  readonly learnScale?: boolean;
}

/** The options with defaults filled in. */
export type ResolvedSvmSolverOptions = Required<SvmSolverOptions>;

/** The zod schema of {@link SvmSolverOptions} (unknown keys are rejected). */
export const svmSolverOptionsSchema = z
  .object({
    C: z.number().positive().finite().optional(),
    ridge: z.number().positive().finite().optional(),
    scaleInit: z.number().finite().optional(),
    learnScale: z.boolean().optional(),
  })
  .strict();

/**
 * Validates and completes the options.
 * @param options - user options (plain JSON from a config file or CLI flags, or code).
 * @param caller - the function asking, for error messages.
 * @returns every option, defaults filled in.
 * @throws MetaLearnError `invalidArgument` naming the offending option and the value given, e.g.
 *   `createSvmSolver: options.C: Too small: expected number to be >0 (got 0)`.
 */
export function resolveSvmSolverOptions(options: unknown, caller = 'createSvmSolver'): ResolvedSvmSolverOptions {
  const o = parseOptions(svmSolverOptionsSchema, options ?? {}, caller);
  return { C: o.C ?? 0.1, ridge: o.ridge ?? 1, scaleInit: o.scaleInit ?? 1, learnScale: o.learnScale ?? true };
}
