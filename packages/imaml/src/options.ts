/**
 * Options of the implicit (iMAML) inner solver, validated with zod: every choice is an option.
 */
import { z } from 'zod';
import { MetaLearnError, parseOptions } from '@metalearn/core';
import type { ImplicitGradientOptions, ImplicitHvpMode } from './implicit-gradient-options.js';
import type { InnerOptimizerName } from './proximal.js';

/**
 * Options of {@link createImplicitSolver}.
 * - `lambda` (default 2, as TorchOpt's iMAML Omniglot example): the proximal strength `λ > 0` of
 *   the inner problem `min_phi L_support(phi) + (λ/2)||phi - theta||²`.
 * - `innerSteps` (default 5): optimizer steps `k >= 1` on that problem during meta-training.
 * - `evalInnerSteps` (default `innerSteps`): steps when `metaTraining` is false.
 * - `innerLr` (default 0.1, TorchOpt's example): the inner step size.
 * - `innerOptimizer` (default `'sgd'`, iMAML-GD): `'sgd'`, `'momentum'` (heavy ball),
 *   `'nesterov'` (Nesterov's accelerated gradient, which the paper suggests) or `'adam'`.
 * - `innerMomentum` (default 0.9): the momentum of `'momentum'` and `'nesterov'`, in `(0, 1)`.
 * - `cgSteps` (default 5, as the paper's and TorchOpt's experiments): conjugate-gradient
 *   iterations for the meta-gradient; 0 gives the first-order approximation `g = ∇_phi L_query`.
 * - `cgDamping` (default 0) and `lambdaDamping` (default 0): damping `μ`, `δ` of the meta-gradient's
 *   linear system `((1 + μ) I + H/(λ + δ)) g = ∇_phi L_query` (0 and 0: the paper's eq. 6). The
 *   official code's Omniglot command runs `μ = 1` (`--cg_damping 1`) and `δ = 10` (its
 *   `lam_damping`); see {@link ImplicitGradientOptions}. `δ` decouples the curvature weight of the
 *   backward pass from the inner problem's `λ`; `μ` scales the meta-gradient by about `1/(1 + μ)`
 *   (`cgSteps: 0` gives `∇_phi L_query / (1 + μ)`).
 * - `cgTol` (default 1e-6): CG's relative residual tolerance, per task (task by task CG stops
 *   there; task-batched, a task whose residual reaches it keeps its solution while the others go on).
 * - `hvp` (default `'exact'`): Hessian-vector products by double backward, or `'finiteDifference'`
 *   (support gradients at shifted points, no second-order graph).
 * - `fdStep` (default 1e-2): finite-difference probe length `||r v||` (so `r = fdStep / ||v||`).
 * - `fdScheme` (default `'central'`): `'forward'` (error `O(r)`, one support gradient per product)
 *   or `'central'` (`O(r²)`, two).
 */
export interface ImplicitSolverOptions {
  readonly lambda?: number;
  readonly innerSteps?: number;
  readonly evalInnerSteps?: number;
  readonly innerLr?: number;
  readonly innerOptimizer?: InnerOptimizerName;
  readonly innerMomentum?: number;
  readonly cgSteps?: number;
  readonly cgDamping?: number;
  readonly lambdaDamping?: number;
  readonly cgTol?: number;
  readonly hvp?: ImplicitHvpMode;
  readonly fdStep?: number;
  readonly fdScheme?: 'forward' | 'central';
}

/** The options with defaults filled in. */
export type ResolvedImplicitSolverOptions = Required<ImplicitSolverOptions>;

const positiveInt = z.number().int().min(1);

/** The zod schema of {@link ImplicitSolverOptions} (unknown keys are rejected). */
export const implicitSolverOptionsSchema = z
  .object({
    lambda: z.number().positive().finite().optional(),
    innerSteps: positiveInt.optional(),
    evalInnerSteps: positiveInt.optional(),
    innerLr: z.number().positive().finite().optional(),
    innerOptimizer: z.enum(['sgd', 'momentum', 'nesterov', 'adam']).optional(),
    innerMomentum: z.number().gt(0).lt(1).optional(),
    cgSteps: z.number().int().min(0).optional(),
    cgDamping: z.number().min(0).finite().optional(),
    lambdaDamping: z.number().min(0).finite().optional(),
    cgTol: z.number().min(0).finite().optional(),
    hvp: z.enum(['exact', 'finiteDifference']).optional(),
    fdStep: z.number().positive().finite().optional(),
    fdScheme: z.enum(['forward', 'central']).optional(),
  })
  .strict();

/**
 * Validates and completes the options.
 * @param options - user options (plain JSON from a config file or CLI flags, or code).
 * @param caller - the function asking, for error messages.
 * @returns every option, defaults filled in.
 * @throws MetaLearnError `invalidArgument` naming the offending option and the value given, e.g.
 *   `createImplicitSolver: options.lambda: Too small: expected number to be >0 (got 0)`.
 */
export function resolveImplicitSolverOptions(options: unknown, caller = 'createImplicitSolver'): ResolvedImplicitSolverOptions {
  const o = parseOptions(implicitSolverOptionsSchema, options ?? {}, caller);
  const innerOptimizer = o.innerOptimizer ?? 'sgd';
  if (o.innerMomentum !== undefined && innerOptimizer !== 'momentum' && innerOptimizer !== 'nesterov') {
    throw new MetaLearnError('invalidArgument', `${caller}: options.innerMomentum needs options.innerOptimizer 'momentum' or 'nesterov', got '${innerOptimizer}'`);
  }
  const innerSteps = o.innerSteps ?? 5;
  return {
    lambda: o.lambda ?? 2,
    innerSteps,
    evalInnerSteps: o.evalInnerSteps ?? innerSteps,
    innerLr: o.innerLr ?? 0.1,
    innerOptimizer,
    innerMomentum: o.innerMomentum ?? 0.9,
    cgSteps: o.cgSteps ?? 5,
    cgDamping: o.cgDamping ?? 0,
    lambdaDamping: o.lambdaDamping ?? 0,
    cgTol: o.cgTol ?? 1e-6,
    hvp: o.hvp ?? 'exact',
    fdStep: o.fdStep ?? 1e-2,
    fdScheme: o.fdScheme ?? 'central',
  };
}

/**
 * The options of the implicit meta-gradient (the backward pass) that a solver's resolved options
 * select: `lambda`, `cgSteps`, `cgDamping`, `lambdaDamping`, `cgTol`, `hvp`, `fdStep`, `fdScheme`.
 * @param o - resolved options ({@link resolveImplicitSolverOptions}).
 * @returns the options of `implicitFastWeights` and `implicitTaskFastWeights`.
 */
export function implicitGradientOptionsOf(o: ResolvedImplicitSolverOptions): ImplicitGradientOptions {
  return {
    lambda: o.lambda, cgSteps: o.cgSteps, cgDamping: o.cgDamping, lambdaDamping: o.lambdaDamping,
    cgTol: o.cgTol, hvp: o.hvp, fdStep: o.fdStep, fdScheme: o.fdScheme,
  };
}
