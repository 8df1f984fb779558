/**
 * The inverse of symmetric positive definite matrices (tfjs 4.22 has no `inv`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatrixShape } from './matrix-shape.js';
import { choleskySolve } from './cholesky-solve.js';

/**
 * `A⁻¹` for symmetric positive definite `A`, batched and differentiable
 * (`choleskySolve(A, I)`; gradient `Ā = -sym(A⁻¹ (A⁻¹)̄ A⁻¹)`). Prefer {@link choleskySolve} when
 * the inverse is only multiplied by something: it is cheaper and more accurate.
 *
 * @param a - float32 `A: [...batch, n, n]`, symmetric positive definite (lower triangle read).
 * @returns float32 `A⁻¹: [...batch, n, n]`.
 * @throws MetaLearnError as {@link choleskySolve} (`notPositiveDefinite`, `nonFinite`, ...; the
 *   message names `choleskySolve`, which does the work), `shapeMismatch` naming `spdInverse`.
 */
export function spdInverse<R extends tf.Rank>(a: tf.Tensor<R>): tf.Tensor<R> {
  const s = batchedMatrixShape(a, 'A', 'spdInverse', true);
  return tf.tidy(() => {
    const eye = tf.broadcastTo(tf.eye(s.rows), a.shape) as tf.Tensor<R>;
    return choleskySolve(a, eye);
  });
}
