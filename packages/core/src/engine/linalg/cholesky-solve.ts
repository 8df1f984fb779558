/**
 * The differentiable batched solve of symmetric positive definite systems by Cholesky.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatrixShape, checkRightHandSide } from './matrix-shape.js';
import { choleskyFactorHost } from './host-cholesky.js';
import { triangularSolveHost } from './host-triangular.js';
import { matrixTranspose } from './matrix-transpose.js';

/**
 * Solves `A X = B` for symmetric positive definite `A` (batched), differentiably in `A` and `B`.
 *
 * Forward, in float64 on the host: `A = L Lᵀ`, then `L Y = B`, `Lᵀ X = Y`.
 * Backward (`X = A⁻¹ B`): `B̄ = A⁻¹ X̄` and `Ā = -sym(B̄ Xᵀ)`, `sym(M) = (M + Mᵀ)/2` — the
 * derivative along symmetric perturbations of `A`. `X` and `B̄` come from one more
 * `choleskySolve` on the saved inputs, `A⁻¹ [B, X̄]`, so the backward is itself differentiable and
 * gradients of every order are exact (second order through R2-D2's head, Hessian-vector products
 * through a solve).
 *
 * @param a - float32 `A: [...batch, n, n]`, symmetric positive definite (lower triangle read).
 * @param b - float32 `B: [...batch, n, m]`, the same batch shape.
 * @returns float32 `X: [...batch, n, m]`.
 * @throws MetaLearnError `notPositiveDefinite` — `choleskySolve: A[b] is not positive definite (pivot k = ...)`.
 * @throws MetaLearnError `nonFinite` when the lower triangle of `A` holds NaN or ±Inf.
 * @throws MetaLearnError `invalidArgument` (dtype) / `shapeMismatch` (shapes).
 * @example const w = choleskySolve(tf.add(tf.matMul(x, x, true), tf.mul(lambda, tf.eye(d))), tf.matMul(x, y, true));
 * @see Giles 2008, "An extended collection of matrix derivative results for forward and reverse
 *   mode automatic differentiation" (the matrix inverse and linear solve results); Murray 2016,
 *   "Differentiation of the Cholesky decomposition", arXiv:1602.07527.
 */
export function choleskySolve<R extends tf.Rank>(a: tf.Tensor<R>, b: tf.Tensor<R>): tf.Tensor<R> {
  const as = batchedMatrixShape(a, 'A', 'choleskySolve', true);
  const bs = batchedMatrixShape(b, 'B', 'choleskySolve', false);
  checkRightHandSide(as, bs, 'A', 'choleskySolve');
  const m = bs.cols;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [aIn, bIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const l = choleskyFactorHost(aIn.dataSync(), as, 'choleskySolve', 'A');
    const y = triangularSolveHost(l, bIn.dataSync(), as, m, { lower: true, transpose: false }, 'choleskySolve', 'L');
    const x = triangularSolveHost(l, y, as, m, { lower: true, transpose: true }, 'choleskySolve', 'L');
    save([aIn, bIn]);
    return {
      value: tf.tensor(Float32Array.from(x), bIn.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [aS, bS] = saved as [tf.Tensor<R>, tf.Tensor<R>];
        const both = choleskySolve(aS, tf.concat([bS, dy], -1) as tf.Tensor<R>);
        const [xS, gB] = tf.split(both, [m, m], -1);
        const outer = tf.matMul(gB!, xS!, false, true);
        const gA = tf.mul(tf.add(outer, matrixTranspose(outer)), -0.5);
        return [gA, gB!];
      },
    };
  });
  return op(a, b) as tf.Tensor<R>;
}
