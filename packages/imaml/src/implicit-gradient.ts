/**
 * Implicit differentiation of iMAML's inner solution: fast weights whose backward pass is the
 * implicit-function-theorem meta-gradient, solved by conjugate gradient on Hessian-vector
 * products. A wrapper around any inner solver whose output satisfies the proximal optimality
 * condition (TorchOpt's `custom_root` style).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, paramNames, withoutTape, type Params } from '@metalearn/core';
import { flatLayout, flattenParams, unflattenParams, type FlatLayout } from './flat-params.js';
import { checkImplicitGradientOptions, type ImplicitGradientOptions } from './implicit-gradient-options.js';
import { solveImplicitTasks } from './implicit-solve.js';
import type { ParamsLoss } from './proximal.js';

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
 * Damping (`cgDamping` μ, `lambdaDamping` δ, both default 0) solves
 * `((1 + μ) I + H/(λ + δ)) g = ∇_phi L_query` instead (the official code's system): no longer the
 * exact derivative of `phi*`, but positive definite for `λ_min(H) > -(1 + μ)(λ + δ)`.
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
 * @param options - `lambda`, `cgSteps`, `cgDamping`, `lambdaDamping`, `cgTol`, `hvp`, `fdStep`, `fdScheme`, `onCgStop`.
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
