/**
 * The SVM dual as a differentiable tfjs op: forward by quadprog on the host (float64), backward
 * through the KKT conditions (`tf.customGrad`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';
import { svmDualBackward } from './kkt-backward.js';
import { checkSvmDualProblem, solveSvmDual, type SvmDualProblem } from './svm-dual.js';

/** The SVM's constants: regularisation `C > 0` and Gram ridge `ε > 0` (see {@link regularisedGram}). */
export interface SvmDualOptions {
  readonly C: number;
  readonly ridge: number;
}

/**
 * The Crammer–Singer SVM dual solution `α*(K)` of a support set, differentiable in the Gram
 * matrix `K`.
 *
 * Forward: `K` is downloaded, `α*` is computed by {@link solveSvmDual} (quadprog, float64) and
 * uploaded as float32. Backward: `∂L/∂K = ½ (d_α αᵀ + α d_αᵀ)` by {@link svmDualBackward} (the
 * KKT system of the active constraints, float64 on the host). With `K = tf.matMul(X, X, false,
 * true)` the gradient flows on to the support features `X` and the backbone. First order only:
 * the backward is computed on the host, so a gradient of this gradient (a Hessian-vector product
 * through the QP) treats it as a constant.
 *
 * @param gram - float32 `K = X Xᵀ: [N_s, N_s]` (only its symmetric part is read).
 * @param labels - `y: [N_s]`, classes in `[0, ways)` (host numbers: the labels carry no gradient).
 * @param ways - `W >= 2`.
 * @param options - `C` and `ridge`.
 * @returns float32 `α: [N_s, W]`; the scores of a query `x_q` are `Σ_i α_ik <x_i, x_q>`.
 * @throws MetaLearnError `shapeMismatch` when `gram` is not float32 `[N_s, N_s]` with
 *   `N_s = labels.length`; as {@link solveSvmDual} otherwise (bad labels, `C`, `ridge`, non-finite
 *   `K`, quadprog failures).
 * @example
 * const alpha = svmDual(tf.matMul(x, x, false, true), [0, 1, 2], 3, { C: 0.1, ridge: 1 });
 * @see Lee, Maji, Ravichandran & Soatto 2019, "Meta-Learning with Differentiable Convex
 *   Optimization", sec. 3.3; Amos & Kolter 2017, "OptNet", sec. 3.
 */
export function svmDual(gram: tf.Tensor, labels: ArrayLike<number>, ways: number, options: SvmDualOptions): tf.Tensor2D {
  const fn = 'svmDual';
  const n = labels.length;
  if (gram.rank !== 2 || gram.shape[0] !== n || gram.shape[1] !== n || gram.dtype !== 'float32') {
    throw new MetaLearnError('shapeMismatch', `${fn}: gram must be float32 [${n}, ${n}] (N_s = labels.length = ${n}), got ${gram.dtype} [${gram.shape.join(', ')}]`);
  }
  const labelsCopy = Array.from(labels);
  checkSvmDualProblem({ gram: new Float64Array(n * n), labels: labelsCopy, ways, C: options.C, ridge: options.ridge }, fn);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const k = args[0] as tf.Tensor;
    const problem: SvmDualProblem = { gram: Float64Array.from(k.dataSync()), labels: labelsCopy, ways, C: options.C, ridge: options.ridge };
    const solution = solveSvmDual(problem);
    return {
      value: tf.tensor2d(Float32Array.from(solution.alpha), [n, ways], 'float32'),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const g = svmDualBackward(problem, solution, (dy as tf.Tensor).dataSync());
        return [tf.tensor2d(Float32Array.from(g), [n, n], 'float32')];
      },
    };
  });
  return op(gram) as tf.Tensor2D;
}
