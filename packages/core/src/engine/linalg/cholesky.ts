/**
 * The differentiable batched Cholesky factorisation `A = L Lᵀ`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatrixShape } from './matrix-shape.js';
import { choleskyFactorHost } from './host-cholesky.js';
import { triangularSolve } from './triangular-solve.js';
import { triangleMask } from './triangle-mask.js';
import { matrixTranspose } from './matrix-transpose.js';

/**
 * The lower Cholesky factor `L` of each symmetric positive definite matrix: `A = L Lᵀ`,
 * `L` lower triangular with a positive diagonal.
 *
 * Forward: float64 factorisation on the host ({@link choleskyFactorHost}), reading only the lower
 * triangle of `A`. Backward (Murray 2016, reverse mode; the formula PyTorch uses):
 * `Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)`, with `L̄` restricted to the lower triangle, `Φ` = lower triangle
 * with the diagonal halved, `sym(M) = (M + Mᵀ)/2`. The gradient is symmetric: it is the
 * derivative along symmetric perturbations of `A` (what `A = F Fᵀ` or `A = M + Mᵀ + λI`
 * produce). The backward recomputes `L` from the saved `A` and uses only {@link cholesky},
 * {@link triangularSolve} and tfjs ops, so gradients of every order are exact.
 *
 * @param a - float32 `A: [...batch, n, n]`, symmetric positive definite (lower triangle read).
 * @returns float32 `L: [...batch, n, n]`, zero above the diagonal.
 * @throws MetaLearnError `notPositiveDefinite` — `cholesky: A[b] is not positive definite (pivot k = ...)`.
 * @throws MetaLearnError `nonFinite` when the lower triangle holds NaN or ±Inf.
 * @throws MetaLearnError `invalidArgument` (dtype) / `shapeMismatch` (rank < 2, not square).
 * @example const L = cholesky(tf.tensor2d([[4, 2], [2, 3]])); // [[2, 0], [1, 1.414]]
 * @see Murray 2016, "Differentiation of the Cholesky decomposition", arXiv:1602.07527.
 */
export function cholesky<R extends tf.Rank>(a: tf.Tensor<R>): tf.Tensor<R> {
  const shape = batchedMatrixShape(a, 'A', 'cholesky', true);
  const n = shape.rows;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [aIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const l = choleskyFactorHost(aIn.dataSync(), shape, 'cholesky', 'A');
    save([aIn]);
    return {
      value: tf.tensor(Float32Array.from(l), aIn.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const lS = cholesky(saved[0]! as tf.Tensor<R>);
        const gL = tf.mul(dy, triangleMask(n, true));
        const phi = tf.mul(tf.matMul(lS, gL, true, false), triangleMask(n, true, 0.5));
        const p = triangularSolve(lS, phi as tf.Tensor<R>, { transpose: true }); // L⁻ᵀ Φ
        const gRaw = matrixTranspose(triangularSolve(lS, matrixTranspose(p), { transpose: true })); // L⁻ᵀ Φ L⁻¹
        return tf.mul(tf.add(gRaw, matrixTranspose(gRaw)), 0.5);
      },
    };
  });
  return op(a) as tf.Tensor<R>;
}
