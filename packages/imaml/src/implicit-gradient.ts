/**
 * Implicit differentiation of iMAML's inner solution: fast weights whose backward pass is the
 * implicit-function-theorem meta-gradient, solved by conjugate gradient on Hessian-vector
 * products. A wrapper around any inner solver whose output satisfies the proximal optimality
 * condition (TorchOpt's `custom_root` style).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, paramNames, withoutTape, type Params } from '@metalearn/core';
import type { CgReport } from './conjugate-gradient.js';
import { flatLayout, flattenParams, unflattenParams, type FlatLayout } from './flat-params.js';
import { solveImplicitTasks } from './implicit-solve.js';
import type { ParamsLoss } from './proximal.js';

/** How the Hessian-vector products of the support loss are computed. */
export type ImplicitHvpMode = 'exact' | 'finiteDifference';

/** Options of {@link implicitFastWeights}. */
export interface ImplicitGradientOptions {
  /** `λ > 0`, the proximal strength the inner solution was computed with. */
  readonly lambda: number;
  /** Conjugate-gradient iterations `>= 0` (0: `g = ∇_phi L_query`, the first-order approximation). */
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
 * Fast weights `phi` equal to the inner solution `phiStar`, differentiable with respect to
 * `theta` through the implicit function theorem instead of through the inner loop.
 *
 * Contract (optimality condition): `phiStar ≈ argmin_phi L_support(phi) + (λ/2)||phi - theta||²`,
 * i.e. `∇L_support(phiStar) + λ (phiStar - theta) ≈ 0` (see `proximalOptimality`). Differentiating
 * that identity in `theta` gives `(H + λ I) d phi* / d theta = λ I` with `H = ∇²L_support(phi*)`, so
 * `d phi* / d theta = (I + H/λ)⁻¹` (symmetric). For any downstream loss `L_query(phi)`, the
 * vector-Jacobian product the backward pass returns is the iMAML meta-gradient
 * `g = (I + H/λ)⁻¹ ∇_phi L_query(phi*)`, computed as the solution of `(I + H/λ) g = ∇_phi L_query`
 * by {@link conjugateGradient} (`cgSteps` iterations, tolerance `cgTol`; `solveImplicitTasks`
 * with one task) on Hessian-vector products of `L_support` at `phi*` (`taskHvpOperator`: exact,
 * or finite-difference with the probe computed on the device: no host read per product).
 * `I + H/λ` is positive definite when the smallest eigenvalue of `H` exceeds `-λ`; otherwise CG
 * stops at the first direction of non-positive curvature (reported through `onCgStop`).
 *
 * Mechanism: `theta`'s tensors enter one `tf.customGrad` op whose forward returns `vec(phiStar)`
 * (`[P]`, names in sorted order) and whose gradient runs the CG solve off every tape
 * ({@link withoutTape}); `phi` is that vector split back into named tensors. Nothing of the inner
 * loop is on the tape: the backward pass costs `cgSteps` HVPs at `phi*`, independent of the
 * number of inner steps. The meta-gradient itself is treated as a constant by higher-order
 * gradients (differentiating it again is not supported).
 *
 * @param theta - the meta-parameters (on the caller's tape), float32.
 * @param phiStar - the approximate inner solution: the names and shapes of `theta` (a constant:
 *   computed off the tape, e.g. by `solveProximal`); not disposed.
 * @param supportLoss - `L_support(phi)`, the loss whose Hessian enters the solve.
 * @param options - `lambda`, `cgSteps`, `cgTol`, `hvp`, `fdStep`, `fdScheme`, `onCgStop`.
 * @returns `phi`: the values of `phiStar`, a map with the names of `theta`; the caller owns it.
 * @throws MetaLearnError `invalidArgument` / `shapeMismatch` when `phiStar` does not match `theta`
 *   or an option is out of range.
 * @example
 * const phiStar = solveProximal(supportLoss, theta, { lambda: 2, steps: 10, lr: 0.1 });
 * const phi = implicitFastWeights(theta, phiStar, supportLoss, { lambda: 2, cgSteps: 5 });
 * const metaLoss = queryLoss(phi); // its gradient w.r.t. theta is (I + H/λ)⁻¹ ∇L_query(phi*)
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", Lemma 1
 *   (eq. 5: the implicit Jacobian), eq. 6 (the meta-gradient) and Algorithm 2 (CG, iMAML).
 * @see Blondel et al. 2022, "Efficient and Modular Implicit Differentiation" (optimality-condition
 *   wrappers, as TorchOpt's `custom_root`).
 */
export function implicitFastWeights(theta: Params, phiStar: Params, supportLoss: ParamsLoss, options: ImplicitGradientOptions): Params {
  const fn = 'implicitFastWeights';
  checkImplicitGradientOptions(options, fn);
  const names = paramNames(theta);
  if (names.length === 0) throw new MetaLearnError('invalidArgument', `${fn}: theta has no parameter`);
  const phiNames = paramNames(phiStar);
  if (phiNames.length !== names.length || phiNames.some((n, i) => n !== names[i])) {
    throw new MetaLearnError('shapeMismatch', `${fn}: phiStar must have the names of theta (${names.join(', ')}), got (${phiNames.join(', ')})`);
  }
  const layout = flatLayout(theta, names);
  const phiFlat = withoutTape(() => flattenParams(phiStar, layout));
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([phiFlat]);
    return {
      value: tf.clone(phiFlat),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        implicitMetaGradient(dy as tf.Tensor, saved[0]!, supportLoss, layout, options),
    };
  });
  const phi = unflattenParams(op(...names.map((n) => theta[n]!)), layout);
  phiFlat.dispose();
  return phi;
}

/**
 * `(I + H/λ)⁻¹ dy` as one gradient tensor per name of the layout (the customGrad's backward):
 * {@link solveImplicitTasks} with one task (`[1, P]`).
 */
function implicitMetaGradient(dy: tf.Tensor, phiFlat: tf.Tensor, supportLoss: ParamsLoss, layout: FlatLayout, o: ImplicitGradientOptions): tf.Tensor[] {
  return withoutTape(() => tf.tidy(() => {
    const row = [1, layout.total];
    const loss = (x: tf.Tensor): tf.Scalar => supportLoss(unflattenParams(tf.reshape(x, [layout.total]), layout));
    const g = solveImplicitTasks(tf.reshape(dy, row), tf.reshape(phiFlat, row), loss, o);
    const pieces = unflattenParams(tf.reshape(g, [layout.total]), layout);
    return layout.names.map((n) => pieces[n]!);
  }));
}

/**
 * Validates {@link ImplicitGradientOptions}.
 * @throws MetaLearnError `invalidArgument` naming the first option out of range.
 */
export function checkImplicitGradientOptions(o: ImplicitGradientOptions, fn: string): void {
  if (o === null || typeof o !== 'object') throw new MetaLearnError('invalidArgument', `${fn}: options must be an object`);
  if (!(Number.isFinite(o.lambda) && o.lambda > 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.lambda must be a finite number > 0, got ${String(o.lambda)}`);
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
