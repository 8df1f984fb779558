/**
 * The options of the implicit meta-gradient (iMAML's backward pass) and their validation, shared by
 * the per-task path (implicit-gradient.ts), the task-batched path (implicit-gradient-tasks.ts) and
 * the conjugate-gradient solve they both call (implicit-solve.ts).
 */
import { MetaLearnError } from '@metalearn/core';
import type { CgReport } from './conjugate-gradient.js';

/** How the Hessian-vector products of the support loss are computed. */
export type ImplicitHvpMode = 'exact' | 'finiteDifference';

/** Options of `implicitFastWeights` (implicit-gradient.ts) and, without `onCgStop`, `implicitTaskFastWeights`. */
export interface ImplicitGradientOptions {
  /** `λ > 0`, the proximal strength the inner solution was computed with. */
  readonly lambda: number;
  /**
   * `μ >= 0` (default 0): Tikhonov damping of the linear system, which becomes
   * `((1 + μ) I + H/(λ + δ)) g = ∇_phi L_query`. The official code's `--cg_damping` (1 in its Omniglot
   * command), which its `matrix_evaluator` receives as `regu_coef`. With `μ = δ = 0` the system is the
   * paper's eq. 6. The operator is positive definite while `λ_min(H) > -(1 + μ)(λ + δ)` (undamped:
   * `> -λ`); along a direction of non-positive curvature CG stops and returns its iterate. Damping
   * also scales the solution by about `1/(1 + μ)`: `cgSteps: 0` gives `∇_phi L_query / (1 + μ)`.
   */
  readonly cgDamping?: number;
  /**
   * `δ >= 0` (default 0): added to `λ` in the Hessian term of the linear system (see `cgDamping`).
   * The official code's `lam_damping` (10, the default of its `matrix_evaluator`).
   */
  readonly lambdaDamping?: number;
  /** Conjugate-gradient iterations `>= 0` (0: `g = ∇_phi L_query / (1 + μ)`, the first-order approximation). */
  readonly cgSteps: number;
  /** Relative residual tolerance of CG (see {@link conjugateGradient}); default 1e-6. */
  readonly cgTol?: number;
  /**
   * `'exact'` (default): `H v` by double backward (Pearlmutter). `'finiteDifference'`: by two
   * gradients of the support loss (no second-order graph; error `O(r)` forward, `O(r²)` central).
   */
  readonly hvp?: ImplicitHvpMode;
  /**
   * Finite-difference probe length `||r v||₂ > 0` (`'finiteDifference'` only): the probe is
   * `r = fdStep / ||v||₂`, computed on the device (`taskHvpOperator`). Default 1e-2 (core's default).
   */
  readonly fdStep?: number;
  /**
   * Finite-difference scheme; default `'central'` (error `O(r²)`, two support gradients per product);
   * `'forward'`: error `O(r)`, one support gradient per product (the gradient at `phi*` is computed once per solve).
   */
  readonly fdScheme?: 'forward' | 'central';
  /**
   * Called with CG's report each time the meta-gradient is solved (diagnostics). Per-task path
   * only (the task-batched `implicitTaskFastWeights` solves every task at once, without reports).
   */
  readonly onCgStop?: (report: CgReport) => void;
}

/**
 * Validates {@link ImplicitGradientOptions}.
 * @throws MetaLearnError `invalidArgument` naming the first option out of range.
 */
export function checkImplicitGradientOptions(o: ImplicitGradientOptions, fn: string): void {
  if (o === null || typeof o !== 'object') throw new MetaLearnError('invalidArgument', `${fn}: options must be an object`);
  if (!(Number.isFinite(o.lambda) && o.lambda > 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.lambda must be a finite number > 0, got ${String(o.lambda)}`);
  if (o.cgDamping !== undefined && !(Number.isFinite(o.cgDamping) && o.cgDamping >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.cgDamping must be a finite number >= 0, got ${String(o.cgDamping)}`);
  if (o.lambdaDamping !== undefined && !(Number.isFinite(o.lambdaDamping) && o.lambdaDamping >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.lambdaDamping must be a finite number >= 0, got ${String(o.lambdaDamping)}`);
  if (!(Number.isInteger(o.cgSteps) && o.cgSteps >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.cgSteps must be an integer >= 0, got ${String(o.cgSteps)}`);
  if (o.cgTol !== undefined && !(Number.isFinite(o.cgTol) && o.cgTol >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.cgTol must be a finite number >= 0, got ${String(o.cgTol)}`);
  if (o.hvp !== undefined && o.hvp !== 'exact' && o.hvp !== 'finiteDifference') {
    throw new MetaLearnError('invalidArgument', `${fn}: options.hvp must be 'exact' or 'finiteDifference', got ${JSON.stringify(o.hvp)}`);
  }
  if (o.fdStep !== undefined && !(Number.isFinite(o.fdStep) && o.fdStep > 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.fdStep must be a finite number > 0, got ${String(o.fdStep)}`);
  if (o.fdScheme !== undefined && o.fdScheme !== 'forward' && o.fdScheme !== 'central') {
    throw new MetaLearnError('invalidArgument', `${fn}: options.fdScheme must be 'forward' or 'central', got ${JSON.stringify(o.fdScheme)}`);
  }
}
